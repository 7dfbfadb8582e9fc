import { escapeHtml, escapeMarkdownV2, escapeMarkdownV2Code, escapeMarkdownV2Url, isWebLink } from '@vigil/notification-format';

// Messages are built from segments, never from markup strings, so every dynamic value is
// escaped exactly once for the parse mode in use, and a message can be cut between lines
// without breaking an entity (no entity spans a line).

/** Telegram's parse modes this notifier writes. */
export type ParseMode = 'MarkdownV2' | 'HTML';

/** One run of text with at most one style. */
export type Segment =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'bold'; readonly text: string }
  | { readonly kind: 'italic'; readonly text: string }
  | { readonly kind: 'code'; readonly text: string }
  | { readonly kind: 'link'; readonly text: string; readonly url: string };

/** One line of a message. */
export type Line = readonly Segment[];

export const text = (value: string): Segment => ({ kind: 'text', text: value });
export const bold = (value: string): Segment => ({ kind: 'bold', text: value });
export const italic = (value: string): Segment => ({ kind: 'italic', text: value });
export const code = (value: string): Segment => ({ kind: 'code', text: value });
/** A link, only for http(s) URLs; anything else is shown as text. */
export const link = (label: string, url: string): Segment => (isWebLink(url) ? { kind: 'link', text: label, url } : { kind: 'text', text: label });

/** Telegram's message limit: 4,096 characters after entities are parsed. */
export const messageLimit = 4_096;

function renderSegment(segment: Segment, mode: ParseMode): string {
  if (segment.text.length === 0) return '';
  if (mode === 'MarkdownV2') {
    switch (segment.kind) {
      case 'text':
        return escapeMarkdownV2(segment.text);
      case 'bold':
        return `*${escapeMarkdownV2(segment.text)}*`;
      case 'italic':
        // Two italic segments in a row would read as `__` (underline); lines never put them side by side.
        return `_${escapeMarkdownV2(segment.text)}_`;
      case 'code':
        return `\`${escapeMarkdownV2Code(segment.text)}\``;
      case 'link':
        return `[${escapeMarkdownV2(segment.text)}](${escapeMarkdownV2Url(segment.url)})`;
    }
  }
  switch (segment.kind) {
    case 'text':
      return escapeHtml(segment.text);
    case 'bold':
      return `<b>${escapeHtml(segment.text)}</b>`;
    case 'italic':
      return `<i>${escapeHtml(segment.text)}</i>`;
    case 'code':
      return `<code>${escapeHtml(segment.text)}</code>`;
    case 'link':
      return `<a href="${escapeHtml(segment.url)}">${escapeHtml(segment.text)}</a>`;
  }
}

/** A line as markup for `mode`. */
export function renderLine(line: Line, mode: ParseMode): string {
  return line.map((segment) => renderSegment(segment, mode)).join('');
}

/** A line as the recipient sees it (also the plain-text fallback). */
export function plainLine(line: Line): string {
  return line.map((segment) => segment.text).join('');
}

/** One message ready to send: markup, and the same content as plain text. */
export interface MessagePart {
  readonly markup: string;
  readonly plain: string;
}

/** Cuts a too-long line into lines that fit, by code points, keeping each segment's style. */
function cutLine(line: Line, limit: number): Line[] {
  const lines: Segment[][] = [[]];
  let used = 0;
  for (const segment of line) {
    let rest = Array.from(segment.text);
    while (rest.length > 0) {
      if (used >= limit) {
        lines.push([]);
        used = 0;
      }
      // Count UTF-16 units (Telegram counts entities in them), taking whole code points.
      let take = 0;
      let units = 0;
      while (take < rest.length && used + units + (rest[take] as string).length <= limit) {
        units += (rest[take] as string).length;
        take += 1;
      }
      if (take === 0) {
        lines.push([]);
        used = 0;
        continue;
      }
      (lines.at(-1) as Segment[]).push({ ...segment, text: rest.slice(0, take).join('') } as Segment);
      used += units;
      rest = rest.slice(take);
    }
  }
  return lines;
}

/**
 * Packs lines into messages of at most `limit` visible characters: whole lines where possible,
 * an over-long line cut into pieces; empty lines between blocks are dropped at message edges.
 */
export function packMessages(lines: readonly Line[], mode: ParseMode, limit = messageLimit): MessagePart[] {
  const fitted: Line[] = lines.flatMap((line) => (plainLine(line).length > limit ? cutLine(line, limit) : [line]));
  const parts: MessagePart[] = [];
  let current: Line[] = [];
  let length = 0;
  const flush = (): void => {
    while (current.length > 0 && plainLine(current.at(-1) as Line).trim() === '') current.pop();
    if (current.length > 0) parts.push({ markup: current.map((line) => renderLine(line, mode)).join('\n'), plain: current.map(plainLine).join('\n') });
    current = [];
    length = 0;
  };
  for (const line of fitted) {
    const size = plainLine(line).length;
    const added = current.length === 0 ? size : size + 1;
    if (current.length > 0 && length + added > limit) flush();
    if (current.length === 0 && size === 0) continue;
    current.push(line);
    length += current.length === 1 ? size : added;
  }
  flush();
  return parts;
}
