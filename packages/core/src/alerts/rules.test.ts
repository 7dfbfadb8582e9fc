import { createFakeClock, sampleResultRecord } from '@vigil/test-utils';
import { describe, expect, it } from 'vitest';
import type { AlertEvent, AlertRule, AlertRuleContext, AlertSeriesStats } from '../contracts/alert.js';
import type { CheckStatus, MetricEntry, ResultRecord } from '../contracts/result.js';
import { createMetricsEngine } from '../metrics/index.js';
import { certificateExpiry } from './certificate-expiry.js';
import { failureRatio } from './failure-ratio.js';
import { latencyAbove } from './latency-above.js';
import { metricThreshold } from './metric-threshold.js';
import { successRateBelow } from './success-rate-below.js';

const clock = createFakeClock();
type StatsFunction = AlertRuleContext['seriesStats'];

function record(status: CheckStatus, overrides: Partial<ResultRecord> = {}): ResultRecord {
  return sampleResultRecord({ checkId: 'web', tags: {}, status, reason: status === 'up' ? 'ok' : 'timeout', metrics: [], details: undefined, timestamp: clock.now(), ...overrides });
}

/** Feeds results `stepMs` apart on the fake clock; returns `state` (or `state:severity`) per event. */
async function feed(rule: AlertRule, inputs: readonly (CheckStatus | Partial<ResultRecord>)[], options: { stepMs?: number; stats?: StatsFunction; severity?: boolean } = {}): Promise<string[]> {
  const events: AlertEvent[] = [];
  for (const input of inputs) {
    await clock.advance(options.stepMs ?? 60_000);
    const result = typeof input === 'string' ? record(input) : record(input.status ?? 'up', input);
    events.push(...rule.observe(result, { now: clock.now(), seriesStats: options.stats ?? (() => undefined) }));
  }
  return events.map((event) => (options.severity ? `${event.state}:${event.severity}` : event.state));
}

function stats(overrides: Partial<AlertSeriesStats>): AlertSeriesStats {
  return { count: 100, okCount: 100, successRatio: 1, sampleCount: 100, p50: 10, p90: 20, p95: 30, p99: 40, p999: 50, max: 60, mean: 15, jitter: 1, ...overrides };
}

describe('failureRatio', () => {
  it('fires when k of the last n results failed and resolves when fewer did', async () => {
    const rule = failureRatio({ failures: 3, of: 5, flapping: false });
    expect(rule.id).toBe('failure-ratio-3-of-5');
    expect(await feed(rule, ['down', 'up', 'down', 'up'])).toEqual([]);
    expect(await feed(rule, ['down'])).toEqual(['firing']);
    // The window is now [down, up, down, up, down]; one more up drops the oldest down.
    expect(await feed(rule, ['up'])).toEqual(['resolved']);
  });

  it('judges a share over a time window, lets old failures expire, and waits for minRuns', async () => {
    const rule = failureRatio({ ratio: 0.5, window: '10m', minRuns: 4, flapping: false });
    expect(await feed(rule, ['down', 'down', 'down'])).toEqual([]);
    expect(await feed(rule, ['up'])).toEqual(['firing']);
    // 3 of 6 is still half; 3 of 7 is not.
    expect(await feed(rule, ['up', 'up'])).toEqual([]);
    expect(await feed(rule, ['up'])).toEqual(['resolved']);
    // Ten minutes later the old results have left the window: 2 of the 4 new ones failing is
    // half (had they stayed, 5 of 11 would not be).
    expect(await feed(rule, ['down'], { stepMs: 600_000 })).toEqual([]);
    expect(await feed(rule, ['down', 'up', 'up'])).toEqual(['firing']);
  });

  it('requires exactly one threshold and one span, naming the field', () => {
    expect(() => failureRatio({ failures: 2, ratio: 0.5, of: 5 })).toThrow(/failureRatio\.failures: set exactly one of failures/);
    expect(() => failureRatio({ failures: 2 })).toThrow(/failureRatio\.of: set exactly one of of/);
    expect(() => failureRatio({ failures: 6, of: 5 })).toThrow(/must not exceed of/);
    expect(() => failureRatio({ ratio: 0.5, window: '0s' })).toThrow(/failureRatio\.window: expected a positive duration/);
  });
});

