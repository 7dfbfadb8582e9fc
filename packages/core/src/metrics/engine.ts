import type { Tags } from '../contracts/result.js';
import type { SnapshotRecord } from '../contracts/sink.js';
import { VigilError } from '../errors/vigil-error.js';
import { type Clock, type TimerHandle, systemClock } from '../util/clock.js';
import { DEFAULT_SIGNIFICANT_DIGITS, snapshotValueScale } from './codec.js';
import { checkBackend } from './histogram-backend.js';
import { histogramLayout } from './layout.js';
import { Series, type SeriesContext } from './series.js';
import type {
  CollectSnapshotsOptions,
  MetricsEngine,
  MetricsEngineOptions,
  MetricsEngineUsage,
  SeriesDescriptor,
  SeriesRecorder,
} from './types.js';

/** The metric of run durations; its series key is the bare check id. */
export const DURATION_METRIC = 'duration';
/** The metric of scheduling lag (intended vs actual start), so coordinated omission shows. */
export const LAG_METRIC = 'lag';

const DEFAULT_INTERVAL_MS = 60_000;
const DEFAULT_WINDOWS_MS: readonly number[] = Object.freeze([60_000, 300_000, 3_600_000]);
const emptyTags: Tags = Object.freeze({});

/** The key of a series: `checkId` for durations, `checkId/metric` otherwise (`web`, `web/rtt`, `web/lag`). */
export function seriesKey(checkId: string, metric: string = DURATION_METRIC): string {
  return metric === DURATION_METRIC ? checkId : `${checkId}/${metric}`;
}

function configError(field: string, expected: string, got: unknown): VigilError {
  const path = `metrics.${field}`;
  return new VigilError('VIGIL_ERR_CONFIG', `[core] config: ${path}: expected ${expected}, got ${JSON.stringify(got) ?? String(got)}`, { path });
}

function nonEmptyString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new VigilError('VIGIL_ERR_METRICS', `[core] metrics: series ${field} must be a non-empty string, got ${JSON.stringify(value) ?? String(value)}`);
  }
  return value;
}

class Engine implements MetricsEngine {
  readonly snapshotIntervalMs: number;
  readonly windowsMs: readonly number[];
  private readonly clock: Clock;
  private readonly rotation: 'timer' | 'manual';
  private readonly context: SeriesContext;
  private readonly seriesByKey = new Map<string, Series>();
  /** The open interval is [openStart, openEnd); openEnd is always a wall-clock multiple of the interval. */
  private openStart: number;
  private openEnd: number;
  private timer: TimerHandle | undefined;
  private destroyed = false;

