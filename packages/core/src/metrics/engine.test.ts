import { type FakeClock, createFakeClock } from '@vigil/test-utils';
import { WasmHistogram } from 'hdr-histogram-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VigilError } from '../errors/vigil-error.js';
import { decodeSnapshot, mergeSnapshots, statsFromSnapshot } from './codec.js';
import { createMetricsEngine, seriesKey } from './engine.js';
import { PROMOTION_THRESHOLD } from './interval-accumulator.js';
import { createRunHistogram } from './run-histogram.js';
import type { MetricsEngine, MetricsEngineOptions } from './types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const START = Date.UTC(2026, 0, 1); // a wall-clock minute boundary

let engines: MetricsEngine[] = [];
afterEach(() => {
  for (const engine of engines) engine.destroy();
  engines = [];
  vi.restoreAllMocks();
});

function setup(options: Omit<MetricsEngineOptions, 'clock'> = {}, startAt = START): { clock: FakeClock; engine: MetricsEngine } {
  const clock = createFakeClock(startAt);
  const engine = createMetricsEngine({ clock, ...options });
  engines.push(engine);
  return { clock, engine };
}

function expectCode(action: () => unknown, code: string, message: RegExp): void {
  try {
    action();
  } catch (error) {
    expect(VigilError.hasCode(error, code)).toBe(true);
    expect((error as Error).message).toMatch(message);
    return;
  }
  expect.unreachable('expected a VigilError');
}

describe('series', () => {
  it('keys durations by check id and other metrics as checkId/metric', () => {
    const { engine } = setup();
    expect(seriesKey('web')).toBe('web');
    expect(seriesKey('web', 'rtt')).toBe('web/rtt');
    const duration = engine.series({ checkId: 'web', tags: { env: 'prod' } });
    const rtt = engine.series({ checkId: 'web', metric: 'rtt' });
    expect([duration.key, duration.metric, duration.unit, duration.tags]).toEqual(['web', 'duration', 'ms', { env: 'prod' }]);
    expect(rtt.key).toBe('web/rtt');
    expect(engine.series({ checkId: 'web', tags: { env: 'other' } })).toBe(duration);
    expect(engine.get('web/rtt')).toBe(rtt);
    expect(engine.keys()).toEqual(['web', 'web/rtt']);
    expect(engine.remove('web/rtt')).toBe(true);
    expect(engine.remove('web/rtt')).toBe(false);
    expect(engine.get('web/rtt')).toBeUndefined();
  });

  it('refuses a key taken by another check or metric, and a second unit', () => {
    const { engine } = setup();
    engine.series({ checkId: 'a/b' });
    expectCode(() => engine.series({ checkId: 'a', metric: 'b' }), 'VIGIL_ERR_METRICS', /taken by check "a\/b"/);
    engine.series({ checkId: 'web', metric: 'size', unit: 'bytes' });
    expectCode(() => engine.series({ checkId: 'web', metric: 'size', unit: 'ms' }), 'VIGIL_ERR_METRICS', /records bytes, not ms/);
    expectCode(() => engine.series({ checkId: '' }), 'VIGIL_ERR_METRICS', /checkId must be a non-empty string/);
  });

  it('records run durations and scheduling lag as separate series', () => {
    const { engine } = setup();
    // Values below 2.048 ms are exact to the microsecond at 3 significant digits.
    engine.recordRun({ checkId: 'web', durationMs: 1.2, ok: true, lagMs: 0.003 });
    engine.recordRun({ checkId: 'web', durationMs: 0.8, ok: false, lagMs: 1.75 });
    expect(engine.keys()).toEqual(['web', 'web/lag']);
    expect(engine.get('web')?.stats()).toMatchObject({ count: 2, okCount: 1, sampleCount: 2, min: 0.8, max: 1.2 });
    expect(engine.get('web/lag')?.stats()).toMatchObject({ count: 2, okCount: 2, min: 0.003, max: 1.75 });
  });

  it('counts outcomes without values, ignores non-numbers and clamps negatives to 0', () => {
    const { engine } = setup();
    const series = engine.series({ checkId: 'web' });
    series.record(1);
    series.record(1.5, true);
    series.recordOutcome(false);
    series.record(Number.NaN, false);
    series.record(-4);
    const stats = series.stats();
    expect(stats).toMatchObject({ count: 5, okCount: 3, successRatio: 0.6, sampleCount: 3, min: 0, max: 1.5, p50: 1 });
    expect(stats.mean).toBeCloseTo(2.5 / 3, 12);
  });

  it('reports NaN for statistics of nothing', () => {
    const { engine } = setup();
    const stats = engine.series({ checkId: 'idle' }).stats();
    expect(stats.count).toBe(0);
    for (const value of [stats.successRatio, stats.min, stats.max, stats.mean, stats.stddev, stats.p50, stats.p999, stats.jitter]) expect(value).toBeNaN();
  });

  it('rejects bad windows and percentiles', () => {
    const { engine } = setup();
    const series = engine.series({ checkId: 'web' });
    expectCode(() => series.stats(0), 'VIGIL_ERR_METRICS', /window must be a positive number/);
    expectCode(() => series.stats('hour' as unknown as number), 'VIGIL_ERR_METRICS', /window must be/);
    expectCode(() => series.percentile(101), 'VIGIL_ERR_METRICS', /between 0 and 100/);
  });
});

