import { createFakeClock } from '@vigil/test-utils';
import { describe, expect, it } from 'vitest';
import { statsFromSnapshot } from './codec.js';
import { createMetricsEngine } from './engine.js';
import { PROMOTION_THRESHOLD } from './interval-accumulator.js';
import { createRunHistogram } from './run-histogram.js';
import type { HistogramBackend } from './types.js';

function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const random = randomSource(2026);
const normal = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

/** Latency-like distributions in milliseconds. */
const distributions: Record<string, (count: number) => number[]> = {
  'uniform 0-1000 ms': (count) => Array.from({ length: count }, () => random() * 1000),
  'exponential, mean 40 ms': (count) => Array.from({ length: count }, () => -40 * Math.log(1 - random())),
  'log-normal around 120 ms': (count) => Array.from({ length: count }, () => Math.exp(Math.log(120) + 0.6 * normal())),
  'bimodal 3 ms / 900 ms': (count) => Array.from({ length: count }, () => (random() < 0.9 ? 3 + random() : 900 + 100 * random())),
  'sub-2 ms (microsecond exact)': (count) => Array.from({ length: count }, () => Math.round(random() * 2000) / 1000),
  'Pareto tail (timeouts up to minutes)': (count) => Array.from({ length: count }, () => Math.min(600_000, 5 / (1 - random()) ** 1.3)),
  constant: (count) => Array.from({ length: count }, () => 42.42),
};

/** The nearest-rank percentile of the exact data: what a histogram approximates. */
function exactPercentile(sorted: readonly number[], percentile: number): number {
  // Integer arithmetic: (99.9 / 100) * 20000 is 19980.000000000004 in floating point.
  const rank = Math.ceil((Math.round(percentile * 1000) * sorted.length) / 100_000);
  return sorted[Math.max(0, rank - 1)] as number;
}

/**
 * A histogram value (ms) stands for its bucket's top: never below the exact value (less half a
 * microsecond of rounding to whole microseconds), never above it by more than the bucket width,
 * which at 3 significant digits is under 1/1000 of the value (plus that rounding and one unit).
 */
function expectWithinPrecision(reported: number, exact: number): void {
  expect(reported).toBeGreaterThanOrEqual(exact - 0.0005);
  expect(reported).toBeLessThanOrEqual(exact + exact / 1000 + 0.0015);
}

/** The reported min is its bucket's bottom: never above the exact value, below it by less than a bucket. */
function expectMinWithinPrecision(reported: number, exact: number): void {
  expect(reported).toBeLessThanOrEqual(exact + 0.0005);
  expect(reported).toBeGreaterThanOrEqual(exact - exact / 1000 - 0.0015);
}

const percentilesOf = (stats: { p50: number; p90: number; p95: number; p99: number; p999: number }): number[] => [stats.p50, stats.p90, stats.p95, stats.p99, stats.p999];

describe.each(Object.entries(distributions))('percentiles of %s', (_name, generate) => {
  it.each([
    ['buffered values', 200],
    ['a live histogram', 20_000],
  ])('match the sorted data within the histogram precision (%s)', (_mode, count) => {
    const values = generate(count);
    const sorted = [...values].sort((left, right) => left - right);
    const exact = [50, 90, 95, 99, 99.9].map((percentile) => exactPercentile(sorted, percentile));
    const exactMean = values.reduce((sum, value) => sum + value, 0) / values.length;
    const exactStddev = Math.sqrt(values.reduce((sum, value) => sum + (value - exactMean) ** 2, 0) / values.length);

    const snapshots: string[] = [];
    for (const backend of ['js', 'wasm'] as HistogramBackend[]) {
      const engine = createMetricsEngine({ clock: createFakeClock(), histogramBackend: backend, rotation: 'manual' });
      const series = engine.series({ checkId: 'web' });
      for (const value of values) series.record(value);
      expect(engine.usage().liveHistogramCount).toBe(count > PROMOTION_THRESHOLD ? 1 : 0);
      const stats = series.stats();
      expect(stats.sampleCount).toBe(count);
      percentilesOf(stats).forEach((reported, index) => expectWithinPrecision(reported, exact[index] as number));
      expectMinWithinPrecision(stats.min, sorted[0] as number);
      expectWithinPrecision(stats.max, sorted[sorted.length - 1] as number);
      // Mean and stddev come from running sums: exact up to floating-point round-off.
      expect(stats.mean).toBeCloseTo(exactMean, 6);
      expect(stats.stddev).toBeCloseTo(exactStddev, 4);
      expect(series.percentile(99.9)).toBe(stats.p999);
      snapshots.push(series.snapshot());
      engine.destroy();
    }
    const run = createRunHistogram('duration', 'ms');
    for (const value of values) run.record(value);
    snapshots.push(run.summarize().snapshot);

    // Buffered or live, JS or WebAssembly, series or run histogram: the same histogram.
    expect(new Set(snapshots).size).toBe(1);
    const fromSnapshot = statsFromSnapshot(snapshots[0] as string);
    expect(fromSnapshot.count).toBe(count);
    percentilesOf(fromSnapshot).forEach((reported, index) => expectWithinPrecision(reported, exact[index] as number));
  });
});
