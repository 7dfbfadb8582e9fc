import { deflateSync, inflateSync } from 'node:zlib';
import { VigilError } from '../errors/vigil-error.js';
import { summarizeDistribution } from './distribution.js';
import { type HistogramLayout, LARGEST_SUPPORTED_VALUE, histogramLayout } from './layout.js';
import { CountsAccumulator, type SortedCounts, countsFromPayload, forEachCount, payloadFromCounts } from './payload.js';
import type { HistogramStats } from './types.js';

/*
 * The standard HdrHistogram "V2 compressed" form, as written by the Java, Go, C and .NET ports:
 *   int32 cookie 0x1c849314, int32 length, zlib-deflated {
 *     int32 cookie 0x1c849313, int32 payload length, int32 normalizing index offset (0),
 *     int32 significant digits, int64 lowest discernible value, int64 highest trackable value,
 *     float64 integer-to-double conversion ratio (1.0), counts payload (see payload.ts) }
 * all big-endian, then base64. We write it ourselves rather than through hdr-histogram-js, whose
 * encoder writes a normalizing offset of 1 and the ratio as the integer 1 instead of the double
 * 1.0; Java tolerates both, but this way our bytes match Java's exactly.
 */

const V2_ENCODING_COOKIE = 0x1c849313;
const V2_COMPRESSED_COOKIE = 0x1c849314;
const COOKIE_BASE_MASK = ~0xf0;
const DOUBLE_HISTOGRAM_COOKIE_BASE = 0x0c72124e & COOKIE_BASE_MASK;
const HEADER_BYTES = 40;
/** Guards against decompression bombs; a full 5-digit histogram payload stays well below. */
const MAX_UNCOMPRESSED_BYTES = 64 * 2 ** 20;
const MAX_ENCODED_CHARS = 64 * 2 ** 20;
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The layout the engine and run histograms use: 1 (microsecond or unit) resolution. */
export const DEFAULT_SIGNIFICANT_DIGITS = 3;

function invalid(detail: string, cause?: unknown): VigilError {
  return new VigilError('VIGIL_ERR_METRICS', `[core] metrics: invalid snapshot: ${detail}`, cause === undefined ? {} : { cause });
}

/** A decoded snapshot in our internal form: the layout plus the raw counts payload. */
export interface EncodedCounts {
  readonly layout: HistogramLayout;
  readonly highestTrackableValue: number;
  /** V2 counts payload as a latin1 string. */
  readonly payload: string;
}

export interface EncodeOptions {
  /** Written to the header when larger than what the values need (Java/Go decoders size arrays by it). */
  readonly highestTrackableValue?: number;
  /** zlib level, 0..9; default 6 (java.util.zip's default, which Java's encoder uses). */
  readonly compressionLevel?: number;
}

/** Encodes a counts payload of `layout` in the standard V2 compressed base64 form. */
export function encodeCountsPayload(layout: HistogramLayout, payload: string, options: EncodeOptions = {}): string {
  const coveredIndices = forEachCount(payload, layout.maximumIndex, () => {});
  const highestNeeded = layout.highestValueAt(Math.max(0, coveredIndices - 1));
  const highestTrackableValue = Math.max(2 * layout.lowestDiscernibleValue, highestNeeded, Math.floor(options.highestTrackableValue ?? 0));
  const uncompressed = Buffer.alloc(HEADER_BYTES + payload.length);
  uncompressed.writeInt32BE(V2_ENCODING_COOKIE, 0);
  uncompressed.writeInt32BE(payload.length, 4);
  uncompressed.writeInt32BE(0, 8);
  uncompressed.writeInt32BE(layout.significantDigits, 12);
  uncompressed.writeBigInt64BE(BigInt(layout.lowestDiscernibleValue), 16);
  uncompressed.writeBigInt64BE(BigInt(highestTrackableValue), 24);
  uncompressed.writeDoubleBE(1, 32);
  uncompressed.write(payload, HEADER_BYTES, 'latin1');
  const compressed = deflateSync(uncompressed, { level: options.compressionLevel ?? 6 });
  const output = Buffer.alloc(8 + compressed.length);
  output.writeInt32BE(V2_COMPRESSED_COOKIE, 0);
  output.writeInt32BE(compressed.length, 4);
  compressed.copy(output, 8);
  return output.toString('base64');
}

/** Encodes sorted buckets of `layout` in the standard V2 compressed base64 form. */
export function encodeCounts(layout: HistogramLayout, counts: SortedCounts, options: EncodeOptions = {}): string {
  return encodeCountsPayload(layout, payloadFromCounts(counts), options);
}

function readNonNegativeInt64(buffer: Buffer, offset: number, field: string): number {
  const value = buffer.readBigInt64BE(offset);
  if (value < 0n) throw invalid(`negative ${field}`);
  // Java's default highest trackable value is 2^62; keep it (approximately) rather than reject it.
  return Number(value);
}

/**
 * Decodes a V2 compressed base64 snapshot into its layout and counts payload, checking every
 * field. Throws a `VIGIL_ERR_METRICS` VigilError for anything malformed.
 */
