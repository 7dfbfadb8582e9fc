import { describe, expect, it } from 'vitest';
import type { IntervalTotals } from './interval-accumulator.js';
import { IntervalRing } from './interval-ring.js';

function totals(count: number): IntervalTotals {
  return { count, okCount: count, sampleCount: count, sum: count, sumOfSquares: count, absoluteDifferenceSum: 0, differenceCount: 0 };
}

/** Interval starts from the newest to the oldest held. */
function startsNewestFirst(ring: IntervalRing): number[] {
  return Array.from({ length: ring.size }, (_unused, age) => ring.start(ring.positionOf(age)));
}

describe('IntervalRing', () => {
  it('grows while filling, keeps every interval in order, then overwrites the oldest at capacity', () => {
    const ring = new IntervalRing(10);
    for (let interval = 0; interval < 9; interval += 1) {
      ring.push(interval * 60, interval * 60 + 60, totals(interval), `payload-${interval}`);
      expect(startsNewestFirst(ring)).toEqual(Array.from({ length: interval + 1 }, (_unused, age) => (interval - age) * 60));
    }
    ring.markEmitted(ring.positionOf(8));
    for (let interval = 9; interval < 23; interval += 1) ring.push(interval * 60, interval * 60 + 60, totals(interval), `payload-${interval}`);
    expect(ring.size).toBe(10);
    expect(startsNewestFirst(ring)).toEqual(Array.from({ length: 10 }, (_unused, age) => (22 - age) * 60));
    const newest = ring.positionOf(0);
    expect(ring.payload(newest)).toBe('payload-22');
    expect(ring.count(ring.positionOf(9))).toBe(13);
    // Emitted flags and totals travel with their slot through growth.
    expect(Array.from({ length: 10 }, (_unused, age) => ring.isEmitted(ring.positionOf(age)))).toEqual(Array(10).fill(false));
  });

  it('keeps emitted marks across growth', () => {
    const ring = new IntervalRing(62);
    for (let interval = 0; interval < 4; interval += 1) ring.push(interval, interval + 1, totals(1), 'x');
    ring.markEmitted(ring.positionOf(3));
    ring.markEmitted(ring.positionOf(2));
    ring.push(4, 5, totals(1), 'x');
    expect(Array.from({ length: 5 }, (_unused, age) => ring.isEmitted(ring.positionOf(age)))).toEqual([false, false, false, true, true]);
    const sum = totals(0);
    for (let age = 0; age < ring.size; age += 1) ring.addTotalsTo(ring.positionOf(age), sum);
    expect(sum.count).toBe(5);
  });
});