describe('latencyAbove', () => {
  it('fires as a warning above the threshold, escalates above criticalMs, and recovers below recoverBelowMs', async () => {
    const requests: string[] = [];
    let current = stats({ sampleCount: 3, p95: 900 });
    const seriesStats: StatsFunction = (checkId, metric, windowMs) => {
      requests.push(`${checkId}/${metric}/${windowMs}`);
      return current;
    };
    const rule = latencyAbove({ thresholdMs: 500, criticalMs: 1_000, recoverBelowMs: 400, window: '10m' });
    expect(rule.id).toBe('latency-p95-above-500ms');
    // Too few timed runs to judge.
    expect(await feed(rule, ['up'], { stats: seriesStats })).toEqual([]);
    current = stats({ sampleCount: 5, p95: 600 });
    expect(await feed(rule, ['up'], { stats: seriesStats, severity: true })).toEqual(['firing:warning']);
    current = stats({ p95: 1_200 });
    expect(await feed(rule, ['up'], { stats: seriesStats, severity: true })).toEqual(['firing:critical']);
    current = stats({ p95: 450 });
    expect(await feed(rule, ['up'], { stats: seriesStats })).toEqual([]);
    current = stats({ p95: 399 });
    expect(await feed(rule, ['up'], { stats: seriesStats, severity: true })).toEqual(['resolved:critical']);
    expect(requests.every((request) => request === 'web/duration/600000')).toBe(true);
  });

  it('reads real percentiles from the metrics engine', async () => {
    const engine = createMetricsEngine({ clock, rotation: 'manual' });
    const series = engine.series({ checkId: 'api' });
    const seriesStats: StatsFunction = (checkId, metric, windowMs) => engine.get(metric === 'duration' ? checkId : `${checkId}/${metric}`)?.stats(windowMs);
    const rule = latencyAbove({ percentile: 99, thresholdMs: 250, window: '5m' });
    for (let index = 0; index < 98; index += 1) series.record(20);
    series.record(300);
    series.record(300);
    const events: AlertEvent[] = [...rule.observe(record('up', { checkId: 'api' }), { now: clock.now(), seriesStats })];
    expect(events.map((event) => event.state)).toEqual(['firing']);
    expect(events[0]?.values.p99).toBeCloseTo(300, 0);
    expect(events[0]?.message).toMatch(/^api: duration p99 300 ms > 250 ms over 5m \(100 samples\)$/);
  });

  it('rejects thresholds that contradict each other', () => {
    expect(() => latencyAbove({ thresholdMs: 500, criticalMs: 100 })).toThrow(/latencyAbove\.criticalMs/);
    expect(() => latencyAbove({ thresholdMs: 500, recoverBelowMs: 600 })).toThrow(/latencyAbove\.recoverBelowMs/);
    expect(() => latencyAbove({ thresholdMs: 500, percentile: 97 as 95 })).toThrow(/latencyAbove\.percentile/);
  });
});

describe('successRateBelow', () => {
  it('fires below the threshold, goes critical below criticalBelow, and resolves only at recoverAbove', async () => {
    let current = stats({ count: 4, okCount: 2, successRatio: 0.5 });
    const seriesStats: StatsFunction = () => current;
    const rule = successRateBelow({ threshold: 0.9, criticalBelow: 0.5, recoverAbove: 0.95, window: '1h' });
    expect(await feed(rule, ['down'], { stats: seriesStats })).toEqual([]);
    current = stats({ count: 10, okCount: 8, successRatio: 0.8 });
    expect(await feed(rule, ['down'], { stats: seriesStats, severity: true })).toEqual(['firing:warning']);
    current = stats({ count: 10, okCount: 4, successRatio: 0.4 });
    expect(await feed(rule, ['down'], { stats: seriesStats, severity: true })).toEqual(['firing:critical']);
    current = stats({ count: 20, okCount: 18, successRatio: 0.92 });
    expect(await feed(rule, ['up'], { stats: seriesStats })).toEqual([]);
    current = stats({ count: 20, okCount: 19, successRatio: 0.95 });
    expect(await feed(rule, ['up'], { stats: seriesStats })).toEqual(['resolved']);
  });
});

