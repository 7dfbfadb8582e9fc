import { afterAll, describe, expect, it, vi } from 'vitest';
import type { ResultRecord, SinkRecord } from '@vigil/core';
import { createFakeClock, sampleAlertRecord, sampleResultRecord, sampleSnapshotRecord } from '@vigil/test-utils';
import { sqliteSinkOptionsSchema } from './options.js';
import type { SqliteSinkOptions } from './options.js';
import { createSqliteSink } from './sqlite-sink.js';
import { DAY, HOUR, MINUTE, expectedStats } from './test-support/snapshots.js';
import { inspect, tableCounts, temporaryDirectories } from './test-support/temporary.js';

const temporary = temporaryDirectories();
afterAll(() => temporary.cleanup());

const T0 = Date.UTC(2026, 4, 1);
const signal = (): AbortSignal => AbortSignal.timeout(30_000);

async function openSink(options: SqliteSinkOptions = {}) {
  const file = temporary.databasePath();
  const clock = createFakeClock(T0);
  const sink = createSqliteSink({ path: file, ...options }, { clock });
  await sink.start?.({ signal: signal() });
  return { sink, file, clock };
}

/** One run per minute for `hours`: every 10th is down. Results plus the matching 1-minute snapshots. */
function monitorHistory(hours: number) {
  const results: ResultRecord[] = [];
  const snapshots = [];
  for (let minute = 0; minute < hours * 60; minute += 1) {
    const start = T0 + minute * MINUTE;
    const down = minute % 10 === 0;
    const durationMs = 2 + (minute % 13);
    results.push(sampleResultRecord({ checkId: 'api', timestamp: start + 1_000, status: down ? 'down' : 'up', reason: down ? 'timeout' : 'ok', durationMs }));
    snapshots.push(sampleSnapshotRecord(down ? [] : [durationMs], { series: 'api', checkId: 'api', start, end: start + MINUTE, count: 1, okCount: down ? 0 : 1 }));
  }
  return { results, snapshots };
}

function oldest(file: string, sql: string): number | null {
  return inspect(file, (database) => (database.prepare(sql).get() as { oldest: number | null }).oldest);
}

