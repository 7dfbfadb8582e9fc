import type { AlertEvent } from '@vigil/core';
import { sampleAlertEvent, sampleNotification } from '@vigil/test-utils';
import { describe, expect, it } from 'vitest';
import { cleanValue, formatElapsed, formatTimestamp, renderPlainText, summarizeEvent, summarizeNotification } from './summary.js';

const at = Date.UTC(2026, 0, 1, 12, 0, 0);

function event(overrides: Partial<AlertEvent> = {}): AlertEvent {
  return sampleAlertEvent({
    checkType: 'tcp',
    target: '127.0.0.1:8080',
    tags: { env: 'prod', category: 'edge' },
    values: { failures: 3, durationMs: 1.23456 },
    since: at - 200_000,
    at,
    link: 'https://status.example/web',
    ...overrides,
  });
}

describe('formatElapsed and formatTimestamp', () => {
  it('shows two units at most and drops a trailing zero unit', () => {
    expect(formatElapsed(0)).toBe('0s');
    expect(formatElapsed(45_000)).toBe('45s');
    expect(formatElapsed(200_000)).toBe('3m 20s');
    expect(formatElapsed(7_200_000)).toBe('2h');
    expect(formatElapsed(7_500_000)).toBe('2h 5m');
    expect(formatElapsed(2 * 86_400_000 + 3 * 3_600_000 + 59_000)).toBe('2d 3h');
    expect(formatElapsed(-5)).toBe('0s');
  });

  it('formats times in the requested zone', () => {
    expect(formatTimestamp(at)).toBe('2026-01-01 12:00:00 UTC');
    expect(formatTimestamp(at, 'Europe/Berlin')).toBe('2026-01-01 13:00:00 Europe/Berlin');
    expect(() => formatTimestamp(at, 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('cleanValue', () => {
  it('turns control characters into spaces and bounds the length by code points', () => {
    expect(cleanValue('a\nb\r\n\tc\u202ed')).toBe('a b c d');
    expect(cleanValue('🔥'.repeat(10), 4)).toBe('🔥🔥🔥…');
  });
});

describe('summarizeEvent', () => {
  it('carries check, tags, reason, values, since-when and link', () => {
    const summary = summarizeEvent(event());
    expect(summary.heading).toBe('🔴 FIRING (critical): web');
    expect(summary.fields).toEqual([
      { label: 'Check', value: 'web (tcp 127.0.0.1:8080)' },
      { label: 'Rule', value: 'down' },
      { label: 'Reason', value: 'connection_refused' },
      { label: 'Tags', value: 'category=edge, env=prod' },
      { label: 'Values', value: 'failures=3, durationMs=1.235' },
      { label: 'Since', value: '2026-01-01 11:56:40 UTC (3m 20s)' },
    ]);
    expect(summary.link).toBe('https://status.example/web');
    expect(summary.line).toBe('🔴 web: 3 consecutive failures (connection_refused: refused)');
  });

  it('labels resolutions, repeats, escalations and flapping, and colours firing by severity', () => {
    expect(summarizeEvent(event({ state: 'resolved', previousState: 'firing' })).heading).toBe('✅ RESOLVED: web');
    expect(summarizeEvent(event({ state: 'resolved', previousState: 'firing' })).fields.at(-1)).toEqual({ label: 'Since', value: '2026-01-01 11:56:40 UTC, lasted 3m 20s' });
    expect(summarizeEvent(event({ cause: 'repeat' })).label).toBe('STILL FIRING');
    expect(summarizeEvent(event({ cause: 'escalation', severity: 'warning' })).heading).toBe('🟠 ESCALATED (warning): web');
    expect(summarizeEvent(event({ state: 'flapping', severity: 'info' })).heading).toBe('🔀 FLAPPING (info): web');
    expect(summarizeEvent(event({ severity: 'critical', previousSeverity: 'warning' })).fields).toContainEqual({ label: 'Severity', value: 'critical (was warning)' });
  });

  it('drops links that are not http(s)', () => {
    expect(summarizeEvent(event({ link: 'javascript:alert(1)' })).link).toBeUndefined();
  });
});

describe('summarizeNotification', () => {
  it('titles one event with its heading', () => {
    const summary = summarizeNotification({ id: 'n1', events: [event()], createdAt: at });
    expect(summary.title).toBe('🔴 FIRING (critical): web');
    expect(summary.grouped).toBe(false);
  });

  it('lists every event of a group, most urgent first, with counts in the title', () => {
    const events = [
      event({ alertId: 'down/a', checkId: 'a', state: 'resolved', previousState: 'firing', message: 'a: recovered' }),
      event({ alertId: 'down/b', checkId: 'b', severity: 'warning', message: 'b: failing' }),
      event({ alertId: 'down/c', checkId: 'c', message: 'c: failing' }),
    ];
    const summary = summarizeNotification({ id: 'n2', events, groupKey: 'default:{}', createdAt: at });
    expect(summary.title).toBe('🔴 3 alerts: 2 firing, 1 resolved');
    expect(summary.events.map((item) => item.event.checkId)).toEqual(['c', 'b', 'a']);
    expect(summary.severity).toBe('critical');
    const text = renderPlainText(summary);
    for (const checkId of ['a', 'b', 'c']) expect(text).toContain(`${checkId}: `);
  });

  it('renders the sample notification (with markup characters in its message) as plain text', () => {
    const text = renderPlainText(summarizeNotification(sampleNotification()));
    expect(text).toContain('*bold* _under_ [link](x) <b>&amp;</b>');
  });
});
