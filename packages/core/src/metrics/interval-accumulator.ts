import type { Histogram } from 'hdr-histogram-js';
import { VigilError } from '../errors/vigil-error.js';
import { type ResolvedBackend, createLiveHistogram, liveHistogramCounts, releaseLiveHistogram } from './histogram-backend.js';
import type { HistogramLayout } from './layout.js';
import { type SortedCounts, emptyCounts } from './payload.js';

/** Running sums of one interval (or of several added together). */
export interface IntervalTotals {
  /** Runs: values and outcomes. */
  count: number;
  okCount: number;
  /** Values (runs with a value). */
  sampleCount: number;
  sum: number;
  sumOfSquares: number;
  /** Sum of |value - previous value| over the values that had a predecessor. */
  absoluteDifferenceSum: number;
  differenceCount: number;
}

/** Fresh zeroed totals. */
export function zeroTotals(): IntervalTotals {
  return { count: 0, okCount: 0, sampleCount: 0, sum: 0, sumOfSquares: 0, absoluteDifferenceSum: 0, differenceCount: 0 };
}

/** Adds `source` into `target`. */
export function addTotals(target: IntervalTotals, source: Readonly<IntervalTotals>): void {
  target.count += source.count;
  target.okCount += source.okCount;
  target.sampleCount += source.sampleCount;
  target.sum += source.sum;
  target.sumOfSquares += source.sumOfSquares;
  target.absoluteDifferenceSum += source.absoluteDifferenceSum;
  target.differenceCount += source.differenceCount;
}

export interface AccumulatorSettings {
  readonly layout: HistogramLayout;
  readonly backend: ResolvedBackend;
}

const INITIAL_BUFFER_LENGTH = 8;
/**
 * Values one interval may buffer before the series gets a live hdr histogram. A live histogram
 * costs 30-60 KB while 1024 buffered values cost 8 KB, and a check every 10 s records 6 a
 * minute: most series never need one.
 */
export const PROMOTION_THRESHOLD = 1024;
/** Larger stored values saturate: 2^42 us is about 51 days, far beyond any timeout. */
const LARGEST_STORED_VALUE = 2 ** 42;
/** Live histograms count in 32 bits. */
const MAX_VALUES_PER_INTERVAL = 0xffff_ffff;

function nextPowerOfTwo(value: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, value)));
}

/**
 * The open interval of one series: the running totals, jitter state and the values themselves,
 * buffered raw while few, then counted by a live hdr histogram (JS or WebAssembly) once the
 * series is busy. `record` is the hot path.
 */
export class IntervalAccumulator implements IntervalTotals {
  count = 0;
  okCount = 0;
  sampleCount = 0;
  sum = 0;
  sumOfSquares = 0;
  absoluteDifferenceSum = 0;
  differenceCount = 0;
  /** RFC 3550 running estimate; kept across intervals. */
  smoothedJitter = 0;
  /** The last value (-1 before the first), kept across intervals so jitter spans boundaries. */
  private previousValue = -1;
  private readonly scale: number;
  private readonly largestValue: number;
  private buffer = new Float64Array(INITIAL_BUFFER_LENGTH);
  private bufferLength = 0;
  private live: Histogram | null = null;
  private released = false;

  /** `scale`: stored integer units per value unit (1000 turns ms into microseconds). */
  constructor(
    private readonly settings: AccumulatorSettings,
    scale: number,
  ) {
    this.scale = scale;
    this.largestValue = LARGEST_STORED_VALUE / scale;
  }

  /** True while a live hdr histogram counts this interval's values. */
  get isLive(): boolean {
    return this.live !== null;
  }

  record(value: number, ok: boolean): void {
    this.count += 1;
    if (ok) this.okCount += 1;
    if (!(value >= 0 && value <= this.largestValue)) {
      if (value !== value) return;
      value = value < 0 ? 0 : this.largestValue;
    }
    const stored = Math.round(value * this.scale);
    const live = this.live;
    if (live !== null) {
      live.recordValue(stored);
    } else if (this.bufferLength < this.buffer.length) {
      this.buffer[this.bufferLength] = stored;
      this.bufferLength += 1;
    } else {
      this.bufferFull(stored);
    }
    this.sampleCount += 1;
    this.sum += value;
    this.sumOfSquares += value * value;
    const previous = this.previousValue;
    if (previous >= 0) {
      const difference = value > previous ? value - previous : previous - value;
      this.absoluteDifferenceSum += difference;
      this.differenceCount += 1;
      this.smoothedJitter += (difference - this.smoothedJitter) / 16;
    }
    this.previousValue = value;
  }

