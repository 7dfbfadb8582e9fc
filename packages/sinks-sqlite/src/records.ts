import { createHash } from 'node:crypto';
import { checkStatuses, decodeSnapshot, describeError } from '@vigil/core';
import type { AlertRecord, AlertSeverity, AlertState, CheckStatus, ReasonCode, ResultRecord, SnapshotRecord } from '@vigil/core';

const statusSet: ReadonlySet<string> = new Set(checkStatuses);
const alertStates: ReadonlySet<string> = new Set<AlertState>(['ok', 'pending', 'firing', 'resolved', 'flapping']);
const severities: ReadonlySet<string> = new Set<AlertSeverity>(['info', 'warning', 'critical']);

const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** JSON text of an object field (`{}` when absent); throws on cycles and BigInt values. */
function json(value: unknown): string {
  return JSON.stringify(value ?? {});
}

/** The parameters of one `results` row, in column order. */
export type ResultRow = [string, string, string | null, number, number, number, string, string, string | null, number, number, string, string, string, string | null];

/** Validates a result record and turns it into row parameters; returns a reason string when it cannot be stored. */
export function resultRow(record: ResultRecord): ResultRow | string {
  if (!isNonEmptyString(record.checkId)) return 'result: checkId must be a non-empty string';
  if (!isFiniteNumber(record.timestamp)) return `result ${record.checkId}: timestamp must be epoch milliseconds`;
  if (!statusSet.has(record.status)) return `result ${record.checkId}: status must be one of ${checkStatuses.join(', ')}, got ${String(record.status)}`;
  if (!isNonEmptyString(record.reason)) return `result ${record.checkId}: reason must be a reason code`;
  if (!isFiniteNumber(record.durationMs)) return `result ${record.checkId}: durationMs must be a finite number`;
  try {
    return [
      record.checkId,
      typeof record.checkType === 'string' ? record.checkType : '',
      typeof record.target === 'string' ? record.target : null,
      record.timestamp,
      isFiniteNumber(record.scheduledAt) ? record.scheduledAt : record.timestamp,
      isFiniteNumber(record.lagMs) ? record.lagMs : 0,
      record.status,
      record.reason,
      typeof record.message === 'string' ? record.message : null,
      record.durationMs,
      isCount(record.attempts) ? record.attempts : 1,
      json(record.tags),
      json(record.phases),
      JSON.stringify(record.metrics ?? []),
      record.details === undefined || record.details === null ? null : JSON.stringify(record.details),
    ];
  } catch (error) {
    return `result ${record.checkId}: not serialisable as JSON: ${describeError(error)}`;
  }
}

/** A snapshot record checked and ready to store. */
export interface ValidSnapshot {
  readonly record: SnapshotRecord;
  readonly tags: string;
  /** Identifies the record's content, so a replay of the same record is stored once. */
  readonly digest: string;
}

/** Validates a snapshot record (including its histogram) or returns why it cannot be stored. */
export function validSnapshot(record: SnapshotRecord): ValidSnapshot | string {
  if (!isNonEmptyString(record.series)) return 'snapshot: series must be a non-empty string';
  const where = `snapshot ${record.series}`;
  if (!isNonEmptyString(record.checkId) || !isNonEmptyString(record.metric) || !isNonEmptyString(record.unit)) return `${where}: checkId, metric and unit must be non-empty strings`;
  if (!isFiniteNumber(record.start) || !isFiniteNumber(record.end) || record.end <= record.start) return `${where}: start and end must be epoch milliseconds with end > start`;
  if (!isCount(record.count) || !isCount(record.okCount) || record.okCount > record.count) return `${where}: count and okCount must be integers with 0 <= okCount <= count`;
  if (typeof record.histogram !== 'string') return `${where}: histogram must be an HdrHistogram V2 compressed base64 string`;
  try {
    // Decoding now keeps undecodable data out of the store, where it would break every later merge.
    decodeSnapshot(record.histogram);
  } catch (error) {
    return `${where}: ${describeError(error)}`;
  }
  let tags: string;
  try {
    tags = json(record.tags);
  } catch (error) {
    return `${where}: tags not serialisable: ${describeError(error)}`;
  }
  const digest = createHash('sha256').update(`${record.count}:${record.okCount}:${record.histogram}`).digest('base64url').slice(0, 22);
  return { record, tags, digest };
}

/** The parameters of one `alerts` row, in column order. */
export type AlertRow = [string, string, string, string, string, string, string, string, string, string, string, number, number, string | null, string | null];

/** Validates an alert record and turns it into row parameters; returns a reason string when it cannot be stored. */
export function alertRow(record: AlertRecord): AlertRow | string {
  if (!isNonEmptyString(record.id) || !isNonEmptyString(record.alertId)) return 'alert: id and alertId must be non-empty strings';
  const where = `alert ${record.alertId}`;
  if (!alertStates.has(record.state)) return `${where}: state must be ok, pending, firing, resolved or flapping, got ${String(record.state)}`;
  if (!isFiniteNumber(record.at)) return `${where}: at must be epoch milliseconds`;
  try {
    return [
      record.id,
      record.alertId,
      typeof record.ruleId === 'string' ? record.ruleId : '',
      typeof record.checkId === 'string' ? record.checkId : '',
      severities.has(record.severity) ? record.severity : 'critical',
      record.state,
      alertStates.has(record.previousState) ? record.previousState : 'ok',
      typeof record.reason === 'string' ? record.reason : 'ok',
      typeof record.message === 'string' ? record.message : '',
      json(record.values),
      json(record.tags),
      isFiniteNumber(record.since) ? record.since : record.at,
      record.at,
      typeof record.link === 'string' ? record.link : null,
      typeof record.cause === 'string' ? record.cause : null,
    ];
  } catch (error) {
    return `${where}: not serialisable as JSON: ${describeError(error)}`;
  }
}

/** A `results` row as read back. */
export interface StoredResultRow {
  readonly check_id: string;
  readonly check_type: string;
  readonly target: string | null;
  readonly timestamp: number;
  readonly scheduled_at: number;
  readonly lag_ms: number;
  readonly status: string;
  readonly reason: string;
  readonly message: string | null;
  readonly duration_ms: number;
  readonly attempts: number;
  readonly tags: string;
  readonly phases: string;
  readonly metrics: string;
  readonly details: string | null;
}

/** Rebuilds the ResultRecord a row was stored from. */
export function resultFromRow(row: StoredResultRow): ResultRecord {
  return {
    type: 'result',
    checkId: row.check_id,
    checkType: row.check_type,
    target: row.target ?? undefined,
    tags: JSON.parse(row.tags) as ResultRecord['tags'],
    status: row.status as CheckStatus,
    reason: row.reason as ReasonCode,
    message: row.message ?? undefined,
    durationMs: row.duration_ms,
    phases: JSON.parse(row.phases) as ResultRecord['phases'],
    metrics: JSON.parse(row.metrics) as ResultRecord['metrics'],
    details: row.details === null ? undefined : (JSON.parse(row.details) as ResultRecord['details']),
    timestamp: row.timestamp,
    scheduledAt: row.scheduled_at,
    lagMs: row.lag_ms,
    attempts: row.attempts,
  };
}
