import { deflateSync, inflateSync } from 'node:zlib';
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors/vigil-error.js';
import { decodeSnapshot, encodeSnapshot, mergeSnapshots, statsFromSnapshot } from './codec.js';
import { createRunHistogram } from './run-histogram.js';

/** A small deterministic PRNG (mulberry32) so failures reproduce. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Encodes integer values (raw units) through a run histogram of a unitless series. */
function snapshotOf(values: readonly number[]): string {
  const histogram = createRunHistogram('values', 'count');
  for (const value of values) histogram.record(value);
  return histogram.summarize().snapshot;
}

function expectMetricsError(action: () => unknown, message: RegExp): void {
  try {
    action();
  } catch (error) {
    expect(VigilError.hasCode(error, 'VIGIL_ERR_METRICS')).toBe(true);
    expect((error as Error).message).toMatch(/^\[core\] metrics: /);
    expect((error as Error).message).toMatch(message);
    return;
  }
  expect.unreachable('expected a VigilError');
}

describe('encodeSnapshot / decodeSnapshot', () => {
  it('round-trips buckets, counts and header fields', () => {
    const snapshot = {
      significantDigits: 3,
      lowestDiscernibleValue: 1,
      highestTrackableValue: 3_600_000_000,
      buckets: [
        { lowestValue: 0, count: 2 },
        { lowestValue: 7, count: 1 },
        { lowestValue: 2047, count: 5 },
        { lowestValue: 123_456, count: 3 },
        { lowestValue: 9_000_000, count: 2 ** 40 },
      ].map((bucket) => ({ ...bucket, highestValue: bucket.lowestValue })),
    };
    const decoded = decodeSnapshot(encodeSnapshot(snapshot));
    expect(decoded.significantDigits).toBe(3);
    expect(decoded.lowestDiscernibleValue).toBe(1);
    expect(decoded.highestTrackableValue).toBe(3_600_000_000);
    expect(decoded.totalCount).toBe(2 + 1 + 5 + 3 + 2 ** 40);
    expect(decoded.buckets.map((bucket) => bucket.count)).toEqual([2, 1, 5, 3, 2 ** 40]);
    // Values below 2048 are exact at 3 digits; above, the bucket brackets the value within 0.1%.
    expect(decoded.buckets.slice(0, 3).map((bucket) => [bucket.lowestValue, bucket.highestValue])).toEqual([
      [0, 0],
      [7, 7],
      [2047, 2047],
    ]);
    const large = decoded.buckets[3];
    expect(large?.lowestValue).toBeLessThanOrEqual(123_456);
    expect(large?.highestValue).toBeGreaterThanOrEqual(123_456);
    expect((large?.highestValue ?? 0) - (large?.lowestValue ?? 0)).toBeLessThan(123_456 / 1000);
    // Re-encoding the decoded form gives the identical string.
    expect(encodeSnapshot(decoded)).toBe(encodeSnapshot(snapshot));
  });

  it('writes the header Java writes: offset 0, conversion ratio 1.0 as a double, tight highest value', () => {
    const bytes = Buffer.from(snapshotOf([5, 900, 70_000]), 'base64');
    expect(bytes.readUInt32BE(0)).toBe(0x1c849314);
    const inner = inflateSync(bytes.subarray(8, 8 + bytes.readInt32BE(4)));
    expect(inner.readUInt32BE(0)).toBe(0x1c849313);
    expect(inner.readInt32BE(4)).toBe(inner.length - 40);
    expect(inner.readInt32BE(8)).toBe(0);
    expect(inner.readInt32BE(12)).toBe(3);
    expect(inner.readBigInt64BE(16)).toBe(1n);
    const highest = Number(inner.readBigInt64BE(24));
    expect(highest).toBeGreaterThanOrEqual(70_000);
    expect(highest).toBeLessThan(70_100);
    expect(inner.readDoubleBE(32)).toBe(1);
  });

  it('is read by hdr-histogram-js with the same count and percentiles', () => {
    const random = randomSource(7);
    const values = Array.from({ length: 5_000 }, () => Math.floor(random() ** 3 * 5_000_000));
    const encoded = snapshotOf(values);
    const reference = build({ bitBucketSize: 64, numberOfSignificantValueDigits: 3 });
    for (const value of values) reference.recordValue(value);
    const theirs = decodeFromCompressedBase64(encoded, 64);
    expect(theirs.totalCount).toBe(values.length);
    for (const percentile of [0, 1, 25, 50, 90, 99, 99.9, 100]) {
      expect(theirs.getValueAtPercentile(percentile)).toBe(reference.getValueAtPercentile(percentile));
    }
  });

  it('reads what hdr-histogram-js writes, despite its non-standard header', () => {
    const random = randomSource(11);
    const histogram = build({ bitBucketSize: 32, numberOfSignificantValueDigits: 3 });
    for (let index = 0; index < 5_000; index += 1) histogram.recordValue(Math.floor(random() * 90_000_000));
    const ours = statsFromSnapshot(encodeIntoCompressedBase64(histogram), { scale: 1 });
    expect(ours.count).toBe(5_000);
    expect(ours.p50).toBe(histogram.getValueAtPercentile(50));
    expect(ours.p99).toBe(histogram.getValueAtPercentile(99));
    expect(ours.p999).toBe(histogram.getValueAtPercentile(99.9));
    expect(ours.mean).toBeCloseTo(histogram.mean, 6);
    expect(ours.stddev).toBeCloseTo(histogram.stdDeviation, 6);
  });
});

