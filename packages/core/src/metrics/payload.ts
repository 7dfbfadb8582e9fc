import { VigilError } from '../errors/vigil-error.js';

/*
 * The counts payload of the HdrHistogram V2 encoding: for each counts-array index from 0 up to
 * the highest non-empty one, a ZigZag LEB128-64b9B varint; a run of two or more empty indices is
 * written as one negative varint (minus the run length). Closed intervals are kept in exactly this
 * form, held in a latin1 string (one char per byte): a short V8 string costs a 16-byte header,
 * where even the smallest typed array costs over 100 bytes. Emitting a standard snapshot is then
 * only a header, deflate and base64.
 */

/** Non-empty buckets in ascending index order. */
export interface SortedCounts {
  readonly indices: readonly number[];
  readonly counts: readonly number[];
  readonly total: number;
}

export const emptyCounts: SortedCounts = Object.freeze({ indices: Object.freeze([]), counts: Object.freeze([]), total: 0 });

const TWO_TO_THE_53 = 2 ** 53;

function invalid(detail: string): VigilError {
  return new VigilError('VIGIL_ERR_METRICS', `[core] metrics: invalid snapshot: ${detail}`);
}

/** Growable byte scratch for encoding; payloads are built synchronously, one at a time. */
let scratch = new Uint8Array(1024);

/** Writes one ZigZag LEB128-64b9B varint (|value| <= 2^52) at `offset`; returns the new offset. */
function writeVarint(offset: number, value: number): number {
  if (offset + 9 > scratch.length) {
    const grown = new Uint8Array(scratch.length * 2);
    grown.set(scratch);
    scratch = grown;
  }
  // ZigZag with arithmetic, not bit operators: those truncate to 32 bits.
  let remaining = value >= 0 ? value * 2 : -value * 2 - 1;
  for (let byteIndex = 0; byteIndex < 8; byteIndex += 1) {
    if (remaining < 0x80) {
      scratch[offset] = remaining;
      return offset + 1;
    }
    scratch[offset] = (remaining % 0x80) | 0x80;
    offset += 1;
    remaining = Math.floor(remaining / 0x80);
  }
  // The ninth byte carries 8 bits (never reached below 2^56).
  scratch[offset] = remaining;
  return offset + 1;
}

/** Encodes sorted non-empty buckets as a V2 counts payload (a latin1 string). */
export function payloadFromCounts(counts: SortedCounts): string {
  let length = 0;
  let nextIndex = 0;
  for (let position = 0; position < counts.indices.length; position += 1) {
    const index = counts.indices[position] as number;
    const gap = index - nextIndex;
    // As in the Java encoder: one empty index is a 0, longer runs are one negative length.
    if (gap === 1) length = writeVarint(length, 0);
    else if (gap > 1) length = writeVarint(length, -gap);
    length = writeVarint(length, counts.counts[position] as number);
    nextIndex = index + 1;
  }
  // An empty histogram still encodes its index 0 (as the Java encoder does).
  if (length === 0) length = writeVarint(0, 0);
  return Buffer.from(scratch.buffer, scratch.byteOffset, length).toString('latin1');
}

/**
 * Calls `visit` for every non-empty bucket of a payload, in ascending index order. Throws a
 * `VIGIL_ERR_METRICS` VigilError for truncated varints, counts beyond 2^52 or indices beyond
 * `maximumIndex`. Returns the number of indices the payload covers.
 */
export function forEachCount(payload: string, maximumIndex: number, visit: (index: number, count: number) => void): number {
  const length = payload.length;
  let offset = 0;
  let index = 0;
  while (offset < length) {
    let byte = payload.charCodeAt(offset);
    offset += 1;
    let zigZag = byte & 0x7f;
    let multiplier = 0x80;
    let byteIndex = 1;
    while (byte & 0x80) {
      if (offset >= length) throw invalid('truncated counts varint');
      byte = payload.charCodeAt(offset);
      offset += 1;
      if (byteIndex === 8) {
        zigZag += byte * multiplier;
        break;
      }
      zigZag += (byte & 0x7f) * multiplier;
      multiplier *= 0x80;
      byteIndex += 1;
    }
    if (zigZag >= TWO_TO_THE_53) throw invalid('a count or run length beyond 2^52');
    if (zigZag % 2 === 1) {
      index += (zigZag + 1) / 2;
    } else {
      if (zigZag !== 0) {
        if (index > maximumIndex) throw invalid(`a value beyond the supported range (index ${index})`);
        visit(index, zigZag / 2);
      }
      index += 1;
    }
  }
  return index;
}

/** Reads a payload into sorted buckets (see {@link forEachCount} for the checks). */
export function countsFromPayload(payload: string, maximumIndex: number): SortedCounts {
  const indices: number[] = [];
  const counts: number[] = [];
  let total = 0;
  forEachCount(payload, maximumIndex, (index, count) => {
    indices.push(index);
    counts.push(count);
    total += count;
  });
  if (total > Number.MAX_SAFE_INTEGER) throw invalid('total count beyond 2^53');
  return { indices, counts, total };
}

/** The bucket-wise sum of two sorted bucket lists, in one linear pass. */
export function mergeSortedCounts(left: SortedCounts, right: SortedCounts): SortedCounts {
  if (right.total === 0 && right.indices.length === 0) return left;
  if (left.total === 0 && left.indices.length === 0) return right;
  const indices: number[] = [];
  const counts: number[] = [];
  let leftPosition = 0;
  let rightPosition = 0;
  while (leftPosition < left.indices.length || rightPosition < right.indices.length) {
    const leftIndex = left.indices[leftPosition] ?? Number.POSITIVE_INFINITY;
    const rightIndex = right.indices[rightPosition] ?? Number.POSITIVE_INFINITY;
    if (leftIndex <= rightIndex) {
      indices.push(leftIndex);
      counts.push((left.counts[leftPosition] as number) + (leftIndex === rightIndex ? (right.counts[rightPosition] as number) : 0));
      leftPosition += 1;
      if (leftIndex === rightIndex) rightPosition += 1;
    } else {
      indices.push(rightIndex);
      counts.push(right.counts[rightPosition] as number);
      rightPosition += 1;
    }
  }
  return { indices, counts, total: left.total + right.total };
}

/**
 * Adds buckets from many sources, then hands them back sorted. Sparse (a Map) rather than a dense
 * array: decoded snapshots may use 5 significant digits and huge values, where a dense array
 * would need millions of slots for a handful of buckets.
 */
export class CountsAccumulator {
  private readonly counts = new Map<number, number>();

  add(index: number, count: number): void {
    this.counts.set(index, (this.counts.get(index) ?? 0) + count);
  }

  addPayload(payload: string, maximumIndex: number): void {
    forEachCount(payload, maximumIndex, (index, count) => this.add(index, count));
  }

  addCounts(counts: SortedCounts): void {
    for (let position = 0; position < counts.indices.length; position += 1) {
      this.add(counts.indices[position] as number, counts.counts[position] as number);
    }
  }

  /** The accumulated buckets in index order; the accumulator is empty afterwards. */
  take(): SortedCounts {
    if (this.counts.size === 0) return emptyCounts;
    const indices = [...this.counts.keys()].sort((left, right) => left - right);
    const counts: number[] = new Array<number>(indices.length);
    let total = 0;
    for (let position = 0; position < indices.length; position += 1) {
      const count = this.counts.get(indices[position] as number) as number;
      counts[position] = count;
      total += count;
    }
    this.counts.clear();
    return { indices, counts, total };
  }
}
