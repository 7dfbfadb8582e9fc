import type { DistributionStats, HistogramSummary, Tags } from '../contracts/result.js';
import type { SnapshotRecord } from '../contracts/sink.js';
import type { Clock } from '../util/clock.js';

/** A rolling window in milliseconds, or `'all'` for everything since the series was created. */
export type StatsWindow = number | 'all';

/**
 * Which hdr-histogram-js implementation counts the busy series. `auto` (default) uses the
 * WebAssembly build when it can be instantiated and the pure JS one otherwise.
 */
export type HistogramBackend = 'auto' | 'js' | 'wasm';

/** Distribution statistics of one histogram, in the histogram's reporting unit. */
export interface HistogramStats extends DistributionStats {
  /** Values in the histogram. The statistics of an empty histogram are NaN. */
  readonly count: number;
}

/**
 * Rolling statistics of one series. Percentiles, min and max carry the histogram's precision
 * (3 significant digits by default: within 0.1%); mean, stddev and jitter are exact.
 * Statistics of no values are NaN.
 */
export interface LatencyStats extends DistributionStats {
  /** Runs in the window: every `record` and `recordOutcome`. */
  readonly count: number;
  readonly okCount: number;
  /** `okCount / count`; NaN when `count` is 0. */
  readonly successRatio: number;
  /** Latency values in the window (runs recorded with `recordOutcome` carry none). */
  readonly sampleCount: number;
  /**
   * Mean absolute difference of consecutive values (RFC 3550 style), over the pairs whose later
   * value lies in the window. 0 with a single value.
   */
  readonly jitter: number;
  /** Runs per second over `windowMs`. */
  readonly throughputPerSecond: number;
  /**
   * The span the figures cover, in ms: from the start of the oldest interval the window
   * reaches (or the series' creation, if later) to now.
   */
  readonly windowMs: number;
}

export interface SeriesDescriptor {
  readonly checkId: string;
  /** What the series measures; default `duration` (run durations). The scheduler lag is `lag`. */
  readonly metric?: string;
  /** Default `ms`; `ms` values are stored as integer microseconds, other units as integers. */
  readonly unit?: string;
  readonly tags?: Tags;
}

/** The recorder of one series (one check id and metric). */
export interface SeriesRecorder {
  /** `checkId` for durations, `checkId/metric` otherwise (see {@link seriesKey}). */
  readonly key: string;
  readonly checkId: string;
  readonly metric: string;
  readonly unit: string;
  readonly tags: Tags;
  /**
   * Records one run with a value in the series' unit. The hot path. Negative values count as 0,
   * values that are not numbers count the run but no value.
   */
  record(value: number, ok?: boolean): void;
  /** Records `count` runs that all took `value` (bulk import, tests). */
  recordWithCount(value: number, count: number, ok?: boolean): void;
  /** Records a run without a value (e.g. a failure). */
  recordOutcome(ok: boolean): void;
  /** Statistics over a rolling window (ms, see {@link LatencyStats.windowMs}) or `'all'` (default). */
  stats(window?: StatsWindow): LatencyStats;
  /** The value at `percentile` (0..100) over the window. */
  percentile(percentile: number, window?: StatsWindow): number;
  /** The window's histogram as a standard HdrHistogram V2 compressed base64 snapshot. */
  snapshot(window?: StatsWindow): string;
  /** The RFC 3550 running jitter estimate (J += (|D| - J) / 16) over all values so far. */
  smoothedJitter(): number;
}

export interface MetricsEngineOptions {
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Precision of every histogram, 1 to 5; default 3 (values within 0.1%). */
  readonly significantDigits?: number;
  /** Length of one snapshot interval, aligned to wall-clock multiples; default 60 000 (1 min). */
  readonly snapshotIntervalMs?: number;
  /** Rolling windows to keep; default 1 min, 5 min and 1 h. The longest sets how much is retained. */
  readonly windowsMs?: readonly number[];
  /** Default `auto` (see {@link HistogramBackend}). */
  readonly histogramBackend?: HistogramBackend;
  /**
   * `timer` (default): the engine closes intervals on its own clock timer at each boundary, so
   * values land in the interval they were recorded in. `manual`: intervals close only when
   * `collectSnapshots` (or a query) runs; for owners that already call it at every boundary.
   */
  readonly rotation?: 'timer' | 'manual';
}

export interface CollectSnapshotsOptions {
  /**
   * Also close and emit the interval still open (for shutdown): it becomes a record ending at
   * `now`, and recording continues in a new interval starting at `now`.
   */
  readonly includeOpen?: boolean;
}

/** What the engine holds, for diagnostics and tests. */
export interface MetricsEngineUsage {
  readonly seriesCount: number;
  /** Series busy enough to count in a live hdr histogram this interval (the rest buffer values). */
  readonly liveHistogramCount: number;
  readonly closedIntervalCount: number;
  /** Bytes of encoded counts kept for closed intervals and since-creation totals. */
  readonly storedCountBytes: number;
}

export interface MetricsEngine {
  readonly snapshotIntervalMs: number;
  readonly windowsMs: readonly number[];
  /** The series for `descriptor`, created on first use. Its tags are those of the first call. */
  series(descriptor: SeriesDescriptor): SeriesRecorder;
  get(key: string): SeriesRecorder | undefined;
  keys(): string[];
  /** Forgets a series (its uncollected intervals too). */
  remove(key: string): boolean;
  /** Records a run's duration (series `checkId`) and scheduling lag (series `checkId/lag`). */
  recordRun(run: { readonly checkId: string; readonly tags?: Tags; readonly durationMs: number; readonly ok: boolean; readonly lagMs?: number }): void;
  /**
   * Closes every interval that ended by `now` (default: the clock's now) and returns one record
   * per series per closed interval with at least one run, each exactly once. Intervals older than
   * the longest window that were never collected are gone.
   */
  collectSnapshots(now?: number, options?: CollectSnapshotsOptions): SnapshotRecord[];
  usage(): MetricsEngineUsage;
  /** Stops the timer and frees every histogram (WebAssembly memory included). Idempotent. */
  destroy(): void;
}

/** A histogram for the values of one check run (`ctx.metrics.histogram`, CLI `--count`). */
export interface MetricsRunHistogram {
  readonly name: string;
  readonly unit: string;
  /** Values recorded so far. */
  readonly count: number;
  record(value: number): void;
  summarize(): HistogramSummary;
}