  recordWithCount(value: number, count: number, ok: boolean): void {
    if (!Number.isSafeInteger(count) || count < 1) {
      throw new VigilError('VIGIL_ERR_METRICS', `[core] metrics: count must be a positive integer, got ${count}`);
    }
    if (this.sampleCount + count > MAX_VALUES_PER_INTERVAL) {
      throw new VigilError('VIGIL_ERR_METRICS', `[core] metrics: more than ${MAX_VALUES_PER_INTERVAL} values in one interval`);
    }
    this.count += count;
    if (ok) this.okCount += count;
    if (!(value >= 0 && value <= this.largestValue)) {
      if (value !== value) return;
      value = value < 0 ? 0 : this.largestValue;
    }
    const stored = Math.round(value * this.scale);
    if (this.live === null && this.bufferLength + count <= this.buffer.length) {
      this.buffer.fill(stored, this.bufferLength, this.bufferLength + count);
      this.bufferLength += count;
    } else if (!this.released) {
      (this.live ?? this.promote()).recordValueWithCount(stored, count);
    }
    this.sampleCount += count;
    this.sum += value * count;
    this.sumOfSquares += value * value * count;
    const previous = this.previousValue;
    if (previous >= 0) {
      const difference = Math.abs(value - previous);
      this.absoluteDifferenceSum += difference;
      this.differenceCount += count;
      this.smoothedJitter += (difference - this.smoothedJitter) / 16;
    } else {
      this.differenceCount += count - 1;
    }
    // The repeats differ by 0 from each other.
    this.smoothedJitter *= (15 / 16) ** (count - 1);
    this.previousValue = value;
  }

  recordOutcome(ok: boolean): void {
    this.count += 1;
    if (ok) this.okCount += 1;
  }

  /** The interval's non-empty buckets so far (the interval stays open). */
  counts(): SortedCounts {
    if (this.live !== null) return liveHistogramCounts(this.live, this.settings.layout);
    if (this.bufferLength === 0) return emptyCounts;
    const { layout } = this.settings;
    const sortedIndices = new Float64Array(this.bufferLength);
    for (let position = 0; position < this.bufferLength; position += 1) sortedIndices[position] = layout.indexOf(this.buffer[position] as number);
    sortedIndices.sort();
    const indices: number[] = [];
    const counts: number[] = [];
    for (let position = 0; position < sortedIndices.length; position += 1) {
      const index = sortedIndices[position] as number;
      if (indices.length > 0 && indices[indices.length - 1] === index) counts[counts.length - 1] = (counts[counts.length - 1] as number) + 1;
      else {
        indices.push(index);
        counts.push(1);
      }
    }
    return { indices, counts, total: this.bufferLength };
  }

  /** Starts the next interval: zeroes the totals and sizes the storage to the rate just seen. */
  resetInterval(): void {
    const values = this.sampleCount;
    this.count = 0;
    this.okCount = 0;
    this.sampleCount = 0;
    this.sum = 0;
    this.sumOfSquares = 0;
    this.absoluteDifferenceSum = 0;
    this.differenceCount = 0;
    if (this.live !== null) {
      // Hysteresis: promoted above PROMOTION_THRESHOLD, demoted only below half of it.
      if (values < PROMOTION_THRESHOLD / 2) {
        releaseLiveHistogram(this.live, this);
        this.live = null;
      } else {
        this.live.reset();
      }
    } else {
      this.bufferLength = 0;
      if (this.buffer.length > INITIAL_BUFFER_LENGTH && values * 2 < this.buffer.length) {
        this.buffer = new Float64Array(Math.max(INITIAL_BUFFER_LENGTH, nextPowerOfTwo(values)));
      }
    }
  }

  /** Frees the live histogram; later values are dropped. Idempotent. */
  release(): void {
    this.released = true;
    if (this.live !== null) {
      releaseLiveHistogram(this.live, this);
      this.live = null;
    }
    this.bufferLength = 0;
    this.buffer = new Float64Array(INITIAL_BUFFER_LENGTH);
  }

  private bufferFull(stored: number): void {
    if (this.released) return;
    if (this.buffer.length < PROMOTION_THRESHOLD) {
      const grown = new Float64Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
      this.buffer[this.bufferLength] = stored;
      this.bufferLength += 1;
      return;
    }
    this.promote().recordValue(stored);
  }

  private promote(): Histogram {
    const live = createLiveHistogram(this.settings.backend, this.settings.layout.significantDigits, this);
    for (let position = 0; position < this.bufferLength; position += 1) live.recordValue(this.buffer[position] as number);
    this.bufferLength = 0;
    this.buffer = new Float64Array(INITIAL_BUFFER_LENGTH);
    this.live = live;
    return live;
  }
}
