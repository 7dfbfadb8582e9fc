import type { AlertEvent } from './alert.js';
import type { LifecycleOptions, PluginMeta, SpecificationVersion } from './plugin.js';
import type { ResultRecord, Tags } from './result.js';
import type { Monitor } from '../runtime/monitor.js';

/** One closed interval of a series' histogram, emitted by the metrics engine for storage. */
export interface SnapshotRecord {
  readonly type: 'snapshot';
  /** The series key, e.g. `web` or `web/rtt`. */
  readonly series: string;
  readonly checkId: string;
  /** The metric the histogram holds: `duration` for run durations, or a check's histogram name. */
  readonly metric: string;
  readonly unit: string;
  readonly tags: Tags;
  /** Epoch milliseconds: the interval is [start, end). */
  readonly start: number;
  readonly end: number;
  readonly count: number;
  readonly okCount: number;
  /** HdrHistogram V2 compressed base64; values are microseconds when `unit` is `ms`. */
  readonly histogram: string;
}

/** A change of alert state, written to sinks as alert history. */
export interface AlertRecord extends AlertEvent {
  readonly type: 'alert';
}

/** Everything a sink may receive. Sinks ignore types they do not store (see {@link Sink.accepts}). */
export type SinkRecord = ResultRecord | SnapshotRecord | AlertRecord;
export type SinkRecordType = SinkRecord['type'];

export interface WriteOptions {
  /** Aborts when the write times out or the monitor stops. */
  readonly signal: AbortSignal;
}

export interface RejectedRecord {
  /** Index into the batch passed to `write`. */
  readonly index: number;
  readonly reason: string;
}

/**
 * The outcome of one write. `retryable`: nothing was stored, try the whole batch again later.
 * `partial`: records at `accepted` indices are stored, those at `rejected` indices can never be
 * stored (they are dropped and counted), every other index is retried.
 */
export type WriteResult =
  | { readonly kind: 'success' }
  | { readonly kind: 'retryable'; readonly error?: unknown; readonly retryAfterMs?: number }
  | { readonly kind: 'partial'; readonly accepted: readonly number[]; readonly rejected: readonly RejectedRecord[] };

/**
 * What a plugin may use of the monitor that runs it (see `bindMonitor` on sinks and notifiers):
 * its health, its checks, running a check now, the alert manager and the metrics engine.
 */
export type MonitorView = Pick<Monitor, 'stats' | 'checks' | 'runOnce' | 'alerts' | 'metrics'>;

/**
 * Where records go. Sinks are thin: the core's batch processor owns batching, retries, backoff,
 * the bounded queue and the spool. Writes after `shutdown` reject with `VIGIL_ERR_SHUT_DOWN`.
 */
export interface Sink {
  readonly specificationVersion: SpecificationVersion;
  readonly meta: PluginMeta;
  /** The largest batch `write` accepts. */
  readonly maxBatchSize: number;
  /** Record types this sink stores; others are never sent to it. Default: all. */
  readonly accepts?: readonly SinkRecordType[];
  /** Opens connections or files. May be retried after a failure. */
  start?(options: { readonly signal: AbortSignal }): Promise<void>;
  write(batch: readonly SinkRecord[], options: WriteOptions): Promise<WriteResult>;
  /** Pushes anything the sink itself buffers. Idempotent. */
  flush?(options?: LifecycleOptions): Promise<void>;
  /** Releases resources. Calling it twice returns the same promise. */
  shutdown(options?: LifecycleOptions): Promise<void>;
  /**
   * Optional: `createMonitor` calls it once with a read-only view of itself, for sinks that expose
   * the monitor's own health (e.g. Prometheus: sink queue depth, dropped records). Must not throw.
   */
  bindMonitor?(view: MonitorView): void;
}