export function decodeCountsPayload(encoded: string): EncodedCounts {
  if (typeof encoded !== 'string') throw invalid(`expected a base64 string, got ${typeof encoded}`);
  const text = encoded.trim();
  if (text.length === 0) throw invalid('empty string');
  if (text.length > MAX_ENCODED_CHARS) throw invalid(`longer than ${MAX_ENCODED_CHARS} characters`);
  if (!base64Pattern.test(text)) throw invalid('not standard base64');
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length < 8) throw invalid('shorter than the 8-byte compressed header');
  const cookie = bytes.readInt32BE(0);
  if ((cookie & COOKIE_BASE_MASK) !== (V2_COMPRESSED_COOKIE & COOKIE_BASE_MASK)) {
    if ((cookie & COOKIE_BASE_MASK) === DOUBLE_HISTOGRAM_COOKIE_BASE) throw invalid('DoubleHistogram snapshots are not supported');
    if ((cookie & COOKIE_BASE_MASK) === (V2_ENCODING_COOKIE & COOKIE_BASE_MASK)) throw invalid('uncompressed V2 encoding; expected the compressed form');
    throw invalid(`unknown cookie 0x${(cookie >>> 0).toString(16)} (expected V2 compressed 0x1c849314)`);
  }
  const compressedLength = bytes.readInt32BE(4);
  if (compressedLength <= 0 || compressedLength > bytes.length - 8) throw invalid(`compressed length ${compressedLength} does not match the ${bytes.length - 8} bytes present`);
  let inner: Buffer;
  try {
    inner = inflateSync(bytes.subarray(8, 8 + compressedLength), { maxOutputLength: MAX_UNCOMPRESSED_BYTES });
  } catch (error) {
    throw invalid('the compressed contents do not inflate', error);
  }
  if (inner.length < HEADER_BYTES) throw invalid('shorter than the 40-byte V2 header');
  const innerCookie = inner.readInt32BE(0);
  if ((innerCookie & COOKIE_BASE_MASK) !== (V2_ENCODING_COOKIE & COOKIE_BASE_MASK)) {
    throw invalid(`unknown inner cookie 0x${(innerCookie >>> 0).toString(16)} (expected V2 0x1c849313)`);
  }
  const payloadLength = inner.readInt32BE(4);
  if (payloadLength < 0 || payloadLength > inner.length - HEADER_BYTES) throw invalid(`payload length ${payloadLength} does not match the ${inner.length - HEADER_BYTES} bytes present`);
  // Bytes 8..11 hold the normalizing index offset: it only shifts Java's internal storage, the
  // payload is always in logical index order, so it does not matter here.
  const significantDigits = inner.readInt32BE(12);
  if (significantDigits < 0 || significantDigits > 5) throw invalid(`significant digits ${significantDigits} outside 0..5`);
  const lowestDiscernibleValue = readNonNegativeInt64(inner, 16, 'lowest discernible value');
  if (lowestDiscernibleValue < 1 || lowestDiscernibleValue > LARGEST_SUPPORTED_VALUE / 4) throw invalid(`unsupported lowest discernible value ${lowestDiscernibleValue}`);
  const highestTrackableValue = readNonNegativeInt64(inner, 24, 'highest trackable value');
  if (highestTrackableValue < 2 * lowestDiscernibleValue) throw invalid(`highest trackable value ${highestTrackableValue} below twice the lowest discernible value`);
  const layout = histogramLayout(lowestDiscernibleValue, significantDigits);
  const payload = inner.toString('latin1', HEADER_BYTES, HEADER_BYTES + payloadLength);
  // Walk once so malformed counts fail here, not later in a query.
  countsFromPayload(payload, layout.maximumIndex);
  return { layout, highestTrackableValue, payload };
}

/** One non-empty bucket of a decoded snapshot: `count` values between `lowestValue` and `highestValue`. */
export interface SnapshotBucket {
  readonly lowestValue: number;
  readonly highestValue: number;
  readonly count: number;
}

/** A decoded HdrHistogram snapshot; values are in the histogram's raw unit (microseconds for `ms`). */
export interface HistogramSnapshot {
  readonly significantDigits: number;
  readonly lowestDiscernibleValue: number;
  readonly highestTrackableValue: number;
  readonly totalCount: number;
  /** Non-empty buckets in ascending order. */
  readonly buckets: readonly SnapshotBucket[];
}

/** Decodes a standard HdrHistogram V2 compressed base64 snapshot (from any implementation). */
export function decodeSnapshot(encoded: string): HistogramSnapshot {
  const { layout, highestTrackableValue, payload } = decodeCountsPayload(encoded);
  const counts = countsFromPayload(payload, layout.maximumIndex);
  return {
    significantDigits: layout.significantDigits,
    lowestDiscernibleValue: layout.lowestDiscernibleValue,
    highestTrackableValue,
    totalCount: counts.total,
    buckets: counts.indices.map((index, position) => ({
      lowestValue: layout.lowestValueAt(index),
      highestValue: layout.highestValueAt(index),
      count: counts.counts[position] as number,
    })),
  };
}

