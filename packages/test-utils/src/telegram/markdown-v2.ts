// Telegram's text formatting, parsed the way the Bot API documents it, so the local Bot API
// server can answer `can't parse entities` exactly where Telegram would.
//
// MarkdownV2: https://core.telegram.org/bots/api#markdownv2-style
//   - Any character with code 1..126 may be escaped with a preceding '\' and is then literal.
//   - Inside `pre` and `code` entities, '`' and '\' must be escaped.
//   - Inside the (...) part of an inline link, ')' and '\' must be escaped.
//   - Everywhere else '_', '*', '[', ']', '(', ')', '~', '`', '>', '#', '+', '-', '=', '|',
//     '{', '}', '.', '!' must be escaped.
//   - '__' is read greedily as underline, left to right.
// HTML: https://core.telegram.org/bots/api#html-style
//   - Only the listed tags; only &lt; &gt; &amp; &quot; and numeric entities.
// Error texts follow the Bot API's `description` field ("Bad Request: can't parse entities:
// Character '.' is reserved and must be escaped with the preceding '\'").
//
// Two deliberate strictnesses, both on the safe side for clients: a '\' not followed by a
// character 1..126 is an error (the documentation says '\' must be escaped), and lengths are
// counted in UTF-16 code units (the unit entity offsets use).

/** One formatting entity of a message (https://core.telegram.org/bots/api#messageentity). */
export interface TelegramMessageEntity {
  readonly type: string;
  /** Offset and length in UTF-16 code units. */
  readonly offset: number;
  readonly length: number;
  readonly url?: string;
  readonly language?: string;
}

/** Parsed text: what the recipient sees, and its entities. */
export interface ParsedTelegramText {
  readonly text: string;
  readonly entities: readonly TelegramMessageEntity[];
}

/** A formatting error, with the `description` the Bot API returns (without "Bad Request: "). */
export class TelegramParseError extends Error {
  constructor(readonly description: string) {
    super(description);
    this.name = 'TelegramParseError';
  }
}

type EntityKind = 'Bold' | 'Italic' | 'Underline' | 'Strikethrough' | 'Spoiler' | 'TextUrl' | 'CustomEmoji' | 'Code' | 'Pre' | 'PreCode';

interface OpenEntity {
  readonly kind: EntityKind;
  /** UTF-16 offset in the output where it starts. */
  readonly offset: number;
  /** Byte offset in the input where its markup starts, for error messages. */
  readonly byteOffset: number;
  language?: string;
}

const entityTypeName: Readonly<Record<EntityKind, string>> = {
  Bold: 'bold',
  Italic: 'italic',
  Underline: 'underline',
  Strikethrough: 'strikethrough',
  Spoiler: 'spoiler',
  TextUrl: 'text_link',
  CustomEmoji: 'custom_emoji',
  Code: 'code',
  Pre: 'pre',
  PreCode: 'pre',
};

const reservedOutsideCode = '_*[]()~`>#+-=|{}.!';

function isValidUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' || parsed.protocol === 'tg:' || parsed.protocol === 'ton:';
  } catch {
    return false;
  }
}

