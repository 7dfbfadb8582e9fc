import { Int32Histogram } from 'hdr-histogram-js';
import { VigilError } from '../errors/vigil-error.js';

/**
 * The bucket structure of an HDR histogram: which counts-array index a value falls into and which
 * values an index stands for. It depends only on the lowest discernible value and the number of
 * significant digits, so every histogram (live, decoded, Java- or Go-written) with the same pair
 * shares index meanings, and adding counts index by index is an exact merge.
 */
export interface HistogramLayout {
  readonly lowestDiscernibleValue: number;
  readonly significantDigits: number;
  /** The largest index a value this code can represent exactly (below 2^52) may use. */
  readonly maximumIndex: number;
  indexOf(value: number): number;
  /** The lowest value counted at `index`. */
  lowestValueAt(index: number): number;
  /** The highest value counted at `index` (what percentiles report, as in every HdrHistogram port). */
  highestValueAt(index: number): number;
  /** The middle of the values counted at `index` (used for bucket-based means). */
  medianValueAt(index: number): number;
}

/** Values above this are outside what doubles index exactly through the library's log2-based math. */
export const LARGEST_SUPPORTED_VALUE = 2 ** 52;

const layouts = new Map<string, HistogramLayout>();

/** The (cached) layout for a lowest discernible value and number of significant digits. */
export function histogramLayout(lowestDiscernibleValue: number, significantDigits: number): HistogramLayout {
  const key = `${lowestDiscernibleValue}/${significantDigits}`;
  const cached = layouts.get(key);
  if (cached) return cached;
  if (!Number.isSafeInteger(lowestDiscernibleValue) || lowestDiscernibleValue < 1 || lowestDiscernibleValue > LARGEST_SUPPORTED_VALUE / 4) {
    throw new VigilError('VIGIL_ERR_METRICS', `[core] metrics: unsupported lowest discernible value ${lowestDiscernibleValue}`);
  }
  if (!Number.isInteger(significantDigits) || significantDigits < 0 || significantDigits > 5) {
    throw new VigilError('VIGIL_ERR_METRICS', `[core] metrics: significant digits must be an integer from 0 to 5, got ${significantDigits}`);
  }
  // A two-bucket histogram never recorded into: only its index arithmetic is used, which is the
  // library's own, so our indices always agree with what its live histograms count.
  const math = new Int32Histogram(lowestDiscernibleValue, 2 * lowestDiscernibleValue, significantDigits);
  const layout: HistogramLayout = {
    lowestDiscernibleValue,
    significantDigits,
    maximumIndex: math.countsArrayIndex(LARGEST_SUPPORTED_VALUE),
    indexOf: (value) => math.countsArrayIndex(value),
    lowestValueAt: (index) => math.valueFromIndex(index),
    highestValueAt: (index) => math.highestEquivalentValue(math.valueFromIndex(index)),
    medianValueAt: (index) => math.medianEquivalentValue(math.valueFromIndex(index)),
  };
  layouts.set(key, layout);
  return layout;
}
