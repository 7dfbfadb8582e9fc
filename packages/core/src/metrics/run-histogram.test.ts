import { describe, expect, it } from 'vitest';
import { decodeSnapshot, statsFromSnapshot } from './codec.js';
import { createRunHistogram } from './run-histogram.js';

describe('createRunHistogram', () => {
  it('summarizes one run: percentiles, exact mean and stddev, jitter and the snapshot', () => {
    const histogram = createRunHistogram('rtt', 'ms', { region: 'eu' });
    // Ping-like round trips below 2.048 ms, where microseconds are exact.
    const values = [1.2, 1.25, 1.1, 1.9, 1.3];
    for (const value of values) histogram.record(value);
    expect(histogram.count).toBe(5);
    const summary = histogram.summarize();
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    const stddev = Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length);
    expect(summary).toMatchObject({ type: 'histogram', name: 'rtt', unit: 'ms', tags: { region: 'eu' }, count: 5, min: 1.1, max: 1.9, p50: 1.25, p90: 1.9, p99: 1.9 });
    expect(summary.mean).toBeCloseTo(mean, 12);
    expect(summary.stddev).toBeCloseTo(stddev, 12);
    // |1.25-1.2| + |1.1-1.25| + |1.9-1.1| + |1.3-1.9| = 1.6 over 4 pairs.
    expect(summary.jitter).toBeCloseTo(0.4, 12);
    const decoded = decodeSnapshot(summary.snapshot);
    expect(decoded.totalCount).toBe(5);
    expect(decoded.buckets.map((bucket) => bucket.lowestValue)).toEqual([1100, 1200, 1250, 1300, 1900]);
    expect(statsFromSnapshot(summary.snapshot).p50).toBe(summary.p50);
  });

  it('stores other units as whole numbers and omits tags when none are given', () => {
    const histogram = createRunHistogram('size', 'bytes');
    for (const value of [512, 1024, 1024.4]) histogram.record(value);
    const summary = histogram.summarize();
    expect('tags' in summary).toBe(false);
    expect(summary).toMatchObject({ unit: 'bytes', count: 3, min: 512, max: 1024, p50: 1024 });
    expect(statsFromSnapshot(summary.snapshot, { scale: 1 }).max).toBe(1024);
  });

  it('reports NaN for an empty run and keeps counting after a summary', () => {
    const histogram = createRunHistogram('duration');
    const empty = histogram.summarize();
    expect(empty.count).toBe(0);
    expect(empty.p50).toBeNaN();
    expect(empty.jitter).toBeNaN();
    expect(decodeSnapshot(empty.snapshot).totalCount).toBe(0);
    histogram.record(1);
    histogram.summarize();
    histogram.record(2);
    expect(histogram.summarize()).toMatchObject({ count: 2, min: 1, max: 2, jitter: 1 });
  });
});
