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

/**
 * The closed intervals of one series, oldest overwritten first. Each slot keeps its totals and
 * its counts as a V2 payload string; nothing here is a live histogram.
 */
export class IntervalRing {
  private readonly fields: Float64Array;
  private readonly payloads: (string | undefined)[];
  private nextPosition = 0;
  private length = 0;

  constructor(readonly capacity: number) {
    this.fields = new Float64Array(capacity * FIELDS);
    this.payloads = new Array<string | undefined>(capacity).fill(undefined);
  }

  /** Closed intervals held. */
  get size(): number {
    return this.length;
  }

  push(start: number, end: number, totals: Readonly<IntervalTotals>, payload: string): void {
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
    this.nextPosition = (position + 1) % this.capacity;
    this.length = Math.min(this.length + 1, this.capacity);
  }

  /** The slot position of the interval `age` closings ago (0 = the newest). */
  positionOf(age: number): number {
    return (this.nextPosition - 1 - age + 2 * this.capacity) % this.capacity;
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
