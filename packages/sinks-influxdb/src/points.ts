import { snapshotValueScale, statsFromSnapshot } from '@vigil/core';
import type { AlertRecord, MetricEntry, ResultRecord, SinkRecord, SnapshotRecord, Tags } from '@vigil/core';
import {
  type LineFieldValue,
  type LineProtocolPrecision,
  encodePoint,
  encodeTags,
  escapeFieldKey,
  escapeMeasurement,
  formatTimestamp,
  integerField,
  quoteString,
} from './line-protocol.js';

/** What the record-to-point mapping needs from the sink's settings. */
export interface PointSettings {
  readonly precision: LineProtocolPrecision;
  readonly measurements: { readonly result: string; readonly metric: string; readonly snapshot: string; readonly alert: string };
  /** Added to every point, below the record's own tags. */
  readonly tags: Tags;
  readonly maxStringLength: number;
}

/** The lines of a batch, and which lines belong to which record (for partial writes). */
export interface EncodedBatch {
  readonly lines: string[];
  /** `lines[starts[i] .. starts[i + 1])` are record i's; `starts` has one entry more than the batch. */
  readonly starts: Int32Array;
}

// Tag keys InfluxDB rejects (`time`) or reserves (2.x's `_field`, `_measurement`): renamed, not lost.
const reservedTagKeys: ReadonlySet<string> = new Set(['time', '_field', '_measurement', '_time', '_value', '_start', '_stop']);

