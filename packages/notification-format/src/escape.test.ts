import { parseMarkdownV2, parseTelegramHtml } from '@vigil/test-utils';
import { describe, expect, it } from 'vitest';
import { escapeDiscordMarkdown, escapeHtml, escapeMarkdownV2, escapeMarkdownV2Code, escapeMarkdownV2Url, escapeSlackText, isWebLink } from './escape.js';

/** Every character the brief calls hostile, emoji, and a few more that formats treat specially. */
const hostile = [
  '_*[]()~`>#+-=|{}.!<>&',
  '🔥 web-1.example.com (prod) — 99.9% ok!',
  '*bold* _under_ [link](javascript:alert(1)) <b>&amp;</b> ||spoiler|| ~strike~',
  'back\\slash \\_ \\\\ end\\',
  '@everyone <@123> <!channel> :bomb:',
  '> quoted\n# heading\n- item\n1. list',
  '👨‍👩‍👧 family, 🇩🇪 flag, é, 中文, \u200b',
];

describe('escapeMarkdownV2', () => {
  it('turns any text into MarkdownV2 that Telegram shows literally', () => {
    for (const text of hostile) expect(parseMarkdownV2(escapeMarkdownV2(text))).toEqual({ text, entities: [] });
  });

  it('keeps text literal inside a bold entity and inside code', () => {
    for (const text of hostile) {
      const bold = parseMarkdownV2(`*${escapeMarkdownV2(text)}*`);
      expect(bold.text).toBe(text);
      expect(bold.entities).toEqual([{ type: 'bold', offset: 0, length: text.length }]);
      expect(parseMarkdownV2(`\`${escapeMarkdownV2Code(text)}\``).text).toBe(text);
    }
  });

  it('keeps a URL intact inside an inline link', () => {
    const url = 'https://status.example/check?id=a)b&c=\\d';
    const parsed = parseMarkdownV2(`[open](${escapeMarkdownV2Url(url)})`);
    expect(parsed.entities).toEqual([{ type: 'text_link', offset: 0, length: 4, url }]);
  });

  it('leaves text without reserved characters unchanged', () => {
    expect(escapeMarkdownV2('web is down 🔴')).toBe('web is down 🔴');
  });
});

describe('escapeHtml', () => {
  it('turns any text into Telegram HTML that is shown literally', () => {
    for (const text of hostile) expect(parseTelegramHtml(escapeHtml(text))).toEqual({ text, entities: [] });
  });

  it('is safe inside quoted attributes', () => {
    expect(escapeHtml(`"' onmouseover=x`)).toBe('&quot;&#39; onmouseover=x');
  });
});

describe('escapeSlackText', () => {
  it('escapes exactly the three characters Slack reads as control sequences', () => {
    expect(escapeSlackText('<!channel> & <https://x|y> *b*')).toBe('&lt;!channel&gt; &amp; &lt;https://x|y&gt; *b*');
  });
});

describe('escapeDiscordMarkdown', () => {
  it('puts a backslash before every character that starts formatting, links or mentions', () => {
    const escaped = escapeDiscordMarkdown('*a* _b_ `c` ~d~ ||e|| > f # g - h [i](j) <@1> @everyone');
    // No formatting character remains unescaped.
    expect(escaped.replace(/\\./g, '')).not.toMatch(/[*_`~|>#\-[\]()<@]/);
    // Removing one backslash before each escaped character gives the text back (Discord's escape rule).
    expect(escaped.replace(/\\([^0-9A-Za-z\s])/g, '$1')).toBe('*a* _b_ `c` ~d~ ||e|| > f # g - h [i](j) <@1> @everyone');
  });
});

describe('isWebLink', () => {
  it('accepts only http and https URLs', () => {
    expect(isWebLink('https://status.example/web')).toBe(true);
    expect(isWebLink('http://127.0.0.1:8080/')).toBe(true);
    expect(isWebLink('javascript:alert(1)')).toBe(false);
    expect(isWebLink('tg://user?id=1')).toBe(false);
    expect(isWebLink('not a url')).toBe(false);
    expect(isWebLink(undefined)).toBe(false);
  });
});