describe('retention', () => {
  it('defaults: raw 48 h, 5 min 14 days, 1 h 90 days, 1 d 2 years, alerts 2 years, cleanup hourly', () => {
    const parsed = sqliteSinkOptionsSchema.parse({});
    expect(parsed.retention).toEqual({ raw: 48 * HOUR, fiveMinutes: 14 * DAY, hourly: 90 * DAY, daily: 730 * DAY, alerts: 730 * DAY });
    expect(parsed).toMatchObject({ path: '.vigil/vigil.db', cleanupInterval: HOUR, rollupDelay: 2 * MINUTE, busyTimeout: 5_000, synchronous: 'normal' });
  });

  it('removes expired rows on bucket boundaries, after they are rolled up; uptime and percentiles still cover the window', async () => {
    const { sink, file, clock } = await openSink({ retention: { raw: '2h', fiveMinutes: '5h', hourly: '2d' } });
    const history = monitorHistory(10);
    await sink.write([...history.results, ...history.snapshots], { signal: signal() });
    clock.setNow(T0 + 10 * HOUR + 7 * MINUTE);
    const outcome = await sink.runMaintenance();
    // Raw rows go on a 5-minute boundary, 5-minute rows on an hour boundary.
    const rawHorizon = T0 + 8 * HOUR + 5 * MINUTE;
    const fiveMinuteHorizon = T0 + 5 * HOUR;
    expect(oldest(file, 'SELECT min(timestamp) AS oldest FROM results')).toBe(rawHorizon + 1_000);
    expect(oldest(file, 'SELECT min(interval_start) AS oldest FROM snapshots')).toBe(rawHorizon);
    expect(oldest(file, "SELECT min(bucket_start) AS oldest FROM rollups WHERE resolution = '5m'")).toBe(fiveMinuteHorizon);
    expect(oldest(file, "SELECT min(bucket_start) AS oldest FROM rollups WHERE resolution = '1h'")).toBe(T0);
    expect(outcome.deleted).toMatchObject({ results: (8 * 60 + 5), snapshots: 8 * 60 + 5, rollups5m: 5 * 12 });

    const queries = sink.queries();
    const uptime = queries.uptime('api', { from: T0, to: T0 + 10 * HOUR });
    expect(uptime).toMatchObject({ total: 600, ok: 540, fromResults: 115, fromSnapshots: 485 });
    expect(uptime.ratio).toBeCloseTo(0.9, 10);
    // Raw rows alone where they are kept.
    expect(queries.uptime('api', { from: T0 + 9 * HOUR, to: T0 + 10 * HOUR })).toMatchObject({ total: 60, ok: 54, fromResults: 60, fromSnapshots: 0 });
    const percentiles = queries.percentiles('api', { from: T0, to: T0 + 10 * HOUR }, [50, 99]);
    // Hourly rows were rolled up before the fine rows went, so they cover the whole window.
    expect(percentiles.resolutions).toEqual({ '1d': 0, '1h': 10, '5m': 0, raw: 0 });
    const expected = expectedStats(history.snapshots);
    expect(percentiles.count).toBe(540);
    expect(percentiles.percentiles).toEqual({ '50': expected.p50, '99': expected.p99 });
    await sink.shutdown();
  });

  it('never removes rows that are not rolled up yet', async () => {
    const { sink, file, clock } = await openSink({ retention: { raw: '1h' }, rollupDelay: '1d' });
    const history = monitorHistory(3);
    await sink.write(history.snapshots, { signal: signal() });
    clock.setNow(T0 + 5 * HOUR);
    await sink.runMaintenance();
    expect(tableCounts(file)).toMatchObject({ snapshots: 180, rollups: 0 });
    expect(sink.queries().percentiles('api', { from: T0, to: T0 + 3 * HOUR }).count).toBe(162);
    await sink.shutdown();
  });

  it('removes alert history and daily rows past their retention', async () => {
    const { sink, file, clock } = await openSink({ retention: { fiveMinutes: '10d', hourly: '20d', daily: '60d', alerts: '30d' } });
    const records: SinkRecord[] = [
      sampleAlertRecord({ at: T0 }),
      sampleAlertRecord({ at: T0 + 40 * DAY }),
      sampleSnapshotRecord([1, 2], { start: T0 }),
      sampleSnapshotRecord([3], { start: T0 + 40 * DAY }),
    ];
    await sink.write(records, { signal: signal() });
    clock.setNow(T0 + 50 * DAY);
    await sink.runMaintenance();
    expect(tableCounts(file)).toMatchObject({ alerts: 1, snapshots: 0 });
    expect(inspect(file, (database) => database.prepare("SELECT bucket_start FROM rollups WHERE resolution = '1d' ORDER BY bucket_start").all())).toEqual([
      { bucket_start: T0 },
      { bucket_start: T0 + 40 * DAY },
    ]);
    clock.setNow(T0 + 70 * DAY);
    await sink.runMaintenance();
    expect(inspect(file, (database) => database.prepare("SELECT bucket_start FROM rollups WHERE resolution = '1d'").all())).toEqual([{ bucket_start: T0 + 40 * DAY }]);
    await sink.shutdown();
  });

  it('the cleanup job runs by itself after start and every cleanupInterval', async () => {
    const { sink, file, clock } = await openSink({ retention: { raw: '1h' }, cleanupInterval: '30m' });
    await sink.write(monitorHistory(1).results, { signal: signal() });
    clock.setNow(T0 + 3 * HOUR);
    // The first run was armed at start; it fires on the next timer turn.
    await clock.advance(0);
    await vi.waitFor(() => expect(tableCounts(file).results).toBe(0));
    await sink.write([sampleResultRecord({ checkId: 'api', timestamp: T0 + 3 * HOUR })], { signal: signal() });
    clock.setNow(T0 + 5 * HOUR);
    await clock.advance(29 * MINUTE);
    expect(tableCounts(file).results).toBe(1);
    await clock.advance(MINUTE);
    await vi.waitFor(() => expect(tableCounts(file).results).toBe(0));
    await sink.shutdown();
    expect(clock.pendingTimers).toBe(0);
  });
});