  constructor(options: MetricsEngineOptions) {
    const significantDigits = options.significantDigits ?? DEFAULT_SIGNIFICANT_DIGITS;
    if (!Number.isInteger(significantDigits) || significantDigits < 1 || significantDigits > 5) {
      throw configError('significantDigits', 'an integer from 1 to 5', significantDigits);
    }
    const intervalMs = options.snapshotIntervalMs ?? DEFAULT_INTERVAL_MS;
    if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) throw configError('snapshotIntervalMs', 'a positive integer number of milliseconds', intervalMs);
    const windowsMs = options.windowsMs ?? DEFAULT_WINDOWS_MS;
    if (!Array.isArray(windowsMs) || windowsMs.length === 0 || !windowsMs.every((window) => typeof window === 'number' && window > 0 && Number.isFinite(window))) {
      throw configError('windowsMs', 'a non-empty list of positive durations in milliseconds', windowsMs);
    }
    const rotation = options.rotation ?? 'timer';
    if (rotation !== 'timer' && rotation !== 'manual') throw configError('rotation', "'timer' or 'manual'", rotation);
    const requestedBackend = options.histogramBackend ?? 'auto';
    if (requestedBackend !== 'auto' && requestedBackend !== 'js' && requestedBackend !== 'wasm') {
      throw configError('histogramBackend', "'auto', 'js' or 'wasm'", requestedBackend);
    }
    this.clock = options.clock ?? systemClock;
    this.snapshotIntervalMs = intervalMs;
    this.windowsMs = Object.freeze([...windowsMs]);
    this.rotation = rotation;
    // Enough slots for the longest window plus the interval it starts in, and one spare for an
    // early close (collectSnapshots with includeOpen) inside the window.
    const ringCapacity = Math.ceil(Math.max(...windowsMs) / intervalMs) + 2;
    this.context = {
      layout: histogramLayout(1, significantDigits),
      backend: checkBackend(requestedBackend),
      intervalMs,
      retainedMs: (ringCapacity - 1) * intervalMs,
      ringCapacity,
      now: () => this.clock.now(),
      rotate: (now) => this.rotate(now),
    };
    this.openStart = this.alignedStart(this.clock.now());
    this.openEnd = this.openStart + intervalMs;
    this.armTimer();
  }

  series(descriptor: SeriesDescriptor): SeriesRecorder {
    const checkId = nonEmptyString(descriptor.checkId, 'checkId');
    const metric = nonEmptyString(descriptor.metric ?? DURATION_METRIC, 'metric');
    const unit = nonEmptyString(descriptor.unit ?? 'ms', 'unit');
    const key = seriesKey(checkId, metric);
    const existing = this.seriesByKey.get(key);
    if (existing) {
      if (existing.checkId !== checkId || existing.metric !== metric) {
        throw new VigilError('VIGIL_ERR_METRICS', `[core] metrics: series key "${key}" is taken by check "${existing.checkId}" metric "${existing.metric}"`);
      }
      if (existing.unit !== unit) {
        throw new VigilError('VIGIL_ERR_METRICS', `[core] metrics: series "${key}" records ${existing.unit}, not ${unit}`);
      }
      return existing;
    }
    if (this.destroyed) throw new VigilError('VIGIL_ERR_SHUT_DOWN', '[core] metrics: the engine was destroyed');
    const tags: Tags = descriptor.tags ? Object.freeze({ ...descriptor.tags }) : emptyTags;
    const series = new Series({ key, checkId, metric, unit, tags, scale: snapshotValueScale(unit) }, this.context);
    this.seriesByKey.set(key, series);
    return series;
  }

  get(key: string): SeriesRecorder | undefined {
    return this.seriesByKey.get(key);
  }

  keys(): string[] {
    return [...this.seriesByKey.keys()];
  }

  remove(key: string): boolean {
    const series = this.seriesByKey.get(key);
    if (!series) return false;
    series.release();
    return this.seriesByKey.delete(key);
  }

  recordRun(run: { readonly checkId: string; readonly tags?: Tags; readonly durationMs: number; readonly ok: boolean; readonly lagMs?: number }): void {
    const tags = run.tags ?? emptyTags;
    this.series({ checkId: run.checkId, tags }).record(run.durationMs, run.ok);
    if (run.lagMs !== undefined) this.series({ checkId: run.checkId, metric: LAG_METRIC, tags }).record(run.lagMs, true);
  }

  collectSnapshots(now: number = this.clock.now(), options: CollectSnapshotsOptions = {}): SnapshotRecord[] {
    if (this.destroyed) return [];
    this.rotate(now);
    if (options.includeOpen && now > this.openStart) {
      for (const series of this.seriesByKey.values()) series.closeInterval(this.openStart, now);
      this.openStart = now;
    }
    const records: SnapshotRecord[] = [];
    for (const series of this.seriesByKey.values()) series.drainSnapshots(records);
    // Stable: series keep their creation order within one interval.
    return records.sort((left, right) => left.start - right.start);
  }

  usage(): MetricsEngineUsage {
    let liveHistogramCount = 0;
    let closedIntervalCount = 0;
    let storedCountBytes = 0;
    for (const series of this.seriesByKey.values()) {
      if (series.isLive) liveHistogramCount += 1;
      closedIntervalCount += series.closedIntervalCount;
      storedCountBytes += series.storedCountBytes();
    }
    return { seriesCount: this.seriesByKey.size, liveHistogramCount, closedIntervalCount, storedCountBytes };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    for (const series of this.seriesByKey.values()) series.release();
    this.seriesByKey.clear();
  }

  /** Closes the open interval of every series once `now` has reached its end. */
  private rotate(now: number): void {
    if (now < this.openEnd || this.destroyed) return;
    // Values recorded since the last close belong to the interval open then: without reading the
    // clock on every value (costly on the hot path) that is the best the engine knows.
    for (const series of this.seriesByKey.values()) series.closeInterval(this.openStart, this.openEnd);
    this.openStart = this.alignedStart(now);
    this.openEnd = this.openStart + this.snapshotIntervalMs;
  }

  private alignedStart(now: number): number {
    return Math.floor(now / this.snapshotIntervalMs) * this.snapshotIntervalMs;
  }

  private armTimer(): void {
    if (this.rotation !== 'timer' || this.destroyed) return;
    const handle = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.rotate(this.clock.now());
        this.armTimer();
      },
      Math.max(0, this.openEnd - this.clock.now()),
    );
    // Metrics must never keep the process alive; the system clock hands out plain Node timers.
    (handle as { unref?: () => void } | null | undefined)?.unref?.();
    this.timer = handle;
  }
}

/**
 * Creates the metrics engine: one HDR histogram series per check and metric, rolling windows,
 * and standard snapshots per wall-clock interval for sinks.
 */
export function createMetricsEngine(options: MetricsEngineOptions = {}): MetricsEngine {
  return new Engine(options);
}
