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
  /** The largest index a supported value (up to 2^52) may use. */
  readonly maximumIndex: number;
  /** The index counting `value` (a non-negative integer up to 2^52). */
  indexOf(value: number): number;
  /** The lowest value counted at `index`. */
  lowestValueAt(index: number): number;
  /** The highest value counted at `index` (what percentiles report, as in every HdrHistogram port). */
  highestValueAt(index: number): number;
  /** The middle of the values counted at `index` (used for bucket-based means). */
  medianValueAt(index: number): number;
}

/** Values above this are not supported: doubles stop representing every integer soon after. */
export const LARGEST_SUPPORTED_VALUE = 2 ** 52;

const TWO_TO_THE_32 = 2 ** 32;
/** Powers of two by table: `2 ** n` with a variable n is a slow generic pow call in V8. */
const powersOfTwo = Float64Array.from({ length: 64 }, (_, exponent) => 2 ** exponent);

/** floor(log2(value)) for a non-negative integer; -1 for 0. Exact, unlike Math.log2 near powers of two. */
function floorLog2(value: number): number {
  if (value < TWO_TO_THE_32) return 31 - Math.clz32(value);
  return 63 - Math.clz32(Math.floor(value / TWO_TO_THE_32));
}

/**
 * The standard HdrHistogram index arithmetic (as defined by the Java reference implementation),
 * written with integer-exact operations. Tests check it against hdr-histogram-js index by index.
 */
class BucketLayout implements HistogramLayout {
  readonly maximumIndex: number;
  private readonly unitMagnitude: number;
  private readonly subBucketHalfCountMagnitude: number;
  private readonly subBucketHalfCount: number;

  constructor(
    readonly lowestDiscernibleValue: number,
    readonly significantDigits: number,
  ) {
    // Single-unit resolution up to 2 * 10^digits, rounded up to a power of two of sub-buckets.
    const largestValueWithSingleUnitResolution = 2 * 10 ** significantDigits;
    const subBucketCountMagnitude = Math.ceil(Math.log2(largestValueWithSingleUnitResolution));
    this.subBucketHalfCountMagnitude = Math.max(subBucketCountMagnitude, 1) - 1;
    this.subBucketHalfCount = 2 ** this.subBucketHalfCountMagnitude;
    this.unitMagnitude = floorLog2(lowestDiscernibleValue);
    this.maximumIndex = this.indexOf(LARGEST_SUPPORTED_VALUE);
  }

  indexOf(value: number): number {
    const bucketIndex = Math.max(0, floorLog2(value) - this.subBucketHalfCountMagnitude - this.unitMagnitude);
    const subBucketIndex = Math.floor(value / (powersOfTwo[bucketIndex + this.unitMagnitude] as number));
    return (bucketIndex + 1) * this.subBucketHalfCount + subBucketIndex - this.subBucketHalfCount;
  }

  lowestValueAt(index: number): number {
    const bucketIndex = this.bucketOf(index);
    const subBucketIndex = bucketIndex === 0 ? index : (index % this.subBucketHalfCount) + this.subBucketHalfCount;
    return subBucketIndex * (powersOfTwo[bucketIndex + this.unitMagnitude] as number);
  }

  highestValueAt(index: number): number {
    return this.lowestValueAt(index) + (powersOfTwo[this.bucketOf(index) + this.unitMagnitude] as number) - 1;
  }

  medianValueAt(index: number): number {
    return this.lowestValueAt(index) + Math.floor((powersOfTwo[this.bucketOf(index) + this.unitMagnitude] as number) / 2);
  }

  /** Bucket 0 spans the first two half-counts of indices; every later bucket one half-count. */
  private bucketOf(index: number): number {
    return Math.max(0, Math.floor(index / this.subBucketHalfCount) - 1);
  }
}

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
  const layout = new BucketLayout(lowestDiscernibleValue, significantDigits);
  layouts.set(key, layout);
  return layout;
}