describe('statsFromSnapshot', () => {
  it('reports HdrHistogram figures, scaled (microseconds to ms by default)', () => {
    const stats = statsFromSnapshot(snapshotOf([1000, 2000, 3000, 4000]));
    expect(stats.count).toBe(4);
    expect(stats.min).toBe(1);
    // 4000 sits in a 2-wide bucket [4000, 4001]; percentiles report the bucket's top.
    expect(stats.max).toBe(4.001);
    expect(stats.p50).toBe(2);
    expect(stats.p90).toBe(4.001);
    // Means use bucket midpoints: 1000, 2000, 3001 and 4001.
    expect(stats.mean).toBeCloseTo(2.5005, 9);
  });

  it('keeps exact percentiles past 8.5M values (no packed counts)', () => {
    // Counts this large are what made packed hdr-histogram-js arrays return wrong percentiles.
    const encoded = encodeSnapshot({
      significantDigits: 3,
      lowestDiscernibleValue: 1,
      buckets: [
        { lowestValue: 100, highestValue: 100, count: 9_000_000 },
        { lowestValue: 200, highestValue: 200, count: 900_000 },
        { lowestValue: 1500, highestValue: 1500, count: 99_000 },
        { lowestValue: 1900, highestValue: 1900, count: 1_000 },
      ],
    });
    const stats = statsFromSnapshot(encoded, { scale: 1 });
    expect(stats.count).toBe(10_000_000);
    expect([stats.p50, stats.p90, stats.p95, stats.p99, stats.p999, stats.max]).toEqual([100, 100, 200, 200, 1500, 1900]);
  });
});

