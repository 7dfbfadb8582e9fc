import type { AlertEvent } from '@vigil/core';
import { summarizeNotification } from '@vigil/notification-format';
import { createSeededRandom, parseMarkdownV2, parseTelegramHtml } from '@vigil/test-utils';
import { describe, expect, it } from 'vitest';
import { renderNotification } from './render.js';
import { type Line, bold, code, italic, link, packMessages, plainLine, text } from './rich-text.js';

const alphabet = [...'_*[]()~`>#+-=|{}.!<>&\\"\' \nabcXYZ019'.split(''), '🔥', '👨‍👩‍👧', 'é', '中', '\u200b'];

function randomText(random: () => number, maximum: number): string {
  let output = '';
  for (let length = Math.floor(random() * maximum); length > 0; length -= 1) output += alphabet[Math.floor(random() * alphabet.length)];
  return output;
}

function event(index: number, overrides: Partial<AlertEvent> = {}): AlertEvent {
  return {
    id: `e${index}`,
    alertId: `down/svc-${index}`,
    ruleId: 'down',
    checkId: `svc-${index}`,
    tags: { env: 'prod' },
    severity: 'critical',
    state: 'firing',
    previousState: 'pending',
    reason: 'timeout',
    message: `svc-${index}: 3 consecutive failures`,
    values: {},
    since: 0,
    at: 60_000,
    cause: 'transition',
    ...overrides,
  };
}

describe('packMessages', () => {
  it('renders every style in both parse modes, and the plain form is what the recipient sees', () => {
    const lines: Line[] = [[bold('b*'), text(' t_ '), italic('i['), text(' '), code('c`\\'), text(' '), link('l)', 'https://example.com/a)b')]];
    const [markdown] = packMessages(lines, 'MarkdownV2');
    const [html] = packMessages(lines, 'HTML');
    expect(parseMarkdownV2(markdown?.markup ?? '').text).toBe(plainLine(lines[0] as Line));
    expect(parseTelegramHtml(html?.markup ?? '').text).toBe(plainLine(lines[0] as Line));
    expect(parseMarkdownV2(markdown?.markup ?? '').entities.map((entity) => entity.type)).toEqual(['bold', 'italic', 'code', 'text_link']);
  });

  it('does not link anything but http(s)', () => {
    expect(link('x', 'javascript:alert(1)')).toEqual({ kind: 'text', text: 'x' });
  });

  it('keeps lines whole across messages and cuts a line longer than a message', () => {
    const lines: Line[] = [[text('a'.repeat(3_000))], [text('b'.repeat(3_000))], [bold('🔥'.repeat(5_000))]];
    const parts = packMessages(lines, 'MarkdownV2');
    for (const part of parts) {
      const parsed = parseMarkdownV2(part.markup);
      expect(parsed.text.length).toBeLessThanOrEqual(4_096);
      expect(parsed.text).toBe(part.plain);
    }
    expect(parts.map((part) => part.plain).join('')).toBe(`${'a'.repeat(3_000)}${'b'.repeat(3_000)}${'🔥'.repeat(5_000)}`);
  });

  it('turns random hostile text into markup Telegram accepts and shows literally (fuzz, 1,000 cases)', () => {
    for (let seed = 1; seed <= 1_000; seed += 1) {
      const random = createSeededRandom(seed);
      const lines: Line[] = Array.from({ length: 1 + Math.floor(random() * 4) }, () => [bold(randomText(random, 30)), text(randomText(random, 60)), code(randomText(random, 10))]);
      const limit = 20 + Math.floor(random() * 200);
      for (const mode of ['MarkdownV2', 'HTML'] as const) {
        for (const part of packMessages(lines, mode, limit)) {
          const parsed = mode === 'MarkdownV2' ? parseMarkdownV2(part.markup) : parseTelegramHtml(part.markup);
          expect(parsed.text, `seed ${seed} ${mode}`).toBe(part.plain);
          expect(parsed.text.length, `seed ${seed} ${mode}`).toBeLessThanOrEqual(limit);
        }
      }
    }
  });
});

describe('renderNotification', () => {
  it('shows one event in detail', () => {
    const [part, ...rest] = renderNotification(summarizeNotification({ id: 'n', events: [event(1)], createdAt: 0 }), 'MarkdownV2');
    expect(rest).toEqual([]);
    expect(part?.plain.split('\n').slice(0, 3)).toEqual(['🔴 FIRING (critical): svc-1', 'svc-1: 3 consecutive failures', 'Check: svc-1']);
  });

  it('lists a small group in detail and a large one line by line, still as one message', () => {
    const small = renderNotification(summarizeNotification({ id: 'n', events: [event(1), event(2)], createdAt: 0 }), 'MarkdownV2');
    expect(small).toHaveLength(1);
    expect(small[0]?.plain).toContain('Reason: timeout');
    const large = renderNotification(summarizeNotification({ id: 'n', events: Array.from({ length: 50 }, (_unused, index) => event(index, { link: `https://status.example/${index}` })), createdAt: 0 }), 'HTML');
    expect(large).toHaveLength(1);
    expect(large[0]?.plain.split('\n')).toHaveLength(52);
    expect(parseTelegramHtml(large[0]?.markup ?? '').entities.filter((entity) => entity.type === 'text_link')).toHaveLength(50);
  });

  it('fits 50 long lines into one message, counting the emoji as Telegram does (two UTF-16 units)', () => {
    const events = Array.from({ length: 50 }, (_unused, index) => event(index, { message: `svc-${index}: ${'failure details '.repeat(12)}` }));
    const parts = renderNotification(summarizeNotification({ id: 'n', events, createdAt: 0 }), 'MarkdownV2');
    expect(parts).toHaveLength(1);
    expect(parseMarkdownV2(parts[0]?.markup ?? '').text.length).toBeLessThanOrEqual(4_096);
  });
});