/** Encodes a snapshot (e.g. one from {@link decodeSnapshot}) in the standard V2 compressed base64 form. */
export function encodeSnapshot(
  snapshot: Pick<HistogramSnapshot, 'significantDigits' | 'lowestDiscernibleValue' | 'buckets'> & { readonly highestTrackableValue?: number },
  options: Pick<EncodeOptions, 'compressionLevel'> = {},
): string {
  const layout = histogramLayout(snapshot.lowestDiscernibleValue, snapshot.significantDigits);
  const accumulator = new CountsAccumulator();
  for (const bucket of snapshot.buckets) {
    if (!Number.isSafeInteger(bucket.count) || bucket.count < 0) throw new VigilError('VIGIL_ERR_METRICS', `[core] metrics: bucket counts must be non-negative integers, got ${bucket.count}`);
    if (!(bucket.lowestValue >= 0 && bucket.lowestValue <= LARGEST_SUPPORTED_VALUE)) throw new VigilError('VIGIL_ERR_METRICS', `[core] metrics: bucket values must be between 0 and 2^52, got ${bucket.lowestValue}`);
    if (bucket.count > 0) accumulator.add(layout.indexOf(Math.floor(bucket.lowestValue)), bucket.count);
  }
  const counts = accumulator.take();
  if (counts.total > Number.MAX_SAFE_INTEGER) throw new VigilError('VIGIL_ERR_METRICS', '[core] metrics: total count beyond 2^53');
  return encodeCounts(layout, counts, { highestTrackableValue: snapshot.highestTrackableValue ?? 0, compressionLevel: options.compressionLevel ?? 6 });
}

export interface MergeSnapshotsOptions {
  /** Layout of the result; default: that of the first snapshot (1 and 3 when there is none). */
  readonly lowestDiscernibleValue?: number;
  readonly significantDigits?: number;
}

/**
 * Merges snapshots into one. Snapshots sharing the result's layout (all those one engine writes)
 * merge exactly, bucket by bucket; others are re-bucketed by each bucket's lowest value, as Java's
 * `Histogram.add` does.
 */
export function mergeSnapshots(encoded: readonly string[], options: MergeSnapshotsOptions = {}): string {
  const decoded = encoded.map((text) => decodeCountsPayload(text));
  const first = decoded[0];
  const target = histogramLayout(
    options.lowestDiscernibleValue ?? first?.layout.lowestDiscernibleValue ?? 1,
    options.significantDigits ?? first?.layout.significantDigits ?? DEFAULT_SIGNIFICANT_DIGITS,
  );
  const accumulator = new CountsAccumulator();
  let highestTrackableValue = 0;
  for (const { layout, payload, highestTrackableValue: highest } of decoded) {
    highestTrackableValue = Math.max(highestTrackableValue, highest);
    if (layout === target) accumulator.addPayload(payload, layout.maximumIndex);
    else forEachCount(payload, layout.maximumIndex, (index, count) => accumulator.add(target.indexOf(layout.lowestValueAt(index)), count));
  }
  const counts = accumulator.take();
  if (counts.total > Number.MAX_SAFE_INTEGER) throw new VigilError('VIGIL_ERR_METRICS', '[core] metrics: merged total count beyond 2^53');
  return encodeCounts(target, counts, { highestTrackableValue });
}

/** Stored snapshot units per reported unit: 1000 for `ms` (snapshots hold microseconds), else 1. */
export function snapshotValueScale(unit: string): number {
  return unit === 'ms' ? 1000 : 1;
}

/** Raw histogram figures divided by `scale`, as {@link HistogramStats}. */
export function histogramStatsOf(counts: SortedCounts, layout: HistogramLayout, scale: number): HistogramStats {
  const summary = summarizeDistribution(counts, layout);
  const [p50, p90, p95, p99, p999] = summary.percentiles.map((value) => value / scale) as [number, number, number, number, number];
  return {
    count: summary.count,
    min: summary.min / scale,
    max: summary.max / scale,
    mean: summary.bucketMean / scale,
    stddev: summary.bucketStddev / scale,
    p50,
    p90,
    p95,
    p99,
    p999,
  };
}

/**
 * Statistics of a snapshot. Values are divided by `scale` (default 1000: engine snapshots of `ms`
 * series hold microseconds; use {@link snapshotValueScale} of the record's unit, or 1 for raw).
 * Mean and stddev come from bucket midpoints, as in every HdrHistogram implementation.
 */
export function statsFromSnapshot(encoded: string, options: { readonly scale?: number } = {}): HistogramStats {
  const scale = options.scale ?? 1000;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new VigilError('VIGIL_ERR_METRICS', `[core] metrics: scale must be a positive number, got ${scale}`);
  const { layout, payload } = decodeCountsPayload(encoded);
  return histogramStatsOf(countsFromPayload(payload, layout.maximumIndex), layout, scale);
}