describe('mergeSnapshots', () => {
  it('equals recording the union, byte for byte', () => {
    const random = randomSource(3);
    const left = Array.from({ length: 3_000 }, () => Math.floor(random() * 2_000_000));
    const right = Array.from({ length: 4_000 }, () => Math.floor(random() ** 4 * 80_000_000));
    expect(mergeSnapshots([snapshotOf(left), snapshotOf(right)])).toBe(snapshotOf([...left, ...right]));
  });

  it('merges many and empty snapshots; no snapshots give an empty one', () => {
    const parts = [[1, 2, 3], [], [4_000_000], [2, 2]];
    expect(mergeSnapshots(parts.map(snapshotOf))).toBe(snapshotOf(parts.flat()));
    expect(decodeSnapshot(mergeSnapshots([])).totalCount).toBe(0);
  });

  it('re-buckets snapshots of another layout by value, as Java does', () => {
    const coarse = encodeSnapshot({
      significantDigits: 2,
      lowestDiscernibleValue: 1000,
      buckets: [{ lowestValue: 5_000_000, highestValue: 5_000_000, count: 4 }],
    });
    const merged = decodeSnapshot(mergeSnapshots([snapshotOf([10]), coarse]));
    expect(merged.significantDigits).toBe(3);
    expect(merged.totalCount).toBe(5);
    const last = merged.buckets[merged.buckets.length - 1];
    expect(last?.count).toBe(4);
    // The coarse bucket's lowest value (not 5 000 000 itself) is what moves across.
    expect(last?.lowestValue).toBeLessThanOrEqual(5_000_000);
    expect(last?.lowestValue).toBeGreaterThan(4_900_000);
  });
});

describe('decodeSnapshot on bad input', () => {
  const valid = snapshotOf([1, 2, 3, 400_000]);
  const validBytes = Buffer.from(valid, 'base64');
  const inner = inflateSync(validBytes.subarray(8));
  const rewrap = (uncompressed: Buffer, cookie = 0x1c849314): string => {
    const compressed = deflateSync(uncompressed);
    const header = Buffer.alloc(8);
    header.writeUInt32BE(cookie, 0);
    header.writeInt32BE(compressed.length, 4);
    return Buffer.concat([header, compressed]).toString('base64');
  };

  it.each([
    ['an empty string', '', /empty/],
    ['non-base64 text', 'not a snapshot!', /base64/],
    ['base64 of too few bytes', 'AAAA', /shorter than the 8-byte/],
    ['an unknown cookie', Buffer.from('0123456789abcdef').toString('base64'), /unknown cookie/],
    ['a truncated string', valid.slice(0, 24), /compressed length|inflate|base64/],
    ['corrupt deflate data', Buffer.concat([validBytes.subarray(0, 8), Buffer.alloc(validBytes.length - 8, 7)]).toString('base64'), /inflate/],
  ])('rejects %s', (_label, input, message) => {
    expectMetricsError(() => decodeSnapshot(input), message);
  });

  it('rejects bad inner headers and payloads', () => {
    const withInner = (mutate: (copy: Buffer) => Buffer): string => rewrap(mutate(Buffer.from(inner)));
    expectMetricsError(() => decodeSnapshot(withInner((copy) => (copy.writeUInt32BE(0xdeadbeef, 0), copy))), /inner cookie/);
    expectMetricsError(() => decodeSnapshot(withInner((copy) => (copy.writeInt32BE(9, 12), copy))), /significant digits/);
    expectMetricsError(() => decodeSnapshot(withInner((copy) => (copy.writeBigInt64BE(0n, 16), copy))), /lowest discernible/);
    expectMetricsError(() => decodeSnapshot(withInner((copy) => (copy.writeInt32BE(5000, 4), copy))), /payload length/);
    // A varint whose continuation bit promises a byte that is not there.
    expectMetricsError(() => decodeSnapshot(withInner((copy) => {
      const truncated = Buffer.concat([copy.subarray(0, 40), Buffer.from([0x02, 0x80])]);
      truncated.writeInt32BE(2, 4);
      return truncated;
    })), /truncated counts varint/);
    expectMetricsError(() => decodeSnapshot(rewrap(inner, 0x1c849313)), /uncompressed V2/);
    expectMetricsError(() => decodeSnapshot(rewrap(inner, 0x0c72124e)), /DoubleHistogram/);
  });

  it('rejects non-strings', () => {
    expectMetricsError(() => decodeSnapshot(42 as unknown as string), /expected a base64 string/);
  });
});
