import { describe, expect, it } from 'vitest';
import { checkBackend } from './histogram-backend.js';
import { IntervalAccumulator, PROMOTION_THRESHOLD } from './interval-accumulator.js';
import { histogramLayout } from './layout.js';

const layout = histogramLayout(1, 3);

function accumulator(backend: 'js' | 'wasm' = 'js'): IntervalAccumulator {
  // checkBackend instantiates WebAssembly for 'wasm', as the engine does before any accumulator exists.
  return new IntervalAccumulator({ layout, backend: checkBackend(backend) }, 1000);
}

/** Sums and jitter computed directly from the sequence (what the accumulator must match). */
function reference(values: readonly number[]): { sum: number; sumOfSquares: number; absoluteDifferenceSum: number; differenceCount: number } {
  let absoluteDifferenceSum = 0;
  for (let index = 1; index < values.length; index += 1) absoluteDifferenceSum += Math.abs((values[index] as number) - (values[index - 1] as number));
  return {
    sum: values.reduce((sum, value) => sum + value, 0),
    sumOfSquares: values.reduce((sum, value) => sum + value * value, 0),
    absoluteDifferenceSum,
    differenceCount: Math.max(0, values.length - 1),
  };
}

describe('IntervalAccumulator', () => {
  it.each(['js', 'wasm'] as const)('gives the same totals and buckets buffered or live (%s)', (backend) => {
    const values = Array.from({ length: 3 * PROMOTION_THRESHOLD + 17 }, (_, index) => 1 + ((index * 7919) % 5000) / 7);
    const busy = accumulator(backend);
    for (const value of values) busy.record(value, true);
    expect(busy.isLive).toBe(true);
    const totals = busy.totals();
    const expected = reference(values);
    expect(totals.count).toBe(values.length);
    expect(totals.sampleCount).toBe(values.length);
    expect(totals.sum).toBeCloseTo(expected.sum, 6);
    expect(totals.sumOfSquares / expected.sumOfSquares).toBeCloseTo(1, 12);
    expect(totals.absoluteDifferenceSum).toBeCloseTo(expected.absoluteDifferenceSum, 6);
    expect(totals.differenceCount).toBe(expected.differenceCount);
    // The same values, one interval at a time below the promotion threshold, land in the same buckets.
    const quiet = accumulator(backend);
    const merged = new Map<number, number>();
    for (let start = 0; start < values.length; start += 500) {
      for (const value of values.slice(start, start + 500)) quiet.record(value, true);
      expect(quiet.isLive).toBe(false);
      const counts = quiet.counts();
      counts.indices.forEach((index, position) => merged.set(index, (merged.get(index) ?? 0) + (counts.counts[position] as number)));
      quiet.resetInterval();
    }
    const busyCounts = busy.counts();
    expect(busyCounts.total).toBe(values.length);
    expect(new Map(busyCounts.indices.map((index, position) => [index, busyCounts.counts[position] as number]))).toEqual(merged);
  });

  it('skips values that are not numbers, clamps negatives to 0 and saturates huge values', () => {
    const values = accumulator();
    values.record(1, true);
    values.record(Number.NaN, false);
    values.record(3, true);
    values.record(-2, true);
    values.record(Number.POSITIVE_INFINITY, true);
    const totals = values.totals();
    expect(totals).toMatchObject({ count: 5, okCount: 4, sampleCount: 4 });
    // Pairs: (1, 3), (3, 0), (0, largest): the non-number is no value at all.
    const largest = 2 ** 42 / 1000;
    expect(totals.absoluteDifferenceSum).toBeCloseTo(2 + 3 + largest, 3);
    const counts = values.counts();
    expect(counts.total).toBe(4);
    expect(layout.lowestValueAt(counts.indices[0] as number)).toBe(0);
    const top = counts.indices[counts.indices.length - 1] as number;
    expect(layout.lowestValueAt(top)).toBeLessThanOrEqual(2 ** 42);
    expect(layout.highestValueAt(top)).toBeGreaterThanOrEqual(2 ** 42);
  });

  it('keeps jitter in recording order across bulk and single values', () => {
    const values = accumulator();
    values.record(10, true);
    values.recordWithCount(12, 3, true);
    values.record(11, true);
    const totals = values.totals();
    // 10, 12, 12, 12, 11: differences 2, 0, 0, 1.
    expect(totals).toMatchObject({ count: 5, sampleCount: 5, absoluteDifferenceSum: 3, differenceCount: 4 });
    let smoothed = 0;
    for (const difference of [2, 0, 0, 1]) smoothed += (difference - smoothed) / 16;
    expect(values.smoothedJitter()).toBeCloseTo(smoothed, 12);
  });

  it('shrinks back to buffering once quiet, and drops values after release', () => {
    const values = accumulator('wasm');
    for (let index = 0; index <= PROMOTION_THRESHOLD; index += 1) values.record(index, true);
    expect(values.isLive).toBe(true);
    values.resetInterval();
    expect(values.isLive).toBe(true);
    values.record(5, true);
    values.resetInterval();
    expect(values.isLive).toBe(false);
    values.release();
    values.release();
    for (let index = 0; index < 2 * PROMOTION_THRESHOLD; index += 1) values.record(index, true);
    expect(values.isLive).toBe(false);
    expect(values.counts().total).toBeLessThanOrEqual(8);
  });
});
