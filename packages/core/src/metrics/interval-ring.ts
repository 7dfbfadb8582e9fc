import type { IntervalTotals } from './interval-accumulator.js';

// Field offsets of one slot. Columns in one Float64Array rather than an object per slot: V8
// boxes every double field of an object (16 bytes plus a pointer each), and a series keeps ~60.
const START = 0;
const END = 1;
const COUNT = 2;
const OK_COUNT = 3;
const SAMPLE_COUNT = 4;
const SUM = 5;
const SUM_OF_SQUARES = 6;
const ABSOLUTE_DIFFERENCE_SUM = 7;
const DIFFERENCE_COUNT = 8;
const EMITTED = 9;
const FIELDS = 10;
/** Slots a new ring starts with (it doubles as intervals close, up to its capacity). */
const INITIAL_SLOTS = 4;

/**
 * The closed intervals of one series, oldest overwritten first. Each slot keeps its totals and
 * its counts as a V2 payload string; nothing here is a live histogram.
 */
export class IntervalRing {
  private fields: Float64Array;
  private payloads: (string | undefined)[];
  /**
   * Slots allocated so far. A ring starts small and doubles up to `capacity` before it first
   * wraps: a new series costs a few hundred bytes, not the full hour of slots, and a monitor
   * with tens of thousands of checks starts without allocating (and zeroing) it all at once.
   */
  private allocated: number;
  private nextPosition = 0;
  private length = 0;

  constructor(readonly capacity: number) {
    this.allocated = Math.min(capacity, INITIAL_SLOTS);
    this.fields = new Float64Array(this.allocated * FIELDS);
    this.payloads = new Array<string | undefined>(this.allocated).fill(undefined);
  }

  /** Doubles the slots; only called before the ring first wraps, so positions stay in order. */
  private grow(): void {
    const allocated = Math.min(this.capacity, this.allocated * 2);
    const fields = new Float64Array(allocated * FIELDS);
    fields.set(this.fields);
    this.fields = fields;
    for (let position = this.allocated; position < allocated; position += 1) this.payloads.push(undefined);
    // The full ring holds slots 0..allocated-1 oldest first, and its next position wrapped to 0:
    // continue after the last one instead.
    this.nextPosition = this.allocated;
    this.allocated = allocated;
  }

  /** Closed intervals held. */
  get size(): number {
    return this.length;
  }

  push(start: number, end: number, totals: Readonly<IntervalTotals>, payload: string): void {
    if (this.length === this.allocated && this.allocated < this.capacity) this.grow();
    const position = this.nextPosition;
    const base = position * FIELDS;
    const fields = this.fields;
    fields[base + START] = start;
    fields[base + END] = end;
    fields[base + COUNT] = totals.count;
    fields[base + OK_COUNT] = totals.okCount;
    fields[base + SAMPLE_COUNT] = totals.sampleCount;
    fields[base + SUM] = totals.sum;
    fields[base + SUM_OF_SQUARES] = totals.sumOfSquares;
    fields[base + ABSOLUTE_DIFFERENCE_SUM] = totals.absoluteDifferenceSum;
    fields[base + DIFFERENCE_COUNT] = totals.differenceCount;
    fields[base + EMITTED] = 0;
    this.payloads[position] = payload;
    this.nextPosition = (position + 1) % this.allocated;
    this.length = Math.min(this.length + 1, this.allocated);
  }

  /** The slot position of the interval `age` closings ago (0 = the newest). */
  positionOf(age: number): number {
    return (this.nextPosition - 1 - age + 2 * this.allocated) % this.allocated;
  }

  start(position: number): number {
    return this.fields[position * FIELDS + START] as number;
  }

  end(position: number): number {
    return this.fields[position * FIELDS + END] as number;
  }

  payload(position: number): string {
    return this.payloads[position] ?? '';
  }

  count(position: number): number {
    return this.fields[position * FIELDS + COUNT] as number;
  }

  okCount(position: number): number {
    return this.fields[position * FIELDS + OK_COUNT] as number;
  }

  addTotalsTo(position: number, target: IntervalTotals): void {
    const base = position * FIELDS;
    const fields = this.fields;
    target.count += fields[base + COUNT] as number;
    target.okCount += fields[base + OK_COUNT] as number;
    target.sampleCount += fields[base + SAMPLE_COUNT] as number;
    target.sum += fields[base + SUM] as number;
    target.sumOfSquares += fields[base + SUM_OF_SQUARES] as number;
    target.absoluteDifferenceSum += fields[base + ABSOLUTE_DIFFERENCE_SUM] as number;
    target.differenceCount += fields[base + DIFFERENCE_COUNT] as number;
  }

  isEmitted(position: number): boolean {
    return this.fields[position * FIELDS + EMITTED] === 1;
  }

  markEmitted(position: number): void {
    this.fields[position * FIELDS + EMITTED] = 1;
  }

  /** Bytes of counts payload held (one byte per latin1 char). */
  payloadBytes(): number {
    let bytes = 0;
    for (let age = 0; age < this.length; age += 1) bytes += this.payload(this.positionOf(age)).length;
    return bytes;
  }
}
