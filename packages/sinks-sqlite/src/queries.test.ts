import { afterAll, describe, expect, it } from 'vitest';
import { VigilError, createRunHistogram, statsFromSnapshot } from '@vigil/core';
import type { AlertRecord } from '@vigil/core';
import { createFakeClock, sampleAlertRecord, sampleResultRecord, sampleSnapshotRecord } from '@vigil/test-utils';
import { createSqliteSink } from './sqlite-sink.js';
import { HOUR, MINUTE } from './test-support/snapshots.js';
import { temporaryDirectories } from './test-support/temporary.js';

const temporary = temporaryDirectories();
afterAll(() => temporary.cleanup());

const T0 = Date.UTC(2026, 5, 1);
const signal = (): AbortSignal => AbortSignal.timeout(30_000);

async function openSink() {
  const clock = createFakeClock(T0 + 10 * HOUR);
  const sink = createSqliteSink({ path: temporary.databasePath() }, { clock });
  await sink.start?.({ signal: signal() });
  return { sink, clock, queries: sink.queries() };
}

const alert = (alertId: string, state: AlertRecord['state'], at: number, overrides: Partial<AlertRecord> = {}): AlertRecord =>
  sampleAlertRecord({ alertId, checkId: alertId.split('/')[1] ?? 'web', state, at, ...overrides });

