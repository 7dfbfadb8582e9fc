import { Int32Histogram } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors/vigil-error.js';
import { histogramLayout } from './layout.js';

/** Values around every power of two up to 2^44, plus a spread in between. */
function probeValues(): number[] {
  const values = new Set<number>([0, 1, 2, 3]);
  for (let exponent = 1; exponent <= 44; exponent += 1) {
    const power = 2 ** exponent;
    for (const delta of [-2, -1, 0, 1, 2]) values.add(power + delta);
    for (let step = 1; step < 8; step += 1) values.add(Math.floor(power * (1 + step / 8)) + (step % 3));
  }
  return [...values].filter((value) => value >= 0).sort((left, right) => left - right);
}

describe('histogramLayout', () => {
  it.each([
    [1, 3],
    [1, 2],
    [1, 5],
    [1, 0],
    [1000, 3],
    [20_000, 2],
  ])('indexes exactly as hdr-histogram-js does (lowest %i, %i digits)', (lowest, digits) => {
    const layout = histogramLayout(lowest, digits);
    const reference = new Int32Histogram(lowest, 2 * lowest, digits);
    for (const value of probeValues()) {
      const index = layout.indexOf(value);
      expect(index).toBe(reference.countsArrayIndex(value));
      const lowestValue = reference.valueFromIndex(index);
      expect(layout.lowestValueAt(index)).toBe(lowestValue);
      expect(layout.highestValueAt(index)).toBe(reference.highestEquivalentValue(lowestValue));
      expect(layout.medianValueAt(index)).toBe(reference.medianEquivalentValue(lowestValue));
      // Every value lies in its own bucket.
      expect(layout.lowestValueAt(index)).toBeLessThanOrEqual(value);
      expect(layout.highestValueAt(index)).toBeGreaterThanOrEqual(value);
    }
  });

  it('caches layouts and rejects unsupported ones', () => {
    expect(histogramLayout(1, 3)).toBe(histogramLayout(1, 3));
    expect(() => histogramLayout(0, 3)).toThrow(VigilError);
    expect(() => histogramLayout(1, 6)).toThrow(/significant digits/);
  });
});