/** Parses MarkdownV2 text; throws {@link TelegramParseError} where Telegram would refuse it. */
export function parseMarkdownV2(input: string): ParsedTelegramText {
  let output = '';
  const entities: TelegramMessageEntity[] = [];
  const open: OpenEntity[] = [];
  // Quote lines: blockquotes are closed at the first line that does not start with '>'.
  let quoteStart: number | undefined;
  const byteOffset = (index: number): number => Buffer.byteLength(input.slice(0, index), 'utf8');
  const reserved = (character: string): never => {
    throw new TelegramParseError(`Character '${character}' is reserved and must be escaped with the preceding '\\'`);
  };
  const closeQuote = (): void => {
    if (quoteStart !== undefined && output.length > quoteStart) entities.push({ type: 'blockquote', offset: quoteStart, length: output.length - quoteStart });
    quoteStart = undefined;
  };

  let index = 0;
  while (index < input.length) {
    const character = input[index] as string;
    const next = input[index + 1];
    const innermost = open.at(-1);
    const inCode = innermost !== undefined && (innermost.kind === 'Code' || innermost.kind === 'Pre' || innermost.kind === 'PreCode');

    const atLineStart = index === 0 || input[index - 1] === '\n';
    if (atLineStart && quoteStart !== undefined && (inCode || character !== '>')) closeQuote();
    if (character === '\\') {
      const code = next === undefined ? 0 : next.charCodeAt(0);
      if (code < 1 || code > 126) reserved('\\');
      output += next;
      index += 2;
      continue;
    }
    if (!inCode && atLineStart && character === '>') {
      if (quoteStart === undefined) quoteStart = output.length;
      index += 1;
      continue;
    }
    const isReserved = inCode ? character === '`' : reservedOutsideCode.includes(character);
    if (!isReserved) {
      output += character;
      index += 1;
      continue;
    }

    // The end of the innermost entity?
    if (innermost) {
      let closes = 0;
      switch (innermost.kind) {
        case 'Bold':
          closes = character === '*' ? 1 : 0;
          break;
        case 'Italic':
          closes = character === '_' && next !== '_' ? 1 : 0;
          break;
        case 'Underline':
          closes = character === '_' && next === '_' ? 2 : 0;
          break;
        case 'Strikethrough':
          closes = character === '~' ? 1 : 0;
          break;
        case 'Spoiler':
          closes = character === '|' && next === '|' ? 2 : 0;
          break;
        case 'TextUrl':
        case 'CustomEmoji':
          closes = character === ']' ? 1 : 0;
          break;
        case 'Code':
          closes = character === '`' ? 1 : 0;
          break;
        case 'Pre':
        case 'PreCode':
          closes = character === '`' && next === '`' && input[index + 2] === '`' ? 3 : 0;
          break;
      }
      if (closes > 0) {
        open.pop();
        index += closes;
        const length = output.length - innermost.offset;
        if (innermost.kind === 'TextUrl' || innermost.kind === 'CustomEmoji') {
          let url: string;
          if (input[index] === '(') {
            const urlStart = index + 1;
            index += 1;
            url = '';
            while (index < input.length && input[index] !== ')') {
              const urlCharacter = input[index] as string;
              const urlNext = input[index + 1];
              if (urlCharacter === '\\' && urlNext !== undefined && urlNext.charCodeAt(0) >= 1 && urlNext.charCodeAt(0) <= 126) {
                url += urlNext;
                index += 2;
                continue;
              }
              url += urlCharacter;
              index += 1;
            }
            if (input[index] !== ')') throw new TelegramParseError(`Can't find end of a URL at byte offset ${byteOffset(urlStart)}`);
            index += 1;
          } else {
            // Without (...) the link text is the URL.
            url = output.slice(innermost.offset);
          }
          if (innermost.kind === 'CustomEmoji') {
            if (!/^tg:\/\/emoji\?id=\d+$/.test(url)) throw new TelegramParseError('Custom emoji entity must contain a tg://emoji URL');
            if (length > 0) entities.push({ type: 'custom_emoji', offset: innermost.offset, length });
          } else if (length > 0 && isValidUrl(url)) {
            entities.push({ type: 'text_link', offset: innermost.offset, length, url });
          }
          continue;
        }
        if (length > 0) {
          entities.push({
            type: entityTypeName[innermost.kind],
            offset: innermost.offset,
            length,
            ...(innermost.language === undefined ? {} : { language: innermost.language }),
          });
        }
        continue;
      }
    }

    // The start of an entity, or a reserved character that should have been escaped.
    const start = byteOffset(index);
    switch (character) {
      case '*':
        open.push({ kind: 'Bold', offset: output.length, byteOffset: start });
        index += 1;
        break;
      case '_':
        if (next === '_') {
          open.push({ kind: 'Underline', offset: output.length, byteOffset: start });
          index += 2;
        } else {
          open.push({ kind: 'Italic', offset: output.length, byteOffset: start });
          index += 1;
        }
        break;
      case '~':
        open.push({ kind: 'Strikethrough', offset: output.length, byteOffset: start });
        index += 1;
        break;
      case '|':
        if (next !== '|') reserved('|');
        open.push({ kind: 'Spoiler', offset: output.length, byteOffset: start });
        index += 2;
        break;
      case '[':
        open.push({ kind: 'TextUrl', offset: output.length, byteOffset: start });
        index += 1;
        break;
      case '!':
        if (next !== '[') reserved('!');
        open.push({ kind: 'CustomEmoji', offset: output.length, byteOffset: start });
        index += 2;
        break;
      case '`':
        if (next === '`' && input[index + 2] === '`') {
          index += 3;
          let languageEnd = index;
          while (languageEnd < input.length && !/\s/.test(input[languageEnd] as string) && input[languageEnd] !== '`') languageEnd += 1;
          const entity: OpenEntity = { kind: 'Pre', offset: 0, byteOffset: start };
          let language: string | undefined;
          if (languageEnd > index && languageEnd < input.length && input[languageEnd] !== '`') {
            language = input.slice(index, languageEnd);
            index = languageEnd;
          }
          // One line break right after the opening fence belongs to the markup.
          if (input[index] === '\r' && input[index + 1] === '\n') index += 2;
          else if (input[index] === '\n' || input[index] === '\r') index += 1;
          open.push({ ...entity, kind: language === undefined ? 'Pre' : 'PreCode', offset: output.length, ...(language === undefined ? {} : { language }) });
        } else {
          open.push({ kind: 'Code', offset: output.length, byteOffset: start });
          index += 1;
        }
        break;
      default:
        reserved(character);
    }
  }
  closeQuote();
  const unclosed = open.at(-1);
  if (unclosed) throw new TelegramParseError(`Can't find end of ${unclosed.kind} entity at byte offset ${unclosed.byteOffset}`);
  entities.sort((left, right) => left.offset - right.offset || right.length - left.length);
  return { text: output, entities };
}

