import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors/vigil-error.js';
import { assertValidTrigger, compileCron, cron, every, nextCronTime, splayOffset } from './triggers.js';

function configErrorOf(action: () => unknown): VigilError {
  try {
    action();
  } catch (error) {
    expect(VigilError.hasCode(error, 'VIGIL_ERR_CONFIG')).toBe(true);
    return error as VigilError;
  }
  throw new Error('expected a VIGIL_ERR_CONFIG error');
}

describe('every', () => {
  it('parses durations and applies defaults', () => {
    expect(every('30s')).toEqual({ type: 'every', intervalMs: 30_000, jitterMs: 0, splay: true });
    expect(every(250, { jitter: '50ms', splay: false })).toEqual({ type: 'every', intervalMs: 250, jitterMs: 50, splay: false });
    expect(Object.isFrozen(every('1m'))).toBe(true);
  });

  it('rejects a zero, negative or malformed interval, naming the field', () => {
    const zero = configErrorOf(() => every(0));
    expect(zero.message).toMatch(/^\[core\] config: interval: expected a positive duration/);
    expect(zero.path).toBeUndefined();
    const withPath = configErrorOf(() => every('soon', { path: 'checks[2]' }));
    expect(withPath.message).toContain('checks[2].interval');
    expect(withPath.message).toContain('"soon"');
    expect(withPath.path).toBe('checks[2].interval');
    expect(configErrorOf(() => every(-5)).message).toContain('got -5');
  });

  it('rejects jitter that is negative or not shorter than the interval', () => {
    const tooLong = configErrorOf(() => every('10s', { jitter: '10s', path: 'checks[0]' }));
    expect(tooLong.path).toBe('checks[0].jitter');
    expect(tooLong.message).toContain('shorter than the interval (10000ms)');
    expect(configErrorOf(() => every('10s', { jitter: -1 })).message).toContain('jitter');
    expect(every('10s', { jitter: '9999ms' }).jitterMs).toBe(9_999);
  });
});

describe('cron', () => {
  it('accepts 5 and 6 field expressions and a time zone', () => {
    expect(cron('*/5 * * * *')).toEqual({ type: 'cron', expression: '*/5 * * * *' });
    expect(cron('0 0 9 * * 1-5', { timezone: 'Europe/Berlin' })).toEqual({
      type: 'cron',
      expression: '0 0 9 * * 1-5',
      timezone: 'Europe/Berlin',
    });
  });

  it('rejects bad expressions eagerly and says what was expected', () => {
    const outOfRange = configErrorOf(() => cron('61 * * * *', { path: 'checks[1]' }));
    expect(outOfRange.path).toBe('checks[1].cron');
    expect(outOfRange.message).toMatch(/^\[core\] config: checks\[1\]\.cron: expected a cron expression with 5 fields/);
    expect(outOfRange.message).toContain('"61 * * * *"');
    expect(configErrorOf(() => cron('* * * *')).message).toContain('cron: expected');
    // Seven fields (with years) are beyond what the contract promises.
    expect(configErrorOf(() => cron('0 0 0 1 1 * 2030')).message).toContain('cron: expected');
  });

  it('rejects an unknown time zone, naming the field', () => {
    const error = configErrorOf(() => cron('0 9 * * *', { timezone: 'Mars/Olympus_Mons', path: 'checks[3]' }));
    expect(error.path).toBe('checks[3].timezone');
    expect(error.message).toContain('expected an IANA time zone');
  });

  it('computes next times in the given time zone, including daylight saving time', () => {
    const nineInBerlin = cron('0 9 * * *', { timezone: 'Europe/Berlin' });
    expect(nextCronTime(nineInBerlin, Date.UTC(2026, 0, 1))).toBe(Date.UTC(2026, 0, 1, 8));
    expect(nextCronTime(nineInBerlin, Date.UTC(2026, 6, 1))).toBe(Date.UTC(2026, 6, 1, 7));
    expect(nextCronTime(cron('0 9 * * *', { timezone: 'UTC' }), Date.UTC(2026, 0, 1))).toBe(Date.UTC(2026, 0, 1, 9));
  });

  it('returns times strictly after the given instant, and undefined when none is left', () => {
    const everyMinute = compileCron(cron('* * * * *'));
    expect(everyMinute.next(Date.UTC(2026, 0, 1, 0, 1))).toBe(Date.UTC(2026, 0, 1, 0, 2));
    expect(everyMinute.next(Date.UTC(2026, 0, 1, 0, 1) - 1)).toBe(Date.UTC(2026, 0, 1, 0, 1));
    expect(nextCronTime(cron('0 0 30 2 *'), Date.UTC(2026, 0, 1))).toBeUndefined();
  });
});

describe('assertValidTrigger', () => {
  it('accepts triggers from the factories and rejects malformed plain objects', () => {
    expect(() => assertValidTrigger(every('1s'))).not.toThrow();
    expect(() => assertValidTrigger(cron('@hourly'))).not.toThrow();
    expect(configErrorOf(() => assertValidTrigger({ type: 'every', intervalMs: 0, jitterMs: 0, splay: true })).path).toBe('trigger.intervalMs');
    expect(configErrorOf(() => assertValidTrigger({ type: 'every', intervalMs: 10, splay: true })).path).toBe('trigger.jitterMs');
    expect(configErrorOf(() => assertValidTrigger({ type: 'sometimes' })).message).toContain('trigger.type: expected "every" or "cron"');
    expect(configErrorOf(() => assertValidTrigger(null)).path).toBe('trigger.type');
  });
});

describe('splayOffset', () => {
  it('is deterministic and always inside the interval', () => {
    expect(splayOffset('check-1', 60_000)).toBe(splayOffset('check-1', 60_000));
    expect(splayOffset('check-1', 60_000)).not.toBe(splayOffset('check-2', 60_000));
    for (let index = 0; index < 1_000; index += 1) {
      const offset = splayOffset(`check-${index}`, 7_919);
      expect(Number.isInteger(offset)).toBe(true);
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(offset).toBeLessThan(7_919);
    }
    expect(splayOffset('anything', 0.5)).toBe(0);
  });

  it('spreads sequential ids evenly over the interval', () => {
    const buckets = new Array<number>(10).fill(0);
    for (let index = 0; index < 10_000; index += 1) {
      const bucket = Math.floor(splayOffset(`check-${index}`, 60_000) / 6_000);
      buckets[bucket] = (buckets[bucket] ?? 0) + 1;
    }
    // 1,000 expected per tenth of the interval; plain FNV-1a (no finaliser) ranges 851..1,142 here.
    for (const count of buckets) {
      expect(count).toBeGreaterThan(900);
      expect(count).toBeLessThan(1_100);
    }
  });
});