describe('jitter', () => {
  it('is the mean absolute difference of consecutive values, plus the RFC 3550 running estimate', () => {
    const { engine } = setup();
    const series = engine.series({ checkId: 'web' });
    for (const value of [10, 12, 11, 15]) series.record(value);
    // |12-10| + |11-12| + |15-11| = 7 over 3 pairs.
    expect(series.stats().jitter).toBeCloseTo(7 / 3, 12);
    let smoothed = 0;
    for (const difference of [2, 1, 4]) smoothed += (difference - smoothed) / 16;
    expect(series.smoothedJitter()).toBeCloseTo(smoothed, 12);
  });

  it('spans interval boundaries and counts a pair in the window of its later value', async () => {
    const { clock, engine } = setup();
    const series = engine.series({ checkId: 'web' });
    series.record(10);
    series.record(12);
    await clock.advance(MINUTE);
    series.record(11);
    series.record(15);
    expect(series.stats().jitter).toBeCloseTo(7 / 3, 12);
    await clock.advance(MINUTE);
    // The last minute holds 11 and 15, whose pairs are (12, 11) and (11, 15).
    expect(series.stats(MINUTE).jitter).toBeCloseTo(5 / 2, 12);
  });

  it('is 0 for a single value and repeats of one value', () => {
    const { engine } = setup();
    const series = engine.series({ checkId: 'web' });
    series.record(5);
    expect(series.stats().jitter).toBe(0);
    series.recordWithCount(9, 3);
    // Pairs: |9-5| then two repeats: 4 / 3.
    expect(series.stats().jitter).toBeCloseTo(4 / 3, 12);
  });
});

describe('rolling windows', () => {
  it('drop a value exactly one window after the end of its interval', async () => {
    const { clock, engine } = setup();
    const series = engine.series({ checkId: 'web' });
    await clock.advance(10_000);
    series.record(1.25); // in [0:00, 0:01)
    await clock.advance(MINUTE - 10_000 + 30_000); // 0:01:30, one value in the next interval
    series.record(0.4);
    expect(series.stats(MINUTE)).toMatchObject({ sampleCount: 2, max: 1.25 });
    await clock.advance(MINUTE - 30_000 - 1); // 0:01:59.999
    expect(series.stats(MINUTE)).toMatchObject({ sampleCount: 2, max: 1.25 });
    await clock.advance(1); // 0:02:00: 0:01 + 1 min
    expect(series.stats(MINUTE)).toMatchObject({ sampleCount: 1, max: 0.4 });
    expect(series.stats(5 * MINUTE).sampleCount).toBe(2);
    await clock.advance(4 * MINUTE - 1); // 0:05:59.999
    expect(series.stats(5 * MINUTE).sampleCount).toBe(2);
    await clock.advance(1); // 0:06:00: 0:01 + 5 min
    expect(series.stats(5 * MINUTE)).toMatchObject({ sampleCount: 1, max: 0.4 });
    expect(series.stats(HOUR).sampleCount).toBe(2);
    await clock.advance(HOUR);
    expect(series.stats(HOUR).sampleCount).toBe(0);
    expect(series.stats('all')).toMatchObject({ sampleCount: 2, max: 1.25, min: 0.4 });
  });

  it('report the span they cover and the run rate over it', async () => {
    const { clock, engine } = setup();
    const series = engine.series({ checkId: 'web' });
    for (let run = 0; run < 12; run += 1) {
      series.record(20);
      await clock.advance(10_000);
    }
    // Now 0:02:00; the 1-minute window reaches back to the interval that ended after 0:01:00.
    const lastMinute = series.stats(MINUTE);
    expect(lastMinute).toMatchObject({ windowMs: MINUTE, count: 6 });
    expect(lastMinute.throughputPerSecond).toBeCloseTo(0.1, 12);
    const all = series.stats('all');
    expect(all).toMatchObject({ windowMs: 2 * MINUTE, count: 12 });
    // Windows older than the series start at its creation.
    expect(series.stats(HOUR).windowMs).toBe(2 * MINUTE);
  });

  it('clamp windows longer than what is retained', async () => {
    const { clock, engine } = setup({ windowsMs: [2 * MINUTE] });
    const series = engine.series({ checkId: 'web' });
    for (let minute = 0; minute < 10; minute += 1) {
      series.record(minute + 1);
      await clock.advance(MINUTE);
    }
    // Retained: the 2-minute window plus its start and one spare interval.
    const stats = series.stats(HOUR);
    expect(stats.windowMs).toBe(3 * MINUTE);
    expect(stats.sampleCount).toBe(3);
  });

  it('close intervals on the query when no timer ran (manual rotation)', () => {
    const { clock, engine } = setup({ rotation: 'manual' });
    expect(clock.pendingTimers).toBe(0);
    const series = engine.series({ checkId: 'web' });
    series.record(7);
    clock.setNow(START + 3 * MINUTE);
    expect(series.stats(MINUTE).sampleCount).toBe(0);
    expect(series.stats(4 * MINUTE).sampleCount).toBe(1);
  });
});

