// Escaping of dynamic values for every target format. Each function is total: any string in,
// text out that the target shows literally (never as markup, a link or a mention).

/** Characters Telegram's MarkdownV2 reserves outside entities (https://core.telegram.org/bots/api#markdownv2-style). */
const markdownV2Reserved = /[_*[\]()~`>#+\-=|{}.!\\]/g;

/** Escapes text for Telegram MarkdownV2 outside code and link parts: every reserved character and `\` get a `\`. */
export function escapeMarkdownV2(text: string): string {
  return text.replace(markdownV2Reserved, (character) => `\\${character}`);
}

/** Escapes text inside MarkdownV2 `code` and `pre` entities, where only `` ` `` and `\` are special. */
export function escapeMarkdownV2Code(text: string): string {
  return text.replace(/[`\\]/g, (character) => `\\${character}`);
}

/** Escapes a URL inside the `(...)` part of a MarkdownV2 inline link, where only `)` and `\` are special. */
export function escapeMarkdownV2Url(url: string): string {
  return url.replace(/[)\\]/g, (character) => `\\${character}`);
}

const htmlEntities: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML (Telegram's HTML parse mode and e-mail bodies), also safe inside quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => htmlEntities[character] as string);
}

/**
 * Escapes text for Slack `mrkdwn`: Slack reads only `&`, `<` and `>` as control characters
 * (links, mentions, `<!channel>`), so those become entities. Slack has no escape for `*`, `_`
 * and `~`; put untrusted text in `plain_text` objects where formatting must not apply.
 */
export function escapeSlackText(text: string): string {
  return text.replace(/[&<>]/g, (character) => htmlEntities[character] as string);
}

/**
 * Escapes text for Discord markdown: a backslash before ASCII punctuation shows it literally,
 * so every character that starts formatting, a heading, a list, a quote, a masked link, a
 * mention or a timestamp tag gets one.
 */
export function escapeDiscordMarkdown(text: string): string {
  return text.replace(/[\\*_~`|>#\-+.[\]()<@:!=]/g, (character) => `\\${character}`);
}

/** True for `http:` and `https:` URLs: the only links notifications render (no `javascript:` or `tg:`). */
export function isWebLink(value: string | undefined): value is string {
  if (value === undefined) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
