import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeSnapshot, encodeSnapshot, mergeSnapshots, statsFromSnapshot } from './codec.js';

// A histogram log written by jHiccup with Java HdrHistogram; see __fixtures__/README.md.
const logLines = readFileSync(new URL('./__fixtures__/jHiccup-2.0.7S.logV2.hlog', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => /^\d/.test(line))
  .map((line) => {
    const [start, length, intervalMax, histogram] = line.split(',');
    return { start: Number(start), length: Number(length), intervalMaxMs: intervalMax ?? '', histogram: histogram ?? '' };
  });

/** Sums the lines whose relative start lies in [from, to] (HistogramLogReader.nextIntervalHistogram), as Java's test does. */
function accumulate(from: number, to: number): { histograms: number; stats: ReturnType<typeof statsFromSnapshot> } {
  const selected = logLines.filter((line) => line.start >= from && line.start <= to).map((line) => line.histogram);
  // Java's test adds into `new Histogram(3)`: lowest discernible value 1, 3 significant digits.
  const merged = mergeSnapshots(selected, { lowestDiscernibleValue: 1, significantDigits: 3 });
  return { histograms: selected.length, stats: statsFromSnapshot(merged, { scale: 1 }) };
}

describe('snapshots written by Java HdrHistogram (jHiccup log)', () => {
  it('decode with the header and counts the Java test states', () => {
    expect(logLines).toHaveLength(62);
    let total = 0;
    for (const line of logLines) {
      const snapshot = decodeSnapshot(line.histogram);
      expect(snapshot.significantDigits).toBe(2);
      expect(snapshot.lowestDiscernibleValue).toBe(20_000);
      expect(snapshot.highestTrackableValue).toBe(3_600_000_000_000);
      total += snapshot.totalCount;
    }
    expect(total).toBe(48_761);
  });

  it('give each interval the max jHiccup logged beside it', () => {
    for (const line of logLines) {
      const maxNs = statsFromSnapshot(line.histogram, { scale: 1 }).max;
      expect((maxNs / 1e6).toFixed(3)).toBe(line.intervalMaxMs);
    }
  });

  it('merge to the percentiles and max the Java test asserts', () => {
    expect(accumulate(0, Number.POSITIVE_INFINITY)).toMatchObject({ histograms: 62, stats: { count: 48_761, p999: 1_745_879_039, max: 1_796_210_687 } });
    expect(accumulate(5, 20)).toMatchObject({ histograms: 15, stats: { count: 11_664, p999: 1_536_163_839, max: 1_544_552_447 } });
    expect(accumulate(40, 60)).toMatchObject({ histograms: 20, stats: { count: 15_830, p999: 1_779_433_471, max: 1_796_210_687 } });
  });

  it('re-encode to the exact V2 bytes Java wrote', () => {
    // Compare inside the deflate stream: compressed bytes depend on the zlib build (Node's
    // Chromium zlib picks other matches than Java 8's for some lines), the encoding does not.
    const inflated = (encoded: string): Buffer => {
      const bytes = Buffer.from(encoded, 'base64');
      return inflateSync(bytes.subarray(8, 8 + bytes.readInt32BE(4)));
    };
    for (const line of logLines) {
      const reencoded = encodeSnapshot(decodeSnapshot(line.histogram), { compressionLevel: 9 });
      expect(reencoded.slice(0, 8)).toBe(line.histogram.slice(0, 8));
      expect(inflated(reencoded).equals(inflated(line.histogram))).toBe(true);
    }
  });
});
