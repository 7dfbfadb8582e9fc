import { describe, expect, it } from 'vitest';
import { TelegramParseError, parseMarkdownV2, parseTelegramHtml } from './markdown-v2.js';

function parseError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof TelegramParseError) return error.description;
    throw error;
  }
  throw new Error('expected a parse error');
}

describe('parseMarkdownV2 (https://core.telegram.org/bots/api#markdownv2-style)', () => {
  it('reads the documented entities', () => {
    const parsed = parseMarkdownV2('*bold* _italic_ __underline__ ~strike~ ||spoiler|| [link](https://example.com/a\\)b) `co\\`de`');
    expect(parsed.text).toBe('bold italic underline strike spoiler link co`de');
    expect(parsed.entities.map((entity) => entity.type)).toEqual(['bold', 'italic', 'underline', 'strikethrough', 'spoiler', 'text_link', 'code']);
    expect(parsed.entities.find((entity) => entity.type === 'text_link')?.url).toBe('https://example.com/a)b');
  });

  it('counts offsets in UTF-16 code units', () => {
    const parsed = parseMarkdownV2('🔴 *web*');
    expect(parsed.entities).toEqual([{ type: 'bold', offset: 3, length: 3 }]);
  });

  it('refuses every unescaped reserved character with the Bot API description', () => {
    for (const character of ['.', '!', '-', '#', '+', '=', '{', '}', '(', ')', ']', '>', '|']) {
      const text = `a ${character} b`;
      // '>' only opens a quote at the start of a line; in the middle it is reserved.
      expect(parseError(() => parseMarkdownV2(text))).toBe(`Character '${character}' is reserved and must be escaped with the preceding '\\'`);
    }
    expect(parseError(() => parseMarkdownV2('Version 1.0'))).toBe("Character '.' is reserved and must be escaped with the preceding '\\'");
  });

  it('accepts every reserved character when escaped', () => {
    const reserved = '_*[]()~`>#+-=|{}.!\\';
    const escaped = [...reserved].map((character) => `\\${character}`).join('');
    expect(parseMarkdownV2(escaped)).toEqual({ text: reserved, entities: [] });
  });

  it('names an entity left open, with its byte offset', () => {
    expect(parseError(() => parseMarkdownV2('é *bold'))).toBe("Can't find end of Bold entity at byte offset 3");
    expect(parseError(() => parseMarkdownV2('[link](https://example.com'))).toMatch(/^Can't find end of a URL at byte offset \d+$/);
  });

  it('reads quotes at the start of lines and pre blocks with a language', () => {
    const parsed = parseMarkdownV2('>quoted\nplain\n```ts\nconst a = 1;\n```');
    expect(parsed.text).toBe('quoted\nplain\nconst a = 1;\n');
    expect(parsed.entities).toContainEqual({ type: 'blockquote', offset: 0, length: 7 });
    expect(parsed.entities).toContainEqual({ type: 'pre', offset: 13, length: 13, language: 'ts' });
  });
});

describe('parseTelegramHtml (https://core.telegram.org/bots/api#html-style)', () => {
  it('reads supported tags and entities', () => {
    const parsed = parseTelegramHtml('<b>bold</b> &lt;x&gt; &amp; <a href="https://example.com/?a=1&amp;b=2">link</a> &#128308;');
    expect(parsed.text).toBe('bold <x> & link 🔴');
    expect(parsed.entities).toEqual([
      { type: 'bold', offset: 0, length: 4 },
      { type: 'text_link', offset: 11, length: 4, url: 'https://example.com/?a=1&b=2' },
    ]);
  });

  it('refuses unsupported and unbalanced tags', () => {
    expect(parseError(() => parseTelegramHtml('a <script>x</script>'))).toBe('Unsupported start tag "script" at byte offset 2');
    expect(parseError(() => parseTelegramHtml('<b>x</i>'))).toBe('Unmatched end tag at byte offset 4, expected "</b>", found "</i>"');
    expect(parseError(() => parseTelegramHtml('<b>x'))).toBe('Can\'t find end tag corresponding to start tag "b"');
    expect(parseError(() => parseTelegramHtml('1 < 2'))).toBe('Unsupported start tag "" at byte offset 2');
  });
});