describe('collectSnapshots', () => {
  it('emits each closed wall-clock interval once, per series with runs', async () => {
    const { clock, engine } = setup({}, START + 17_000); // created at 0:00:17
    const web = engine.series({ checkId: 'web', tags: { env: 'prod' } });
    const dns = engine.series({ checkId: 'dns' });
    engine.series({ checkId: 'idle' });
    await clock.advance(3_000);
    web.record(12.5);
    web.recordOutcome(false);
    dns.recordOutcome(false);
    await clock.advance(30_000);
    web.record(14);
    expect(engine.collectSnapshots()).toEqual([]); // 0:00:50, nothing ended yet
    await clock.advance(10_001); // 0:01:00.001
    const records = engine.collectSnapshots();
    expect(records.map(({ histogram: _histogram, ...rest }) => rest)).toEqual([
      { type: 'snapshot', series: 'web', checkId: 'web', metric: 'duration', unit: 'ms', tags: { env: 'prod' }, start: START, end: START + MINUTE, count: 3, okCount: 2 },
      { type: 'snapshot', series: 'dns', checkId: 'dns', metric: 'duration', unit: 'ms', tags: {}, start: START, end: START + MINUTE, count: 1, okCount: 0 },
    ]);
    const webHistogram = decodeSnapshot(records[0]?.histogram ?? '');
    expect(webHistogram.totalCount).toBe(2);
    expect(webHistogram.buckets.map((bucket) => bucket.lowestValue)).toEqual([12_496, 14_000]); // microseconds
    expect(decodeSnapshot(records[1]?.histogram ?? '').totalCount).toBe(0);
    expect(engine.collectSnapshots()).toEqual([]);
    await clock.advance(5 * MINUTE);
    expect(engine.collectSnapshots()).toEqual([]); // quiet intervals emit nothing
  });

  it('closes intervals up to an explicit now, and the open one on request', () => {
    const { engine } = setup({ rotation: 'manual' });
    const series = engine.series({ checkId: 'web' });
    series.record(1);
    expect(engine.collectSnapshots(START + 30_000, { includeOpen: true }).map((record) => [record.start, record.end, record.count])).toEqual([[START, START + 30_000, 1]]);
    series.record(2);
    series.record(3);
    expect(engine.collectSnapshots(START + MINUTE).map((record) => [record.start, record.end, record.count])).toEqual([[START + 30_000, START + MINUTE, 2]]);
    expect(series.stats(MINUTE).sampleCount).toBe(3);
  });

  it('merge back into exactly the hour that was recorded', async () => {
    const { clock, engine } = setup();
    const series = engine.series({ checkId: 'web' });
    const reference = createRunHistogram('duration', 'ms');
    let seed = 17;
    const next = (): number => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    const minuteSnapshots: string[] = [];
    let runs = 0;
    for (let minute = 0; minute < 60; minute += 1) {
      // A burst in minute 30 pushes the series through a live histogram and back.
      const runsThisMinute = minute === 30 ? PROMOTION_THRESHOLD + 500 : 1 + Math.floor(next() * 8);
      for (let run = 0; run < runsThisMinute; run += 1) {
        const value = 5 + next() ** 3 * 2000;
        series.record(value, next() > 0.1);
        reference.record(value);
        runs += 1;
      }
      await clock.advance(MINUTE);
      const records = engine.collectSnapshots();
      expect(records.map((record) => [record.start, record.end])).toEqual([[START + minute * MINUTE, START + (minute + 1) * MINUTE]]);
      minuteSnapshots.push(...records.map((record) => record.histogram));
    }
    const merged = mergeSnapshots(minuteSnapshots);
    expect(merged).toBe(series.snapshot('all'));
    expect(merged).toBe(series.snapshot(HOUR));
    expect(merged).toBe(reference.summarize().snapshot);
    expect(statsFromSnapshot(merged).count).toBe(runs);
    expect(engine.usage().liveHistogramCount).toBe(0);
  });
});