/** Static tags, then the record's tags (renamed where InfluxDB reserves the key), then Vigil's own. */
function mergeTags(settings: PointSettings, recordTags: Tags, extraTags: Tags | undefined, ownTags: Record<string, string | undefined>): Record<string, string> {
  const merged: Record<string, string> = { ...settings.tags };
  for (const source of extraTags === undefined ? [recordTags] : [recordTags, extraTags]) {
    for (const key of Object.keys(source)) merged[reservedTagKeys.has(key) ? `tag_${key}` : key] = source[key] as string;
  }
  for (const key of Object.keys(ownTags)) {
    const value = ownTags[key];
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

function cut(text: string, settings: PointSettings): string {
  return text.length > settings.maxStringLength ? `${text.slice(0, settings.maxStringLength - 1)}…` : text;
}

/** A check's encoded tag sets, by outcome; valid while its type and target stay the same. */
interface CheckTagCache {
  readonly checkType: string;
  readonly target: string | undefined;
  /** `measurement,tags ` (ready to take the fields) by status, then reason. */
  readonly prefixes: Map<string, Map<string, string>>;
}

/**
 * Per-sink caches for the hot path (results). A check's records share one `tags` object (the
 * runtime passes the definition's), so the measurement-and-tags prefix of its lines is built
 * once per check and outcome, and looked up without building a key.
 */
interface EncoderCaches {
  readonly resultTags: WeakMap<Tags, Map<string, CheckTagCache>>;
  readonly fieldKeys: Map<string, string>;
  readonly measurement: string;
}

const MAX_CACHED = 256;

function resultPrefix(record: ResultRecord, settings: PointSettings, caches: EncoderCaches): string {
  let byCheck = caches.resultTags.get(record.tags);
  if (byCheck === undefined) {
    byCheck = new Map();
    caches.resultTags.set(record.tags, byCheck);
  }
  let check = byCheck.get(record.checkId);
  if (check === undefined || check.checkType !== record.checkType || check.target !== record.target) {
    check = { checkType: record.checkType, target: record.target, prefixes: new Map() };
    if (byCheck.size < MAX_CACHED) byCheck.set(record.checkId, check);
  }
  let byReason = check.prefixes.get(record.status);
  if (byReason === undefined) {
    byReason = new Map();
    check.prefixes.set(record.status, byReason);
  }
  let prefix = byReason.get(record.reason);
  if (prefix === undefined) {
    const tags = mergeTags(settings, record.tags, undefined, { check: record.checkId, check_type: record.checkType, target: record.target, status: record.status, reason: record.reason });
    prefix = `${caches.measurement}${encodeTags(tags)} `;
    byReason.set(record.reason, prefix);
  }
  return prefix;
}

function phaseKey(name: string, caches: EncoderCaches): string {
  let key = caches.fieldKeys.get(name);
  if (key === undefined) {
    key = `,${escapeFieldKey(`phase_${name}_ms`)}=`;
    if (caches.fieldKeys.size < MAX_CACHED) caches.fieldKeys.set(name, key);
  }
  return key;
}

function resultLines(record: ResultRecord, settings: PointSettings, caches: EncoderCaches, lines: string[]): void {
  // Built as one string, without intermediate objects: this runs for every result.
  const up = record.status === 'up' || record.status === 'degraded' ? 'up=1i' : 'up=0i';
  let fields = Number.isFinite(record.durationMs) ? `duration_ms=${record.durationMs},${up}` : up;
  if (Number.isFinite(record.lagMs)) fields += `,lag_ms=${record.lagMs}`;
  if (Number.isFinite(record.attempts)) fields += `,attempts=${Math.trunc(record.attempts)}i`;
  if (record.message !== undefined) fields += `,message=${quoteString(cut(record.message, settings))}`;
  const phases = record.phases;
  for (const name in phases) {
    const value = phases[name] as number;
    if (Number.isFinite(value)) fields += `${phaseKey(name, caches)}${value}`;
  }
  const timestamp = settings.precision === 'ms' ? String(Math.round(record.timestamp)) : formatTimestamp(record.timestamp, settings.precision);
  lines.push(`${resultPrefix(record, settings, caches)}${fields} ${timestamp}`);
  for (const metric of record.metrics) metricLine(record, metric, settings, lines);
}

function metricLine(record: ResultRecord, metric: MetricEntry, settings: PointSettings, lines: string[]): void {
  const tags = mergeTags(settings, record.tags, metric.tags, { check: record.checkId, name: metric.name, type: metric.type, unit: metric.unit });
  const fields: Record<string, LineFieldValue> =
    metric.type === 'histogram'
      ? {
          count: integerField(metric.count),
          min: metric.min,
          max: metric.max,
          mean: metric.mean,
          stddev: metric.stddev,
          p50: metric.p50,
          p90: metric.p90,
          p95: metric.p95,
          p99: metric.p99,
          p99_9: metric.p999,
          jitter: metric.jitter,
        }
      : { value: metric.value };
  const line = encodePoint({ measurement: settings.measurements.metric, tags, fields, timestamp: record.timestamp }, settings.precision);
  if (line !== undefined) lines.push(line);
}

function snapshotLine(record: SnapshotRecord, settings: PointSettings, lines: string[]): void {
  const fields: Record<string, LineFieldValue | undefined> = {
    count: integerField(record.count),
    ok_count: integerField(record.okCount),
    success_ratio: record.count > 0 ? record.okCount / record.count : undefined,
    interval_ms: integerField(record.end - record.start),
  };
  try {
    const stats = statsFromSnapshot(record.histogram, { scale: snapshotValueScale(record.unit) });
    Object.assign(fields, {
      samples: integerField(stats.count),
      min: stats.min,
      max: stats.max,
      mean: stats.mean,
      stddev: stats.stddev,
      p50: stats.p50,
      p90: stats.p90,
      p95: stats.p95,
      p99: stats.p99,
      p99_9: stats.p999,
    });
  } catch {
    // An undecodable histogram still leaves the counts worth storing.
  }
  const tags = mergeTags(settings, record.tags, undefined, { check: record.checkId, metric: record.metric, unit: record.unit });
  const line = encodePoint({ measurement: settings.measurements.snapshot, tags, fields, timestamp: record.start }, settings.precision);
  if (line !== undefined) lines.push(line);
}

function alertLine(record: AlertRecord, settings: PointSettings, lines: string[]): void {
  const fields: Record<string, LineFieldValue | undefined> = {
    message: cut(record.message, settings),
    alert_id: record.alertId,
    event_id: record.id,
    since: integerField(record.since),
    link: record.link,
  };
  for (const [name, value] of Object.entries(record.values)) fields[`value_${name}`] = value;
  const tags = mergeTags(settings, record.tags, undefined, {
    check: record.checkId,
    rule: record.ruleId,
    severity: record.severity,
    state: record.state,
    previous_state: record.previousState,
    reason: record.reason,
    cause: record.cause,
  });
  const line = encodePoint({ measurement: settings.measurements.alert, tags, fields, timestamp: record.at }, settings.precision);
  if (line !== undefined) lines.push(line);
}

/** Encodes records as line-protocol points; one per sink, holding its caches. */
export interface PointEncoder {
  /** Appends the points of one record as lines: a result is one point plus one per check metric. */
  recordLines(record: SinkRecord, lines?: string[]): string[];
  /** Encodes a batch, remembering each record's lines. */
  encodeBatch(batch: readonly SinkRecord[]): EncodedBatch;
}

/** Creates the record-to-point encoder of one sink (see README for the measurements). */
export function createPointEncoder(settings: PointSettings): PointEncoder {
  const caches: EncoderCaches = { resultTags: new WeakMap(), fieldKeys: new Map(), measurement: escapeMeasurement(settings.measurements.result) };
  const recordLines = (record: SinkRecord, lines: string[] = []): string[] => {
    switch (record.type) {
      case 'result':
        resultLines(record, settings, caches, lines);
        break;
      case 'snapshot':
        snapshotLine(record, settings, lines);
        break;
      case 'alert':
        alertLine(record, settings, lines);
        break;
    }
    return lines;
  };
  return {
    recordLines,
    encodeBatch(batch) {
      const lines: string[] = [];
      const starts = new Int32Array(batch.length + 1);
      for (let index = 0; index < batch.length; index += 1) {
        starts[index] = lines.length;
        recordLines(batch[index] as SinkRecord, lines);
      }
      starts[batch.length] = lines.length;
      return { lines, starts };
    },
  };
}

/** The lines of one record (a one-off encoder; sinks keep one with {@link createPointEncoder}). */
export function recordLines(record: SinkRecord, settings: PointSettings): string[] {
  return createPointEncoder(settings).recordLines(record);
}

/** Encodes a batch with a one-off encoder. */
export function encodeBatch(batch: readonly SinkRecord[], settings: PointSettings): EncodedBatch {
  return createPointEncoder(settings).encodeBatch(batch);
}
