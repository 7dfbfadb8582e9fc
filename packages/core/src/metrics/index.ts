// The HDR-histogram metrics engine. Explicit names only.
export { decodeSnapshot, encodeSnapshot, mergeSnapshots, snapshotValueScale, statsFromSnapshot } from './codec.js';
export type { HistogramSnapshot, MergeSnapshotsOptions, SnapshotBucket } from './codec.js';
export { DURATION_METRIC, LAG_METRIC, createMetricsEngine, seriesKey } from './engine.js';
export { enableWebAssemblyHistograms } from './histogram-backend.js';
export { createRunHistogram } from './run-histogram.js';
export type {
  CollectSnapshotsOptions,
  HistogramBackend,
  HistogramStats,
  LatencyStats,
  MetricsEngine,
  MetricsEngineOptions,
  MetricsEngineUsage,
  MetricsRunHistogram,
  SeriesDescriptor,
  SeriesRecorder,
  StatsWindow,
} from './types.js';
