import { describe, expect, it } from 'vitest';
import { createResultFinisher, formatHostPort, roundMs, statelessPattern } from './results.js';

describe('check result helpers', () => {
  it('rounds to the microsecond', () => {
    expect(roundMs(1.23456789)).toBe(1.235);
    expect(roundMs(0.0004)).toBe(0);
  });

  it('brackets IPv6 literals in host:port', () => {
    expect(formatHostPort('example.test', 443)).toBe('example.test:443');
    expect(formatHostPort('::1', 53)).toBe('[::1]:53');
  });

  it('makes patterns whose test keeps no state', () => {
    const pattern = statelessPattern(/a/gy);
    expect(pattern.flags).toBe('');
    expect([pattern.test('a'), pattern.test('a')]).toEqual([true, true]);
    expect(statelessPattern('^b').test('b')).toBe(true);
  });

  it('ends a run with its rounded duration, also as phases.total', () => {
    let now = 100;
    const phases: Record<string, number> = { connect: 1 };
    const details = { host: 'h' };
    const finish = createResultFinisher({ clock: { monotonicNow: () => now }, started: 100, phases, details });
    now = 112.34567;
    expect(finish('up', 'ok', 'fine')).toEqual({ status: 'up', reason: 'ok', durationMs: 12.346, phases: { connect: 1, total: 12.346 }, message: 'fine', details });
  });
});
