import type { Histogram } from 'hdr-histogram-js';
import { VigilError } from '../errors/vigil-error.js';
import { createLiveHistogram, liveHistogramCounts, releaseLiveHistogram } from './histogram-backend.js';
import type { HistogramLayout } from './layout.js';
import { type SortedCounts, emptyCounts, mergeSortedCounts } from './payload.js';
import type { HistogramBackend } from './types.js';

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
  readonly backend: HistogramBackend;
}

const INITIAL_BUFFER_LENGTH = 8;
/**
 * Values one interval may buffer. A series that fills the buffer gets a live hdr histogram and
 * from then on empties the buffer into it whenever it is full. A live histogram costs 30-60 KB
 * while 1024 buffered values cost 8 KB, and a check every 10 s records 6 a minute: most series
 * never need one.
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
 * The open interval of one series. `record` (the hot path) only appends the raw value to a
 * buffer; sums, jitter and the histogram are brought up to date in tight loops when the buffer
 * fills or someone reads. While the series is quiet the buffer itself is the interval's data;
 * once it fills, a live hdr histogram (JS or WebAssembly) counts the values.
 */
export class IntervalAccumulator {
  private readonly scale: number;
  private readonly largestValue: number;
  private buffer = new Float64Array(INITIAL_BUFFER_LENGTH);
  private bufferLength = 0;
  /** Buffered values already counted in the sums and jitter. */
  private settledLength = 0;
  /** Runs of this interval not in the buffer (moved to the histogram, outcomes, bulk, non-numbers). */
  private unbufferedRuns = 0;
  private failedRuns = 0;
  private sampleCount = 0;
  private sum = 0;
  private sumOfSquares = 0;
  private absoluteDifferenceSum = 0;
  private differenceCount = 0;
  /** The last value (-1 before the first), kept across intervals so jitter spans boundaries. */
  private previousValue = -1;
  /** RFC 3550 running estimate; kept across intervals. */
  private smoothed = 0;
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

  /** True when the interval has any run. */
  get hasRuns(): boolean {
    return this.unbufferedRuns + this.bufferLength > 0;
  }

  record(value: number, ok: boolean): void {
    if (!ok) this.failedRuns += 1;
    // Checked here, once, so the loops over the buffer need no checks at all.
    if (!(value >= 0 && value <= this.largestValue)) {
      if (value !== value) {
        this.unbufferedRuns += 1;
        return;
      }
      value = value < 0 ? 0 : this.largestValue;
    }
    const length = this.bufferLength;
    if (length < this.buffer.length) {
      this.buffer[length] = value;
      this.bufferLength = length + 1;
    } else {
      this.bufferFull(value);
    }
  }

  recordWithCount(value: number, count: number, ok: boolean): void {
    if (!Number.isSafeInteger(count) || count < 1) {
      throw new VigilError('VIGIL_ERR_METRICS', `[core] metrics: count must be a positive integer, got ${count}`);
    }
    this.settle();
    if (this.sampleCount + count > MAX_VALUES_PER_INTERVAL) {
      throw new VigilError('VIGIL_ERR_METRICS', `[core] metrics: more than ${MAX_VALUES_PER_INTERVAL} values in one interval`);
    }
    this.unbufferedRuns += count;
    if (!ok) this.failedRuns += count;
    if (value !== value) return;
    const valid = value < 0 ? 0 : value > this.largestValue ? this.largestValue : value;
    if (!this.released) (this.live ?? this.promote()).recordValueWithCount(Math.round(valid * this.scale), count);
    this.sampleCount += count;
    this.sum += valid * count;
    this.sumOfSquares += valid * valid * count;
    const previous = this.previousValue;
    if (previous >= 0) {
      const difference = Math.abs(valid - previous);
      this.absoluteDifferenceSum += difference;
      this.differenceCount += count;
      this.smoothed += (difference - this.smoothed) * 0.0625;
    } else {
      this.differenceCount += count - 1;
    }
    // The repeats differ from each other by 0.
    this.smoothed *= (15 / 16) ** (count - 1);
    this.previousValue = valid;
  }

  recordOutcome(ok: boolean): void {
    this.unbufferedRuns += 1;
    if (!ok) this.failedRuns += 1;
  }

  /** The interval's totals so far. */
  totals(): IntervalTotals {
    this.settle();
    const count = this.unbufferedRuns + this.bufferLength;
    return {
      count,
      okCount: count - this.failedRuns,
      sampleCount: this.sampleCount,
      sum: this.sum,
      sumOfSquares: this.sumOfSquares,
      absoluteDifferenceSum: this.absoluteDifferenceSum,
      differenceCount: this.differenceCount,
    };
  }

  /** The RFC 3550 running jitter estimate over every value so far. */
  smoothedJitter(): number {
    this.settle();
    return this.smoothed;
  }

  /** The interval's non-empty buckets so far (the interval stays open). */
  counts(): SortedCounts {
    this.settle();
    const buffered = this.bufferedCounts();
    return this.live === null ? buffered : mergeSortedCounts(liveHistogramCounts(this.live, this.settings.layout), buffered);
  }

