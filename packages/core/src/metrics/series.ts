import type { Tags } from '../contracts/result.js';
import type { SnapshotRecord } from '../contracts/sink.js';
import { VigilError } from '../errors/vigil-error.js';
import { encodeCounts, encodeCountsPayload } from './codec.js';
import { summarizeDistribution, valueAtPercentile } from './distribution.js';
import { IntervalAccumulator, type IntervalTotals, addTotals, zeroTotals } from './interval-accumulator.js';
import { IntervalRing } from './interval-ring.js';
import type { HistogramLayout } from './layout.js';
import { CountsAccumulator, type SortedCounts, payloadFromCounts } from './payload.js';
import type { HistogramBackend, LatencyStats, SeriesRecorder, StatsWindow } from './types.js';

/** Closed intervals folded into the since-creation totals at once. */
const FOLD_BATCH = 16;

/** What a series needs from its engine. */
export interface SeriesContext {
  readonly layout: HistogramLayout;
  readonly backend: HistogramBackend;
  readonly intervalMs: number;
  /** The longest window a query may span; longer ones are clamped to it. */
  readonly retainedMs: number;
  readonly ringCapacity: number;
  now(): number;
  /** Closes every interval of every series that ended by `now`. */
  rotate(now: number): void;
}

export interface SeriesIdentity {
  readonly key: string;
  readonly checkId: string;
  readonly metric: string;
  readonly unit: string;
  readonly tags: Tags;
  readonly scale: number;
}

interface WindowData {
  readonly counts: SortedCounts;
  readonly totals: IntervalTotals;
  /** Epoch ms where the covered span starts. */
  readonly coveredStart: number;
}

/** Builds {@link LatencyStats} from a window's counts and totals. */
export function latencyStatsOf(counts: SortedCounts, totals: Readonly<IntervalTotals>, layout: HistogramLayout, scale: number, windowMs: number): LatencyStats {
  const distribution = summarizeDistribution(counts, layout);
  const [p50, p90, p95, p99, p999] = distribution.percentiles.map((value) => value / scale) as [number, number, number, number, number];
  const values = totals.sampleCount;
  const mean = values > 0 ? totals.sum / values : Number.NaN;
  // Population variance from running sums; clamped because round-off can dip just below 0.
  const variance = values > 0 ? Math.max(0, totals.sumOfSquares / values - mean * mean) : Number.NaN;
  return {
    count: totals.count,
    okCount: totals.okCount,
    successRatio: totals.count > 0 ? totals.okCount / totals.count : Number.NaN,
    sampleCount: values,
    min: distribution.min / scale,
    max: distribution.max / scale,
    mean,
    stddev: Math.sqrt(variance),
    p50,
    p90,
    p95,
    p99,
    p999,
    jitter: values === 0 ? Number.NaN : totals.differenceCount === 0 ? 0 : totals.absoluteDifferenceSum / totals.differenceCount,
    throughputPerSecond: windowMs > 0 ? (totals.count * 1000) / windowMs : Number.NaN,
    windowMs,
  };
}

/** One series: the open interval, a ring of closed ones and the totals since creation. */
export class Series implements SeriesRecorder {
  readonly key: string;
  readonly checkId: string;
  readonly metric: string;
  readonly unit: string;
  readonly tags: Tags;
  readonly createdAt: number;
  private readonly scale: number;
  private readonly current: IntervalAccumulator;
  private readonly ring: IntervalRing;
  /**
   * Closed intervals since creation, except the newest `unfoldedIntervals` ones (still only in the
   * ring), as totals plus one merged payload ('' when empty). Folding a batch at a time keeps the
   * cost of a close independent of how many buckets the series has ever used.
   */
  private readonly foldedTotals = zeroTotals();
  private foldedPayload = '';
  private unfoldedIntervals = 0;
  private readonly foldBatch: number;

  constructor(
    identity: SeriesIdentity,
    private readonly context: SeriesContext,
  ) {
    this.key = identity.key;
    this.checkId = identity.checkId;
    this.metric = identity.metric;
    this.unit = identity.unit;
    this.tags = identity.tags;
    this.scale = identity.scale;
    this.createdAt = context.now();
    this.current = new IntervalAccumulator({ layout: context.layout, backend: context.backend }, identity.scale);
    this.ring = new IntervalRing(context.ringCapacity);
    // Unfolded intervals must never be overwritten in the ring before they are folded.
    this.foldBatch = Math.max(1, Math.min(FOLD_BATCH, context.ringCapacity - 1));
  }

  record(value: number, ok = true): void {
    this.current.record(value, ok);
  }

  recordWithCount(value: number, count: number, ok = true): void {
    this.current.recordWithCount(value, count, ok);
  }

  recordOutcome(ok: boolean): void {
    this.current.recordOutcome(ok);
  }

  stats(window: StatsWindow = 'all'): LatencyStats {
    const now = this.context.now();
    const data = this.windowData(window, now);
    return latencyStatsOf(data.counts, data.totals, this.context.layout, this.scale, Math.max(0, now - data.coveredStart));
  }