describe('lifecycle', () => {
  it('runs one rotation timer and destroy stops it, idempotently', async () => {
    const { clock, engine } = setup();
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(3 * MINUTE);
    expect(clock.pendingTimers).toBe(1);
    engine.series({ checkId: 'web' }).record(3);
    engine.destroy();
    engine.destroy();
    expect(clock.pendingTimers).toBe(0);
    expect(engine.keys()).toEqual([]);
    expect(engine.collectSnapshots()).toEqual([]);
    expectCode(() => engine.series({ checkId: 'web' }), 'VIGIL_ERR_SHUT_DOWN', /destroyed/);
  });

  it('frees WebAssembly histograms on demotion, removal and destroy', async () => {
    const destroy = vi.spyOn(WasmHistogram.prototype, 'destroy');
    const { clock, engine } = setup({ histogramBackend: 'wasm' });
    const busy = (key: string): void => {
      const series = engine.series({ checkId: key });
      for (let value = 0; value <= PROMOTION_THRESHOLD; value += 1) series.record(value / 10);
    };
    busy('a');
    busy('b');
    busy('c');
    expect(engine.usage().liveHistogramCount).toBe(3);
    engine.remove('a');
    expect(destroy).toHaveBeenCalledTimes(1);
    await clock.advance(MINUTE); // b and c stay live: they were busy
    expect(engine.usage().liveHistogramCount).toBe(2);
    engine.series({ checkId: 'b' }).record(1);
    busy('c');
    await clock.advance(MINUTE); // b was quiet: back to buffering; c stays live
    expect(destroy).toHaveBeenCalledTimes(2);
    expect(engine.usage().liveHistogramCount).toBe(1);
    engine.destroy();
    expect(destroy).toHaveBeenCalledTimes(3);
  });

  it('validates its options', () => {
    expectCode(() => createMetricsEngine({ significantDigits: 6 }), 'VIGIL_ERR_CONFIG', /metrics\.significantDigits/);
    expectCode(() => createMetricsEngine({ snapshotIntervalMs: 0 }), 'VIGIL_ERR_CONFIG', /metrics\.snapshotIntervalMs/);
    expectCode(() => createMetricsEngine({ windowsMs: [] }), 'VIGIL_ERR_CONFIG', /metrics\.windowsMs/);
    expectCode(() => createMetricsEngine({ histogramBackend: 'gpu' as 'js' }), 'VIGIL_ERR_CONFIG', /metrics\.histogramBackend/);
  });
});

describe('beyond 8.5M values (no packed counts)', () => {
  it.each(['js', 'wasm'] as const)('keeps exact percentiles and counts with the %s backend', (backend) => {
    const { engine } = setup({ histogramBackend: backend });
    const series = engine.series({ checkId: 'web' });
    const groups: [number, number][] = [
      [10, 9_000_000],
      [100, 900_000],
      [1000, 99_000],
      [5000, 1_000],
    ];
    for (const [value, count] of groups) series.recordWithCount(value, count);
    const stats = series.stats();
    expect(stats.count).toBe(10_000_000);
    expect(stats.sampleCount).toBe(10_000_000);
    // Cumulative shares: 90% at 10 ms, 99% at 100 ms, 99.99% at 1 s, the rest at 5 s.
    const expected = { p50: 10, p90: 10, p95: 100, p99: 100, p999: 1000, max: 5000 };
    for (const [name, value] of Object.entries(expected)) {
      const reported = stats[name as keyof typeof expected];
      expect(reported).toBeGreaterThanOrEqual(value);
      expect(reported).toBeLessThan(value * 1.001);
    }
    expect(stats.mean).toBeCloseTo((10 * 9_000_000 + 100 * 900_000 + 1000 * 99_000 + 5000 * 1_000) / 10_000_000, 9);
  });
});