  /** Starts the next interval: zeroes the totals and sizes the storage to the rate just seen. */
  resetInterval(): void {
    this.settle();
    const values = this.sampleCount;
    this.bufferLength = 0;
    this.settledLength = 0;
    this.unbufferedRuns = 0;
    this.failedRuns = 0;
    this.sampleCount = 0;
    this.sum = 0;
    this.sumOfSquares = 0;
    this.absoluteDifferenceSum = 0;
    this.differenceCount = 0;
    if (this.live !== null) {
      // Hysteresis: promoted at PROMOTION_THRESHOLD values, demoted only below half of it.
      if (values < PROMOTION_THRESHOLD / 2) {
        releaseLiveHistogram(this.live, this);
        this.live = null;
        this.buffer = new Float64Array(Math.max(INITIAL_BUFFER_LENGTH, nextPowerOfTwo(values)));
      } else {
        this.live.reset();
      }
    } else if (this.buffer.length > INITIAL_BUFFER_LENGTH && values * 2 < this.buffer.length) {
      this.buffer = new Float64Array(Math.max(INITIAL_BUFFER_LENGTH, nextPowerOfTwo(values)));
    }
  }

  /** Frees the live histogram; later values are counted as runs but not kept. Idempotent. */
  release(): void {
    this.released = true;
    if (this.live !== null) {
      releaseLiveHistogram(this.live, this);
      this.live = null;
    }
    this.unbufferedRuns += this.bufferLength;
    this.bufferLength = 0;
    this.settledLength = 0;
    this.buffer = new Float64Array(INITIAL_BUFFER_LENGTH);
  }

  /** Brings the sums and jitter up to date with the buffered values. */

  /** Adds the buffered values not yet counted to the sums and jitter. */
  private settle(): void {
    const buffer = this.buffer;
    const end = this.bufferLength;
    let position = this.settledLength;
    if (position === end) return;
    let previous = this.previousValue;
    // The very first value of the series has no predecessor: no difference to add.
    if (previous < 0) {
      previous = buffer[position] as number;
      this.sampleCount += 1;
      this.sum += previous;
      this.sumOfSquares += previous * previous;
      position += 1;
    }
    let sum = 0;
    let sumOfSquares = 0;
    let absoluteDifferenceSum = 0;
    let smoothed = this.smoothed;
    for (let index = position; index < end; index += 1) {
      const value = buffer[index] as number;
      sum += value;
      sumOfSquares += value * value;
      // Math.abs compiles branch-free; a comparison would mispredict on every other value.
      const difference = Math.abs(value - previous);
      absoluteDifferenceSum += difference;
      // x * 0.0625 is exactly x / 16, without a division on the loop-carried chain.
      smoothed += (difference - smoothed) * 0.0625;
      previous = value;
    }
    this.sampleCount += end - position;
    this.sum += sum;
    this.sumOfSquares += sumOfSquares;
    this.absoluteDifferenceSum += absoluteDifferenceSum;
    this.differenceCount += end - position;
    this.previousValue = previous;
    this.smoothed = smoothed;
    this.settledLength = end;
  }

  private bufferFull(value: number): void {
    if (this.released) {
      this.unbufferedRuns += 1;
      return;
    }
    if (this.buffer.length < PROMOTION_THRESHOLD) {
      const grown = new Float64Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    } else {
      this.emptyBuffer(this.live ?? this.promote());
    }
    this.buffer[this.bufferLength] = value;
    this.bufferLength += 1;
  }

  /** Settles, then records every buffered value in `live` and empties the buffer. */
  private emptyBuffer(live: Histogram): void {
    this.settle();
    const { buffer, bufferLength, scale } = this;
    // Kept apart from the arithmetic in settle(): a call in that loop would spill its running sums.
    for (let index = 0; index < bufferLength; index += 1) live.recordValue(Math.round((buffer[index] as number) * scale));
    this.unbufferedRuns += bufferLength;
    this.bufferLength = 0;
    this.settledLength = 0;
  }

  private promote(): Histogram {
    const live = createLiveHistogram(this.settings.backend, this.settings.layout.significantDigits, this);
    this.live = live;
    return live;
  }

  private bufferedCounts(): SortedCounts {
    const end = this.bufferLength;
    if (end === 0) return emptyCounts;
    const { layout } = this.settings;
    // Indices stay far below 2^31 (about 45 000 at 3 digits), so an Int32Array sorts them natively.
    const sortedIndices = new Int32Array(end);
    for (let position = 0; position < end; position += 1) sortedIndices[position] = layout.indexOf(Math.round((this.buffer[position] as number) * this.scale));
    sortedIndices.sort();
    const indices: number[] = [];
    const counts: number[] = [];
    let previous = -1;
    for (let position = 0; position < end; position += 1) {
      const index = sortedIndices[position] as number;
      if (index === previous) counts[counts.length - 1] = (counts[counts.length - 1] as number) + 1;
      else {
        indices.push(index);
        counts.push(1);
        previous = index;
      }
    }
    return { indices, counts, total: end };
  }
}
