import type { CheckStatus, HistogramSummary, ResultRecord } from '@vigil/core';
import { formatDuration } from '@vigil/core';
import { exitCodes } from './io.js';

/** Nagios exit code for a status: up 0, degraded 1, down 2, unknown 3. */
export function exitCodeFor(status: CheckStatus): number {
  switch (status) {
    case 'up':
      return exitCodes.ok;
    case 'degraded':
      return exitCodes.warning;
    case 'down':
      return exitCodes.critical;
    default:
      return exitCodes.unknown;
  }
}

const nagiosWord: Record<CheckStatus, string> = { up: 'OK', degraded: 'WARNING', down: 'CRITICAL', unknown: 'UNKNOWN' };

/** The summary `vigil check` prints: the last result plus statistics over all samples. */
export interface CheckSummary {
  readonly check: string;
  readonly target: string | undefined;
  readonly status: CheckStatus;
  readonly reason: ResultRecord['reason'];
  readonly message: string | undefined;
  readonly durationMs: number;
  readonly phases: ResultRecord['phases'];
  readonly details: ResultRecord['details'];
  readonly metrics: ResultRecord['metrics'];
  readonly samples: number;
  readonly ok: number;
  readonly failed: number;
  readonly lossPercent: number;
  readonly reasons: Readonly<Record<string, number>>;
  readonly min: number | null;
  readonly mean: number | null;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  readonly stddev: number | null;
  readonly jitter: number | null;
  /** HdrHistogram V2 compressed base64 of the samples (microseconds). */
  readonly snapshot: string | null;
}

function round(value: number): number {
  return Math.round(value * 1_000) / 1_000;
}

/** Combines sample statistics and results into the JSON summary. */
export function summarize(
  check: string,
  records: readonly ResultRecord[],
  histogram: HistogramSummary | undefined,
  samples: { total: number; ok: number },
): CheckSummary {
  const last = records.at(-1) as ResultRecord;
  const reasons: Record<string, number> = {};
  for (const record of records) reasons[record.reason] = (reasons[record.reason] ?? 0) + 1;
  const failedRecords = records.filter((record) => record.status === 'down' || record.status === 'unknown');
  let status: CheckStatus;
  let reason = last.reason;
  let message = last.message;
  if (records.length === 1) {
    status = last.status;
  } else if (failedRecords.length === 0) {
    const degraded = records.find((record) => record.status === 'degraded');
    status = degraded ? 'degraded' : 'up';
    if (degraded) ({ reason, message } = degraded);
  } else {
    const counts = new Map<ResultRecord['reason'], number>();
    for (const record of failedRecords) counts.set(record.reason, (counts.get(record.reason) ?? 0) + 1);
    reason = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? last.reason;
    const example = failedRecords.find((record) => record.reason === reason);
    status = failedRecords.length === records.length ? (failedRecords.every((record) => record.status === 'unknown') ? 'unknown' : 'down') : 'degraded';
    message = `${failedRecords.length}/${records.length} runs failed; most often ${reason}${example?.message ? `: ${example.message}` : ''}`;
  }
  const has = histogram !== undefined && histogram.count > 0;
  const pick = (value: number | undefined): number | null => (has && value !== undefined ? round(value) : null);
  const failed = samples.total - samples.ok;
  return {
    check,
    target: last.target,
    status,
    reason,
    message,
    durationMs: round(last.durationMs),
    phases: Object.fromEntries(Object.entries(last.phases).map(([name, value]) => [name, round(value)])),
    details: last.details,
    metrics: last.metrics,
    samples: samples.total,
    ok: samples.ok,
    failed,
    lossPercent: samples.total === 0 ? 0 : round((failed / samples.total) * 100),
    reasons,
    min: pick(histogram?.min),
    mean: pick(histogram?.mean),
    p50: pick(histogram?.p50),
    p90: pick(histogram?.p90),
    p95: pick(histogram?.p95),
    p99: pick(histogram?.p99),
    max: pick(histogram?.max),
    stddev: pick(histogram?.stddev),
    jitter: pick(histogram?.jitter),
    snapshot: has ? (histogram?.snapshot ?? null) : null,
  };
}

/** A Nagios plugin output line: `TCP OK - text | perfdata`. */
export function formatNagiosLine(summary: CheckSummary): string {
  const word = nagiosWord[summary.status];
  const target = summary.target ?? '';
  let text: string;
  if (summary.samples > 1) {
    text = `${target}: ${summary.ok}/${summary.samples} ok`;
    if (summary.p50 !== null) {
      text += `, p50 ${formatDuration(summary.p50)}, p95 ${formatDuration(summary.p95 ?? 0)}, p99 ${formatDuration(summary.p99 ?? 0)}, max ${formatDuration(summary.max ?? 0)}, jitter ${formatDuration(summary.jitter ?? 0)}`;
    }
    if (summary.status !== 'up' && summary.message) text += ` (${summary.message})`;
  } else {
    const detail = summary.message && summary.reason !== 'ok' ? ` - ${summary.message}` : '';
    text = `${target}: ${summary.reason}${detail} in ${formatDuration(summary.durationMs)}`;
  }
  const perf: string[] = [`time=${summary.durationMs}ms;;;0`];
  for (const [name, value] of Object.entries(summary.phases)) if (name !== 'total') perf.push(`${name}=${value}ms;;;0`);
  if (summary.samples > 1) {
    perf.push(`loss=${summary.lossPercent}%;;;0;100`);
    for (const key of ['p50', 'p95', 'p99', 'max', 'jitter'] as const) if (summary[key] !== null) perf.push(`${key}=${summary[key]}ms;;;0`);
  }
  return `${summary.check.toUpperCase()} ${word} - ${text.replace(/\|/g, '/')} | ${perf.join(' ')}`;
}
