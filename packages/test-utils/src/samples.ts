import { createRunHistogram } from '@vigil/core';
import type { AlertEvent, AlertRecord, Notification, ResultRecord, SnapshotRecord } from '@vigil/core';

let sequence = 0;

/** A realistic result record; override any field. */
export function sampleResultRecord(overrides: Partial<ResultRecord> = {}): ResultRecord {
  sequence += 1;
  const timestamp = overrides.timestamp ?? Date.UTC(2026, 0, 1) + sequence * 1_000;
  return {
    type: 'result',
    checkId: 'web',
    checkType: 'tcp',
    target: '127.0.0.1:8080',
    tags: { env: 'test', 'region name': 'eu=1,"west"' },
    status: 'up',
    reason: 'ok',
    message: undefined,
    durationMs: 1.25 + (sequence % 7),
    phases: { dns: 0.1, connect: 1.1, total: 1.25 },
    metrics: [{ type: 'gauge', name: 'bytes_read', value: 42, unit: 'bytes' }],
    details: undefined,
    timestamp,
    scheduledAt: timestamp - 2,
    lagMs: 2,
    attempts: 1,
    ...overrides,
  };
}

/** A snapshot record holding `values` (milliseconds) in a real encoded HDR histogram. */
export function sampleSnapshotRecord(values: readonly number[] = [1, 2, 3, 5, 8, 13], overrides: Partial<SnapshotRecord> = {}): SnapshotRecord {
  const histogram = createRunHistogram('duration', 'ms');
  for (const value of values) histogram.record(value);
  const summary = histogram.summarize();
  const start = overrides.start ?? Date.UTC(2026, 0, 1, 0, 0);
  return {
    type: 'snapshot',
    series: 'web',
    checkId: 'web',
    metric: 'duration',
    unit: 'ms',
    tags: { env: 'test' },
    start,
    end: start + 60_000,
    count: values.length,
    okCount: values.length,
    histogram: summary.snapshot,
    ...overrides,
  };
}

/** An alert transition record. */
export function sampleAlertRecord(overrides: Partial<AlertRecord> = {}): AlertRecord {
  sequence += 1;
  const at = overrides.at ?? Date.UTC(2026, 0, 1) + sequence * 1_000;
  return {
    type: 'alert',
    id: `event-${sequence}`,
    alertId: 'web-down/web',
    ruleId: 'web-down',
    checkId: 'web',
    tags: { env: 'test' },
    severity: 'critical',
    state: 'firing',
    previousState: 'pending',
    reason: 'connection_refused',
    message: '3 consecutive failures: connection_refused (*bold* _under_ [link](x) <b>&amp;</b>)',
    values: { failures: 3 },
    since: at - 60_000,
    at,
    cause: 'transition',
    ...overrides,
  };
}

/**
 * The alert event notifier tests start from: check `web` firing after 3 consecutive
 * `connection_refused` failures, at 2026-01-01 12:00 UTC, a minute after it began; override any field.
 */
export function sampleAlertEvent(overrides: Partial<AlertEvent> = {}): AlertEvent {
  const at = Date.UTC(2026, 0, 1, 12);
  return {
    id: 'event-1',
    alertId: 'down/web',
    ruleId: 'down',
    checkId: 'web',
    tags: { env: 'prod' },
    severity: 'critical',
    state: 'firing',
    previousState: 'pending',
    reason: 'connection_refused',
    message: 'web: 3 consecutive failures (connection_refused: refused)',
    values: { failures: 3 },
    since: at - 60_000,
    at,
    cause: 'transition',
    ...overrides,
  };
}

/** A notification carrying one or more alert events. */
export function sampleNotification(overrides: Partial<Notification> = {}): Notification {
  sequence += 1;
  const event = sampleAlertRecord();
  const { type: _type, ...alertEvent } = event;
  return {
    id: `notification-${sequence}`,
    events: [alertEvent],
    createdAt: alertEvent.at,
    ...overrides,
  };
}