  percentile(percentile: number, window: StatsWindow = 'all'): number {
    if (!(percentile >= 0 && percentile <= 100)) {
      throw new VigilError('VIGIL_ERR_METRICS', `[core] metrics: percentile must be between 0 and 100, got ${percentile}`);
    }
    const { counts } = this.windowData(window, this.context.now());
    return valueAtPercentile(counts, this.context.layout, percentile) / this.scale;
  }

  snapshot(window: StatsWindow = 'all'): string {
    const { counts } = this.windowData(window, this.context.now());
    return encodeCounts(this.context.layout, counts);
  }

  smoothedJitter(): number {
    return this.current.smoothedJitter();
  }

  /** True while a live hdr histogram counts the open interval. */
  get isLive(): boolean {
    return this.current.isLive;
  }

  /** Stored payload bytes (ring and since-creation totals). */
  storedCountBytes(): number {
    return this.ring.payloadBytes() + this.foldedPayload.length;
  }

  get closedIntervalCount(): number {
    return this.ring.size;
  }

  /** Moves the open interval's data into the ring as the interval [start, end). */
  closeInterval(start: number, end: number): void {
    const current = this.current;
    if (!current.hasRuns) {
      current.resetInterval();
      return;
    }
    this.ring.push(start, end, current.totals(), payloadFromCounts(current.counts()));
    current.resetInterval();
    this.unfoldedIntervals += 1;
    if (this.unfoldedIntervals >= this.foldBatch) this.fold();
  }

  /** Merges the unfolded ring intervals into the since-creation totals and payload. */
  private fold(): void {
    const { maximumIndex } = this.context.layout;
    const accumulator = new CountsAccumulator();
    if (this.foldedPayload !== '') accumulator.addPayload(this.foldedPayload, maximumIndex);
    for (let age = 0; age < this.unfoldedIntervals; age += 1) {
      const position = this.ring.positionOf(age);
      accumulator.addPayload(this.ring.payload(position), maximumIndex);
      this.ring.addTotalsTo(position, this.foldedTotals);
    }
    const folded = accumulator.take();
    this.foldedPayload = folded.total > 0 ? payloadFromCounts(folded) : '';
    this.unfoldedIntervals = 0;
  }

  /** Appends a record for every closed interval not emitted yet (oldest first) and marks them. */
  drainSnapshots(into: SnapshotRecord[]): void {
    const ring = this.ring;
    let age = 0;
    while (age < ring.size && !ring.isEmitted(ring.positionOf(age))) age += 1;
    for (age -= 1; age >= 0; age -= 1) {
      const position = ring.positionOf(age);
      into.push({
        type: 'snapshot',
        series: this.key,
        checkId: this.checkId,
        metric: this.metric,
        unit: this.unit,
        tags: this.tags,
        start: ring.start(position),
        end: ring.end(position),
        count: ring.count(position),
        okCount: ring.okCount(position),
        histogram: encodeCountsPayload(this.context.layout, ring.payload(position)),
      });
      ring.markEmitted(position);
    }
  }

  /** Frees the live histogram; the recorder keeps accepting calls but records nothing more. */
  release(): void {
    this.current.release();
  }

  private windowData(window: StatsWindow, now: number): WindowData {
    this.context.rotate(now);
    const { layout, intervalMs } = this.context;
    const accumulator = new CountsAccumulator();
    const totals = zeroTotals();
    let coveredStart: number;
    if (window === 'all') {
      if (this.foldedPayload !== '') accumulator.addPayload(this.foldedPayload, layout.maximumIndex);
      addTotals(totals, this.foldedTotals);
      for (let age = 0; age < this.unfoldedIntervals; age += 1) {
        const position = this.ring.positionOf(age);
        accumulator.addPayload(this.ring.payload(position), layout.maximumIndex);
        this.ring.addTotalsTo(position, totals);
      }
      coveredStart = this.createdAt;
    } else {
      if (typeof window !== 'number' || !(window > 0)) {
        throw new VigilError('VIGIL_ERR_METRICS', `[core] metrics: window must be a positive number of milliseconds or 'all', got ${String(window)}`);
      }
      // An interval belongs to the window while it ended less than `window` ago.
      const threshold = now - Math.min(window, this.context.retainedMs);
      const ring = this.ring;
      for (let age = 0; age < ring.size; age += 1) {
        const position = ring.positionOf(age);
        if (ring.end(position) <= threshold) break;
        accumulator.addPayload(ring.payload(position), layout.maximumIndex);
        ring.addTotalsTo(position, totals);
      }
      coveredStart = Math.max(this.createdAt, Math.floor(threshold / intervalMs) * intervalMs);
    }
    accumulator.addCounts(this.current.counts());
    addTotals(totals, this.current.totals());
    return { counts: accumulator.take(), totals, coveredStart };
  }
}
