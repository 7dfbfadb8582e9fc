import type { HistogramSummary, Tags } from '../contracts/result.js';
import { DEFAULT_SIGNIFICANT_DIGITS, encodeCounts, snapshotValueScale } from './codec.js';
import { IntervalAccumulator } from './interval-accumulator.js';
import { histogramLayout } from './layout.js';
import { latencyStatsOf } from './series.js';
import type { MetricsRunHistogram } from './types.js';

/**
 * A histogram for the values of one check run (`ctx.metrics.histogram`, CLI `--count N`).
 * `ms` values are stored as integer microseconds, other units as integers. The signature matches
 * the runtime's histogram factory `(name, unit, tags)`.
 */
export function createRunHistogram(name: string, unit = 'ms', tags?: Tags): MetricsRunHistogram {
  const layout = histogramLayout(1, DEFAULT_SIGNIFICANT_DIGITS);
  const scale = snapshotValueScale(unit);
  // Always the JS backend: a run histogram is dropped without a destroy call, so it must not own
  // WebAssembly memory.
  const values = new IntervalAccumulator({ layout, backend: 'js' }, scale);
  const frozenTags = tags ? Object.freeze({ ...tags }) : undefined;
  return {
    name,
    unit,
    get count() {
      return values.totals().sampleCount;
    },
    record(value: number): void {
      values.record(value, true);
    },
    summarize(): HistogramSummary {
      const counts = values.counts();
      const stats = latencyStatsOf(counts, values.totals(), layout, scale, 0);
      return {
        type: 'histogram',
        name,
        unit,
        ...(frozenTags ? { tags: frozenTags } : {}),
        count: stats.sampleCount,
        min: stats.min,
        max: stats.max,
        mean: stats.mean,
        stddev: stats.stddev,
        p50: stats.p50,
        p90: stats.p90,
        p95: stats.p95,
        p99: stats.p99,
        p999: stats.p999,
        jitter: stats.jitter,
        snapshot: encodeCounts(layout, counts),
      };
    },
  };
}
