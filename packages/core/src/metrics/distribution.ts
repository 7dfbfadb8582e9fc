import type { HistogramLayout } from './layout.js';
import type { SortedCounts } from './payload.js';

/** The percentiles every summary reports, in the order of {@link DistributionSummary.percentiles}. */
export const reportedPercentiles = [50, 90, 95, 99, 99.9] as const;

/** Raw (unscaled) figures of a histogram, computed the way HdrHistogram (Java) computes them. */
export interface DistributionSummary {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  /** Mean and standard deviation from bucket midpoints (all a histogram alone knows). */
  readonly bucketMean: number;
  readonly bucketStddev: number;
  /** Values at {@link reportedPercentiles}. */
  readonly percentiles: readonly number[];
}

const floatView = new Float64Array(1);
const bitsView = new BigInt64Array(floatView.buffer);

/** The largest double below a positive `value` (Java's Math.nextAfter towards -infinity). */
function nextDown(value: number): number {
  if (value <= 0) return 0;
  floatView[0] = value;
  bitsView[0] = (bitsView[0] as bigint) - 1n;
  return floatView[0] as number;
}

/** The rank (1-based) HdrHistogram reports for a percentile of `total` values. */
function rankOf(percentile: number, total: number): number {
  // As in HdrHistogram: one ulp off the percentile so floating-point round-off never pushes the
  // rank into the next bucket, then round up.
  const requested = Math.min(Math.max(nextDown(percentile), 0), 100);
  return Math.max(Math.ceil((requested * total) / 100), 1);
}

/**
 * The value at `percentile` (0..100): the highest value equivalent to the bucket holding that
 * rank (the lowest, for percentile 0). NaN when empty.
 */
export function valueAtPercentile(counts: SortedCounts, layout: HistogramLayout, percentile: number): number {
  if (counts.total === 0) return Number.NaN;
  const rank = rankOf(percentile, counts.total);
  let seen = 0;
  for (let position = 0; position < counts.indices.length; position += 1) {
    seen += counts.counts[position] as number;
    if (seen >= rank) {
      const index = counts.indices[position] as number;
      return percentile === 0 ? layout.lowestValueAt(index) : layout.highestValueAt(index);
    }
  }
  return layout.highestValueAt(counts.indices[counts.indices.length - 1] as number);
}

/** Count, min, max, bucket mean and stddev and the reported percentiles in one pass. NaN when empty. */
export function summarizeDistribution(counts: SortedCounts, layout: HistogramLayout): DistributionSummary {
  const total = counts.total;
  if (total === 0) {
    return { count: 0, min: Number.NaN, max: Number.NaN, bucketMean: Number.NaN, bucketStddev: Number.NaN, percentiles: reportedPercentiles.map(() => Number.NaN) };
  }
  const { indices } = counts;
  const ranks = reportedPercentiles.map((percentile) => rankOf(percentile, total));
  const percentiles: number[] = [];
  let seen = 0;
  let weightedSum = 0;
  for (let position = 0; position < indices.length; position += 1) {
    const index = indices[position] as number;
    const count = counts.counts[position] as number;
    seen += count;
    weightedSum += layout.medianValueAt(index) * count;
    while (percentiles.length < ranks.length && seen >= (ranks[percentiles.length] as number)) percentiles.push(layout.highestValueAt(index));
  }
  const bucketMean = weightedSum / total;
  let squaredDeviations = 0;
  for (let position = 0; position < indices.length; position += 1) {
    const deviation = layout.medianValueAt(indices[position] as number) - bucketMean;
    squaredDeviations += deviation * deviation * (counts.counts[position] as number);
  }
  return {
    count: total,
    min: layout.lowestValueAt(indices[0] as number),
    max: layout.highestValueAt(indices[indices.length - 1] as number),
    bucketMean,
    bucketStddev: Math.sqrt(squaredDeviations / total),
    percentiles,
  };
}
