import type { AlertEvent, Notification } from '@vigil/core';
import { summarizeNotification } from '@vigil/notification-format';
import { describe, expect, it } from 'vitest';
import { defaultJsonPayload, discordPayload, slackPayload, templateContext } from './payloads.js';

const hostile = '_*[]()~`>#+-=|{}.!<>& 🔥 @everyone <!channel> :bomb:';
const at = Date.UTC(2026, 0, 1, 12);

function event(index: number, overrides: Partial<AlertEvent> = {}): AlertEvent {
  const checkId = `svc-${String(index).padStart(2, '0')}`;
  return {
    id: `event-${index}`,
    alertId: `down/${checkId}`,
    ruleId: 'down',
    checkId,
    tags: { env: 'prod' },
    severity: 'critical',
    state: 'firing',
    previousState: 'pending',
    reason: 'connection_refused',
    message: `${checkId}: 3 consecutive failures (connection_refused: refused)`,
    values: { failures: 3 },
    since: at - 60_000,
    at,
    cause: 'transition',
    ...overrides,
  };
}

const notification = (events: AlertEvent[]): Notification => ({ id: 'n', events, groupKey: 'default:{}', createdAt: at });

/** Discord shows `\x` as `x` for ASCII punctuation; what remains must contain no markup. */
function discordVisible(text: string): string {
  return text.replace(/\\([^0-9A-Za-z\s])/g, '$1');
}

describe('discordPayload', () => {
  it('escapes every dynamic value and never parses mentions', () => {
    const payload = discordPayload(summarizeNotification(notification([event(1, { message: hostile, tags: { note: hostile } })]))) as {
      content: string;
      embeds: { title: string; description: string; fields: { name: string; value: string }[]; color: number }[];
      allowed_mentions: { parse: unknown[] };
    };
    expect(payload.allowed_mentions).toEqual({ parse: [] });
    const [embed] = payload.embeds;
    expect(embed?.description.replace(/\\./g, '')).not.toMatch(/[*_`~|>#\-[\]()<@]/);
    expect(discordVisible(embed?.description ?? '')).toBe(hostile);
    expect(discordVisible(embed?.fields.find((field) => field.name === 'Tags')?.value ?? '')).toBe(`note=${hostile}`);
    expect(embed?.color).toBe(0xd93025);
  });

  it('groups 50 events into one message within Discord limits, listing every event', () => {
    const events = Array.from({ length: 50 }, (_unused, index) => event(index));
    const payload = discordPayload(summarizeNotification(notification(events))) as { content: string; embeds: { description: string }[] };
    expect(payload.embeds.length).toBeLessThanOrEqual(10);
    const total = payload.content.length + payload.embeds.reduce((sum, embed) => sum + embed.description.length, 0);
    expect(total).toBeLessThanOrEqual(6_000);
    for (const embed of payload.embeds) expect(embed.description.length).toBeLessThanOrEqual(4_096);
    const listed = payload.embeds.map((embed) => discordVisible(embed.description)).join('\n');
    for (const item of events) expect(listed).toContain(item.checkId);
    expect(discordVisible(payload.content)).toBe('🔴 50 alerts: 50 firing');
  });

  it('says how many events did not fit when even one line each is too much', () => {
    const events = Array.from({ length: 300 }, (_unused, index) => event(index, { message: `svc-${index}: ${'x'.repeat(200)}` }));
    const payload = discordPayload(summarizeNotification(notification(events))) as { content: string; embeds: { description: string }[] };
    const total = payload.content.length + payload.embeds.reduce((sum, embed) => sum + embed.description.length, 0);
    expect(total).toBeLessThanOrEqual(6_000);
    expect(payload.embeds.at(-1)?.description).toMatch(/… and \d+ more$/);
  });
});

describe('slackPayload', () => {
  it('puts dynamic values in plain_text objects and escapes the mrkdwn fallback', () => {
    const payload = slackPayload(summarizeNotification(notification([event(1, { message: hostile, link: 'https://status.example/?a=1&b=<2>' })]))) as {
      text: string;
      blocks: { type: string; text?: { type: string; text: string }; fields?: { type: string; text: string }[]; elements?: { url?: string }[] }[];
    };
    expect(payload.text).not.toMatch(/[<>]/);
    const texts = payload.blocks.flatMap((block) => [block.text, ...(block.fields ?? [])]).filter((item) => item !== undefined);
    for (const item of texts) expect(item?.type).toBe('plain_text');
    expect(texts.some((item) => item?.text === hostile)).toBe(true);
    expect(payload.blocks.at(-1)?.elements?.[0]?.url).toBe('https://status.example/?a=1&b=<2>');
  });

  it('groups 50 events into at most 50 blocks, listing every event', () => {
    const events = Array.from({ length: 50 }, (_unused, index) => event(index));
    const payload = slackPayload(summarizeNotification(notification(events))) as { blocks: { text?: { text: string } }[] };
    expect(payload.blocks.length).toBeLessThanOrEqual(50);
    const listed = payload.blocks.map((block) => block.text?.text ?? '').join('\n');
    for (const item of events) expect(listed).toContain(item.checkId);
    for (const block of payload.blocks) expect((block.text?.text ?? '').length).toBeLessThanOrEqual(3_000);
  });
});

describe('defaultJsonPayload', () => {
  it('names a mixed group alert.group and carries every event with ISO times', () => {
    const context = templateContext(summarizeNotification(notification([event(1), event(2, { state: 'resolved', previousState: 'firing' })])), at + 5_000);
    const payload = defaultJsonPayload(context) as { type: string; timestamp: string; data: { events: { since: string; state: string }[] } };
    expect(payload.type).toBe('alert.group');
    expect(payload.timestamp).toBe('2026-01-01T12:00:05.000Z');
    expect(payload.data.events.map((item) => item.state)).toEqual(['firing', 'resolved']);
    expect(payload.data.events[0]?.since).toBe('2026-01-01T11:59:00.000Z');
  });
});