const htmlTags: Readonly<Record<string, string>> = {
  b: 'bold',
  strong: 'bold',
  i: 'italic',
  em: 'italic',
  u: 'underline',
  ins: 'underline',
  s: 'strikethrough',
  strike: 'strikethrough',
  del: 'strikethrough',
  'tg-spoiler': 'spoiler',
  span: 'spoiler',
  a: 'text_link',
  code: 'code',
  pre: 'pre',
  blockquote: 'blockquote',
  'tg-emoji': 'custom_emoji',
};

const namedEntities: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"' };

interface OpenTag {
  readonly name: string;
  readonly offset: number;
  readonly attributes: Readonly<Record<string, string>>;
}

/** Decodes the supported HTML entities; anything else starting with '&' stays as written (as Telegram does). */
function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body.startsWith('#x')) return String.fromCodePoint(Number.parseInt(body.slice(2), 16));
    if (body.startsWith('#')) {
      const value = Number.parseInt(body.slice(1), 10);
      return value <= 0x10ffff ? String.fromCodePoint(value) : whole;
    }
    return namedEntities[body] ?? whole;
  });
}

/** Parses Telegram's HTML parse mode; throws {@link TelegramParseError} where Telegram would refuse it. */
export function parseTelegramHtml(input: string): ParsedTelegramText {
  let output = '';
  const entities: TelegramMessageEntity[] = [];
  const open: OpenTag[] = [];
  const byteOffset = (index: number): number => Buffer.byteLength(input.slice(0, index), 'utf8');
  let index = 0;
  while (index < input.length) {
    const lessThan = input.indexOf('<', index);
    const textEnd = lessThan === -1 ? input.length : lessThan;
    output += decodeEntities(input.slice(index, textEnd));
    if (lessThan === -1) break;
    index = lessThan;
    const closing = input[index + 1] === '/';
    const nameStart = index + (closing ? 2 : 1);
    let nameEnd = nameStart;
    while (nameEnd < input.length && /[a-zA-Z0-9-]/.test(input[nameEnd] as string)) nameEnd += 1;
    const name = input.slice(nameStart, nameEnd).toLowerCase();
    if (!closing && (name === '' || htmlTags[name] === undefined)) throw new TelegramParseError(`Unsupported start tag "${name}" at byte offset ${byteOffset(index)}`);
    const tagEnd = input.indexOf('>', nameEnd);
    if (tagEnd === -1) throw new TelegramParseError(`Unclosed start tag at byte offset ${byteOffset(index)}`);
    if (closing) {
      const expected = open.pop();
      if (!expected) throw new TelegramParseError(`Unexpected end tag at byte offset ${byteOffset(index)}`);
      if (expected.name !== name) {
        throw new TelegramParseError(`Unmatched end tag at byte offset ${byteOffset(index)}, expected "</${expected.name}>", found "</${name}>"`);
      }
      const length = output.length - expected.offset;
      const type = htmlTags[name] as string;
      if (length > 0) {
        if (type === 'text_link') {
          const href = expected.attributes.href ?? '';
          if (isValidUrl(href)) entities.push({ type, offset: expected.offset, length, url: href });
        } else entities.push({ type, offset: expected.offset, length });
      }
      index = tagEnd + 1;
      continue;
    }
    const attributes: Record<string, string> = {};
    const attributeText = input.slice(nameEnd, tagEnd);
    const attributePattern = /\s*([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+)))?/y;
    let position = 0;
    while (position < attributeText.length) {
      attributePattern.lastIndex = position;
      const match = attributePattern.exec(attributeText);
      if (!match || match[0].length === 0) {
        if (/^\s*\/?\s*$/.test(attributeText.slice(position))) break;
        throw new TelegramParseError(`Expected equal sign in declaration of an attribute of the tag at byte offset ${byteOffset(index)}`);
      }
      attributes[(match[1] as string).toLowerCase()] = decodeEntities(match[2] ?? match[3] ?? match[4] ?? '');
      position = attributePattern.lastIndex;
    }
    if (name === 'span' && attributes.class !== 'tg-spoiler') throw new TelegramParseError(`Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(index)}`);
    open.push({ name, offset: output.length, attributes });
    index = tagEnd + 1;
  }
  const unclosed = open.at(-1);
  if (unclosed) throw new TelegramParseError(`Can't find end tag corresponding to start tag "${unclosed.name}"`);
  entities.sort((left, right) => left.offset - right.offset || right.length - left.length);
  return { text: output, entities };
}