describe('query API', () => {
  it('uptime counts up and degraded runs as ok, down and unknown as not, within [from, to)', async () => {
    const { sink, queries } = await openSink();
    const statuses = ['up', 'up', 'degraded', 'down', 'unknown', 'up'] as const;
    await sink.write(
      statuses.map((status, index) => sampleResultRecord({ checkId: 'api', status, reason: status === 'up' ? 'ok' : 'timeout', timestamp: T0 + index * MINUTE })),
      { signal: signal() },
    );
    expect(queries.uptime('api', { from: T0, to: T0 + 6 * MINUTE })).toMatchObject({ total: 6, ok: 4, fromResults: 6, fromSnapshots: 0 });
    expect(queries.uptime('api', { from: T0 + MINUTE, to: T0 + 5 * MINUTE })).toMatchObject({ total: 4, ok: 2 });
    // A relative window ends at the clock's now (T0 + 10 h).
    expect(queries.uptime('api', '9h').total).toBe(0);
    expect(queries.uptime('api', '10h').total).toBe(6);
    const none = queries.uptime('nobody', '24h');
    expect(none.total).toBe(0);
    expect(Number.isNaN(none.ratio)).toBe(true);
    await sink.shutdown();
  });

  it('uptime falls back to snapshot counts when the store keeps no results', async () => {
    const file = temporary.databasePath();
    const sink = createSqliteSink({ path: file, accepts: ['snapshot'] }, { clock: createFakeClock(T0 + HOUR) });
    await sink.write([sampleResultRecord({ checkId: 'web', timestamp: T0 }), sampleSnapshotRecord([1, 2], { start: T0, count: 3, okCount: 2 })], { signal: signal() });
    expect(sink.queries().uptime('web', '1h')).toMatchObject({ total: 3, ok: 2, fromResults: 0, fromSnapshots: 3 });
    await sink.shutdown();
  });

  it('percentiles: any list from 0 to 100, as HdrHistogram computes them; empty and unknown series give NaN', async () => {
    const { sink, queries } = await openSink();
    const records = [0, 1, 2].map((minute) =>
      sampleSnapshotRecord(
        Array.from({ length: 400 }, (_unused, index) => 0.5 + ((index * 7919 + minute * 13) % 1000) / 7),
        { start: T0 + minute * MINUTE },
      ),
    );
    await sink.write(records, { signal: signal() });
    const result = queries.percentiles('web', { from: T0, to: T0 + 3 * MINUTE }, [0, 50, 90, 95, 99, 99.9, 99.99, 100]);
    const histogram = result.histogram as string;
    const stats = statsFromSnapshot(histogram);
    expect(result).toMatchObject({ unit: 'ms', count: 1_200, runs: 1_200, okRuns: 1_200, min: stats.min, max: stats.max, mean: stats.mean });
    expect(result.percentiles).toMatchObject({ '50': stats.p50, '90': stats.p90, '95': stats.p95, '99': stats.p99, '99.9': stats.p999, '100': stats.max, '0': stats.min });
    expect(result.percentiles['99.99']).toBeGreaterThanOrEqual(stats.p999);
    expect(result.percentiles['99.99']).toBeLessThanOrEqual(stats.max);
    // The default list is p50, p95, p99 and p99.9.
    expect(Object.keys(queries.percentiles('web', { from: T0, to: T0 + 3 * MINUTE }).percentiles)).toEqual(['50', '95', '99', '99.9']);
    const unknown = queries.percentiles('nobody', '1h');
    expect(unknown).toMatchObject({ count: 0, unit: undefined, histogram: undefined });
    expect(Number.isNaN(unknown.percentiles['50'])).toBe(true);
    const nothing = queries.percentiles('web', { from: T0 + HOUR, to: T0 + 2 * HOUR });
    expect(nothing.count).toBe(0);
    await sink.shutdown();
  });

  it('percentiles of a non-millisecond series are in its own unit', async () => {
    const { sink, queries } = await openSink();
    const histogram = createRunHistogram('size', 'bytes');
    for (const value of [100, 200, 300, 400]) histogram.record(value);
    await sink.write([sampleSnapshotRecord([], { series: 'web/size', metric: 'size', unit: 'bytes', start: T0, count: 4, okCount: 4, histogram: histogram.summarize().snapshot })], {
      signal: signal(),
    });
    const result = queries.percentiles('web/size', { from: T0, to: T0 + MINUTE }, [50, 100]);
    expect(result.unit).toBe('bytes');
    expect(result.percentiles['100']).toBe(400);
    expect(result.percentiles['50']).toBe(200);
    await sink.shutdown();
  });

  it('bad query input is a VIGIL_ERR_CONFIG error naming the argument', async () => {
    const { sink, queries } = await openSink();
    const configError = (pattern: RegExp) => (error: unknown) => VigilError.hasCode(error, 'VIGIL_ERR_CONFIG') && pattern.test((error as Error).message);
    expect(() => queries.percentiles('web', '1h', [50, 101])).toThrow(expect.toSatisfy(configError(/percentiles: expected/)));
    expect(() => queries.percentiles('web', '1h', [])).toThrow(expect.toSatisfy(configError(/percentiles/)));
    expect(() => queries.uptime('web', 'yesterday')).toThrow(expect.toSatisfy(configError(/window: expected a duration/)));
    expect(() => queries.uptime('web', { from: T0 + 1, to: T0 })).toThrow(expect.toSatisfy(configError(/window/)));
    expect(() => queries.latest('web', 0)).toThrow(expect.toSatisfy(configError(/latest: count/)));
    await sink.shutdown();
  });

  it('checks() lists checks with results or duration snapshots; series() lists every series', async () => {
    const { sink, queries } = await openSink();
    await sink.write(
      [
        sampleResultRecord({ checkId: 'mail' }),
        sampleResultRecord({ checkId: 'api' }),
        sampleResultRecord({ checkId: 'api' }),
        sampleSnapshotRecord([1], { series: 'relay', checkId: 'relay' }),
        sampleSnapshotRecord([1], { series: 'relay/lag', checkId: 'relay', metric: 'lag' }),
      ],
      { signal: signal() },
    );
    expect(queries.checks()).toEqual(['api', 'mail', 'relay']);
    expect(queries.series().map((series) => [series.key, series.metric, series.unit])).toEqual([
      ['relay', 'duration', 'ms'],
      ['relay/lag', 'lag', 'ms'],
    ]);
    await sink.shutdown();
  });

  describe('incidents', () => {
    it('pairs firing with resolved, keeps repeats in the episode and the highest severity', async () => {
      const { sink, queries } = await openSink();
      await sink.write(
        [
          alert('down/api', 'pending', T0 + 1 * MINUTE),
          alert('down/api', 'firing', T0 + 2 * MINUTE, { severity: 'warning', reason: 'timeout', message: 'api timed out 3 times' }),
          alert('down/api', 'firing', T0 + 10 * MINUTE, { severity: 'critical', cause: 'escalation' }),
          alert('down/api', 'resolved', T0 + 20 * MINUTE),
          alert('down/mail', 'pending', T0 + 3 * MINUTE),
          alert('down/mail', 'ok', T0 + 4 * MINUTE),
          alert('down/api', 'firing', T0 + 30 * MINUTE, { severity: 'warning' }),
        ],
        { signal: signal() },
      );
      const incidents = queries.incidents({ from: T0, to: T0 + HOUR });
      expect(incidents).toEqual([
        {
          alertId: 'down/api',
          ruleId: 'web-down',
          checkId: 'api',
          severity: 'critical',
          reason: 'timeout',
          message: 'api timed out 3 times',
          startedAt: T0 + 2 * MINUTE,
          resolvedAt: T0 + 20 * MINUTE,
          durationMs: 18 * MINUTE,
          events: 3,
        },
        expect.objectContaining({ alertId: 'down/api', startedAt: T0 + 30 * MINUTE, resolvedAt: undefined, durationMs: 30 * MINUTE, severity: 'warning', events: 1 }),
      ]);
      await sink.shutdown();
    });

    it('includes an episode that started before the window, from its first firing event', async () => {
      const { sink, queries } = await openSink();
      await sink.write(
        [
          alert('down/api', 'firing', T0 - 3 * HOUR),
          alert('down/api', 'resolved', T0 - 2 * HOUR),
          alert('down/api', 'firing', T0 - HOUR, { message: 'second episode' }),
          alert('down/api', 'firing', T0 - 30 * MINUTE, { cause: 'repeat', message: 'still down' }),
          alert('down/web', 'firing', T0 - HOUR),
          alert('down/web', 'resolved', T0 - 10 * MINUTE),
          alert('down/api', 'resolved', T0 + 15 * MINUTE),
        ],
        { signal: signal() },
      );
      const incidents = queries.incidents({ from: T0, to: T0 + HOUR });
      expect(incidents).toHaveLength(1);
      expect(incidents[0]).toMatchObject({ alertId: 'down/api', message: 'second episode', startedAt: T0 - HOUR, resolvedAt: T0 + 15 * MINUTE, durationMs: 75 * MINUTE });
      expect(queries.incidents({ from: T0 - 4 * HOUR, to: T0 + HOUR }).map((incident) => [incident.alertId, incident.startedAt])).toEqual([
        ['down/api', T0 - 3 * HOUR],
        ['down/api', T0 - HOUR],
        ['down/web', T0 - HOUR],
      ]);
      expect(queries.incidents({ from: T0 - 4 * HOUR, to: T0 + HOUR }, { checkId: 'web' }).map((incident) => incident.alertId)).toEqual(['down/web']);
      await sink.shutdown();
    });
  });
});