describe('metricThreshold', () => {
  const audit = (satellite: string, value: number): MetricEntry => ({ type: 'gauge', name: 'audit_score', value, tags: { satellite } });

  it('compares a gauge per tag set (one alert per Storj satellite) with hysteresis', async () => {
    const rule = metricThreshold({ metric: 'audit_score', operator: '<', value: 0.96, recoverValue: 0.97, criticalValue: 0.9 });
    const events: AlertEvent[] = [];
    const observe = async (metrics: MetricEntry[]): Promise<string[]> => {
      await clock.advance(60_000);
      const produced = rule.observe(record('up', { checkId: 'storj', tags: { fleet: 'storj' }, metrics }), { now: clock.now(), seriesStats: () => undefined });
      events.push(...produced);
      return produced.map((event) => `${event.alertId}:${event.state}:${event.severity}`);
    };
    expect(await observe([audit('us1', 0.99), audit('eu1', 0.95)])).toEqual(['metric-audit_score/storj{satellite=eu1}:firing:warning']);
    expect(events[0]?.tags).toEqual({ fleet: 'storj', satellite: 'eu1' });
    expect(events[0]?.message).toBe('storj{satellite=eu1}: audit_score 0.95 < 0.96');
    // 0.965 is above the threshold but below the recovery value: still firing.
    expect(await observe([audit('us1', 0.99), audit('eu1', 0.965)])).toEqual([]);
    // No entry for eu1 in this result: its alert keeps its state.
    expect(await observe([audit('us1', 0.85)])).toEqual(['metric-audit_score/storj{satellite=us1}:firing:critical']);
    expect(await observe([audit('us1', 0.99), audit('eu1', 0.975)])).toEqual([
      'metric-audit_score/storj{satellite=us1}:resolved:critical',
      'metric-audit_score/storj{satellite=eu1}:resolved:warning',
    ]);
  });

  it('checks that recovery and critical values lie on the right side', () => {
    expect(() => metricThreshold({ metric: 'x', operator: '<', value: 0.96, recoverValue: 0.9 })).toThrow(/metricThreshold\.recoverValue: must be at least value/);
    expect(() => metricThreshold({ metric: 'x', operator: '>', value: 10, criticalValue: 5 })).toThrow(/metricThreshold\.criticalValue: must be at least value/);
    expect(() => metricThreshold({ metric: 'x', operator: '==', value: 1, recoverValue: 2 })).toThrow(/makes no sense/);
  });
});

describe('certificateExpiry', () => {
  const tls = (daysUntilExpiry: number): Partial<ResultRecord> => ({ details: { tls: { daysUntilExpiry } } });

  it('reads details.tls.daysUntilExpiry: warning within 14 days, critical within 3, resolved after renewal', async () => {
    const rule = certificateExpiry();
    expect(await feed(rule, [tls(20)], { severity: true })).toEqual([]);
    expect(await feed(rule, [tls(10)], { severity: true })).toEqual(['firing:warning']);
    // A failed connection says nothing about the certificate.
    expect(await feed(rule, ['down'])).toEqual([]);
    expect(await feed(rule, [tls(2.5)], { severity: true })).toEqual(['firing:critical']);
    expect(await feed(rule, [tls(89)], { severity: true })).toEqual(['resolved:critical']);
  });

  it('falls back to the gauge checks-tcp reports', async () => {
    const rule = certificateExpiry({ days: 30, criticalDays: 0 });
    const gauge = (value: number): Partial<ResultRecord> => ({ metrics: [{ type: 'gauge', name: 'tls_certificate_days_until_expiry', value, unit: 'd' }] });
    const events: AlertEvent[] = [];
    await clock.advance(1_000);
    events.push(...rule.observe(record('up', gauge(7)), { now: clock.now(), seriesStats: () => undefined }));
    expect(events.map((event) => `${event.state}:${event.severity}`)).toEqual(['firing:warning']);
    expect(events[0]?.values).toMatchObject({ daysLeft: 7, days: 30 });
  });
});
