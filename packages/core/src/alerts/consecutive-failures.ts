import { randomUUID } from 'node:crypto';
import type { AlertEvent, AlertRule, AlertSeverity, AlertState } from '../contracts/alert.js';
import type { ResultRecord } from '../contracts/result.js';

export interface ConsecutiveFailuresOptions {
  readonly id?: string;
  /** Failures in a row that fire the alert; default 3. */
  readonly failures?: number;
  /** Successes in a row that resolve it; default 2. */
  readonly successes?: number;
  readonly severity?: AlertSeverity;
  /** Only these checks; default all. */
  readonly checks?: readonly string[];
  /** Treat `degraded` as a failure; default false. */
  readonly degradedIsFailure?: boolean;
}

interface SeriesState {
  state: AlertState;
  failures: number;
  successes: number;
  since: number;
}

/**
 * The simplest rule: fire after N failures in a row, resolve after M successes in a row
 * (defaults 3 and 2, like Gatus). Emits `pending` on the first failure, then `firing`,
 * `resolved`, and `ok` when a pending episode clears without firing.
 */
export function consecutiveFailures(options: ConsecutiveFailuresOptions = {}): AlertRule {
  const failuresToFire = Math.max(1, options.failures ?? 3);
  const successesToResolve = Math.max(1, options.successes ?? 2);
  const id = options.id ?? `consecutive-failures-${failuresToFire}`;
  const checks = options.checks ? new Set(options.checks) : undefined;
  const states = new Map<string, SeriesState>();

  const isFailure = (record: ResultRecord): boolean =>
    record.status === 'down' || record.status === 'unknown' || (options.degradedIsFailure === true && record.status === 'degraded');

  return {
    id,
    observe(record, context) {
      if (checks && !checks.has(record.checkId)) return [];
      let series = states.get(record.checkId);
      if (!series) {
        series = { state: 'ok', failures: 0, successes: 0, since: context.now };
        states.set(record.checkId, series);
      }
      const previousState = series.state;
      let next: AlertState = previousState;
      if (isFailure(record)) {
        series.failures += 1;
        series.successes = 0;
        if (previousState === 'ok' || previousState === 'resolved') {
          series.since = record.timestamp;
          next = series.failures >= failuresToFire ? 'firing' : 'pending';
        } else if (previousState === 'pending' && series.failures >= failuresToFire) next = 'firing';
      } else {
        series.successes += 1;
        series.failures = 0;
        if (previousState === 'firing' && series.successes >= successesToResolve) next = 'resolved';
        else if (previousState === 'pending') next = 'ok';
        else if (previousState === 'resolved') next = 'ok';
      }
      if (next === previousState) return [];
      series.state = next;
      if (next === 'firing') series.since = record.timestamp;
      const message =
        next === 'firing'
          ? `${record.checkId} failed ${series.failures} times in a row: ${record.reason}${record.message ? ` (${record.message})` : ''}`
          : next === 'resolved'
            ? `${record.checkId} recovered after ${series.successes} successes`
            : `${record.checkId} is ${next}: ${record.reason}`;
      const event: AlertEvent = {
        id: randomUUID(),
        alertId: `${id}/${record.checkId}`,
        ruleId: id,
        checkId: record.checkId,
        tags: record.tags,
        severity: options.severity ?? 'critical',
        state: next,
        previousState,
        reason: record.reason,
        message,
        values: { failures: series.failures, successes: series.successes, durationMs: record.durationMs },
        since: series.since,
        at: context.now,
        cause: 'transition',
      };
      return [event];
    },
  };
}
