import { afterAll, describe, expect, it } from 'vitest';
import { decodeSnapshot, mergeSnapshots } from '@vigil/core';
import type { SnapshotRecord } from '@vigil/core';
import { createFakeClock } from '@vigil/test-utils';
import type { SqliteSinkOptions } from './options.js';
import { createSqliteSink } from './sqlite-sink.js';
import { DAY, HOUR, MINUTE, expectedStats, minuteSnapshot, minuteSnapshots, minutes, snapshotsAt } from './test-support/snapshots.js';
import { inspect, temporaryDirectories } from './test-support/temporary.js';

const temporary = temporaryDirectories();
afterAll(() => temporary.cleanup());

const T0 = Date.UTC(2026, 2, 1);
const signal = (): AbortSignal => AbortSignal.timeout(30_000);

async function openSink(options: SqliteSinkOptions = {}, file = temporary.databasePath()) {
  const clock = createFakeClock(T0);
  const sink = createSqliteSink({ path: file, ...options }, { clock });
  await sink.start?.({ signal: signal() });
  const write = async (records: readonly SnapshotRecord[]) => expect(await sink.write(records, { signal: signal() })).toEqual({ kind: 'success' });
  return { sink, file, clock, write };
}

interface RollupRowView {
  resolution: string;
  key: string;
  bucket_start: number;
  count: number;
  ok_count: number;
  histogram: string;
}

function rollupRows(file: string): RollupRowView[] {
  return inspect(
    file,
    (database) =>
      database
        .prepare('SELECT resolution, key, bucket_start, count, ok_count, histogram FROM rollups JOIN series ON series.id = rollups.series_id ORDER BY resolution, key, bucket_start')
        .all() as RollupRowView[],
  );
}

function state(file: string): Record<string, number> {
  return inspect(file, (database) =>
    Object.fromEntries((database.prepare('SELECT name, value FROM store_state').all() as { name: string; value: number }[]).map((row) => [row.name, row.value])),
  );
}

// Every minute where windows have edges, every 5 minutes elsewhere: a day of data, cheaply.
const dayAndTwoHours = snapshotsAt(T0, [...minutes(0, 150), ...minutes(150, 23 * 60, 5), ...minutes(23 * 60, 26 * 60)], ['api', 'mail']);

const inRange = (records: readonly SnapshotRecord[], from: number, to: number, series = 'api') =>
  records.filter((record) => record.series === series && record.start >= from && record.start < to);

describe('rollups', () => {
  it('merges complete buckets exactly into 5 min, 1 h and 1 d rows', async () => {
    const { sink, file, clock, write } = await openSink();
    const records = dayAndTwoHours.filter((record) => record.start < T0 + 25 * HOUR);
    await write(records);
    clock.setNow(T0 + 25 * HOUR + 3 * MINUTE);
    await sink.runMaintenance();
    const rows = rollupRows(file);
    const of = (resolution: string, key: string) => rows.filter((row) => row.resolution === resolution && row.key === key);
    expect(of('5m', 'api')).toHaveLength(25 * 12);
    expect(of('1h', 'api')).toHaveLength(25);
    expect(of('1d', 'api')).toHaveLength(1);
    expect(of('1h', 'mail')).toHaveLength(25);
    for (const row of [...of('5m', 'api').slice(0, 24), ...of('1h', 'mail'), ...of('1d', 'api')]) {
      const size = row.resolution === '5m' ? 5 * MINUTE : row.resolution === '1h' ? HOUR : DAY;
      const pieces = inRange(records, row.bucket_start, row.bucket_start + size, row.key);
      expect(row.count).toBe(pieces.reduce((sum, piece) => sum + piece.count, 0));
      expect(row.ok_count).toBe(pieces.reduce((sum, piece) => sum + piece.okCount, 0));
      // Exact: the merged histogram holds every value of every piece, bucket for bucket.
      expect(decodeSnapshot(row.histogram).buckets).toEqual(decodeSnapshot(mergeSnapshots(pieces.map((piece) => piece.histogram))).buckets);
      expect(decodeSnapshot(row.histogram).totalCount).toBe(pieces.length * 3);
    }
    expect(state(file)).toMatchObject({ 'rolled_until:5m': T0 + 25 * HOUR, 'rolled_until:1h': T0 + 25 * HOUR, 'rolled_until:1d': T0 + DAY });
    await sink.shutdown();
  });

  it('queries use the coarsest rows inside the window, finer rows at the edges, and equal a direct merge', async () => {
    const { sink, clock, write } = await openSink();
    const records = dayAndTwoHours.filter((record) => record.series === 'api');
    await write(records);
    clock.setNow(T0 + 26 * HOUR + 3 * MINUTE);
    await sink.runMaintenance();
    const queries = sink.queries();
    const percentiles = [50, 90, 95, 99, 99.9];
    const windows = [
      // 1 d + 1 h + 5 min rows + raw edges.
      { from: T0, to: T0 + 25 * HOUR + 17 * MINUTE, resolutions: { '1d': 1, '1h': 1, '5m': 3, raw: 2 } },
      { from: T0 + 7 * MINUTE, to: T0 + 2 * HOUR + 13 * MINUTE, resolutions: { '1d': 0, '1h': 1, '5m': 12, raw: 6 } },
      { from: T0 + 2 * HOUR, to: T0 + 4 * HOUR, resolutions: { '1d': 0, '1h': 2, '5m': 0, raw: 0 } },
      { from: T0 + 61 * MINUTE, to: T0 + 64 * MINUTE, resolutions: { '1d': 0, '1h': 0, '5m': 0, raw: 3 } },
    ];
    for (const window of windows) {
      const result = queries.percentiles('api', window, percentiles);
      expect(result.resolutions).toEqual(window.resolutions);
      const expected = expectedStats(inRange(records, window.from, window.to));
      expect(result.count).toBe(expected.count);
      expect(result.percentiles).toEqual({ '50': expected.p50, '90': expected.p90, '95': expected.p95, '99': expected.p99, '99.9': expected.p999 });
      expect([result.min, result.max]).toEqual([expected.min, expected.max]);
      expect(result.runs).toBe(inRange(records, window.from, window.to).length * 4);
    }
    await sink.shutdown();
  });

  it('waits rollupDelay after a bucket ends, and also rolls up from the write path', async () => {
    const { sink, file, clock, write } = await openSink({ rollupDelay: '2m' });
    await write(minuteSnapshots(T0, 0, 5));
    clock.setNow(T0 + 6 * MINUTE + 59_000);
    await sink.runMaintenance();
    expect(rollupRows(file)).toHaveLength(0);
    clock.setNow(T0 + 7 * MINUTE);
    // No cleanup run: the next write rolls the complete bucket up after its commit.
    await write([minuteSnapshot(T0, 6)]);
    expect(rollupRows(file).map((row) => [row.resolution, row.bucket_start, row.count])).toEqual([['5m', T0, 20]]);
    await sink.shutdown();
  });

  it('is idempotent: a second run and a restart change nothing; replayed snapshots are ignored', async () => {
    const file = temporary.databasePath();
    const first = await openSink({}, file);
    const records = minuteSnapshots(T0, 0, 3 * 60, ['api', 'mail']);
    await first.write(records);
    first.clock.setNow(T0 + 3 * HOUR + 3 * MINUTE);
    await first.sink.runMaintenance();
    const before = rollupRows(file);
    await first.sink.runMaintenance();
    // Replays: the same records again, as a retried write or a spool would send them.
    await first.write(records.slice(0, 50));
    expect(rollupRows(file)).toEqual(before);
    await first.sink.shutdown();
    const second = await openSink({}, file);
    second.clock.setNow(T0 + 3 * HOUR + 4 * MINUTE);
    await second.sink.runMaintenance();
    await second.write(records.slice(100, 120));
    expect(rollupRows(file)).toEqual(before);
    await second.sink.shutdown();
  });

  it('a new snapshot for an interval already rolled up (stop, then restart in the same minute) recomputes every level', async () => {
    const { sink, file, clock, write } = await openSink();
    const records = minuteSnapshots(T0, 0, 2 * 60);
    await write(records);
    clock.setNow(T0 + 2 * HOUR + 3 * MINUTE);
    await sink.runMaintenance();
    const before = rollupRows(file);
    const late = minuteSnapshot(T0, 32, 'api', 5);
    await write([late]);
    const after = rollupRows(file);
    const changed = after.filter((row, index) => row.count !== before[index]?.count);
    expect(changed.map((row) => [row.resolution, row.bucket_start, row.count - (before.find((old) => old.resolution === row.resolution && old.bucket_start === row.bucket_start)?.count ?? 0)])).toEqual([
      ['1h', T0, 4],
      ['5m', T0 + 30 * MINUTE, 4],
    ]);
    const result = sink.queries().percentiles('api', { from: T0, to: T0 + HOUR });
    expect(result.resolutions).toEqual({ '1d': 0, '1h': 1, '5m': 0, raw: 0 });
    expect(result.percentiles['99']).toBe(expectedStats([...inRange(records, T0, T0 + HOUR), late]).p99);
    await sink.shutdown();
  });

  it('a late snapshot whose 1-minute neighbours retention already removed is merged into the stored rollups', async () => {
    const { sink, file, clock, write } = await openSink({ retention: { raw: '1h' } });
    const records = minuteSnapshots(T0, 0, 4 * 60);
    await write(records);
    clock.setNow(T0 + 4 * HOUR + 3 * MINUTE);
    await sink.runMaintenance();
    expect(state(file)['pruned_before:raw']).toBe(T0 + 3 * HOUR);
    const late = minuteSnapshot(T0, 12, 'api', 3);
    await write([late]);
    await write([late]);
    const rows = rollupRows(file);
    expect(rows.find((row) => row.resolution === '5m' && row.bucket_start === T0 + 10 * MINUTE)?.count).toBe(5 * 4 + 4);
    expect(rows.find((row) => row.resolution === '1h' && row.bucket_start === T0)?.count).toBe(60 * 4 + 4);
    expect(sink.queries().percentiles('api', { from: T0, to: T0 + HOUR }).percentiles['95']).toBe(expectedStats([...inRange(records, T0, T0 + HOUR), late]).p95);
    await sink.shutdown();
  });

  it('catches up after a monitor was off for days, skipping the empty stretch', async () => {
    const { sink, file, clock, write } = await openSink();
    const early = minuteSnapshots(T0, 0, 10);
    const later = minuteSnapshots(T0, 3 * 24 * 60, 10);
    await write([...early, ...later]);
    clock.setNow(T0 + 3 * DAY + HOUR + 3 * MINUTE);
    const outcome = await sink.runMaintenance();
    // 2 + 2 five-minute buckets, 1 + 1 hourly, 1 daily: nothing for the empty days between.
    expect(outcome.rolledUpBuckets).toBe(7);
    const rows = rollupRows(file);
    expect(rows.filter((row) => row.resolution === '1d').map((row) => [row.bucket_start, row.count])).toEqual([[T0, 40]]);
    expect(rows.filter((row) => row.resolution === '1h').map((row) => row.bucket_start)).toEqual([T0, T0 + 3 * DAY]);
    const result = sink.queries().percentiles('api', { from: T0, to: T0 + 3 * DAY + HOUR });
    expect(result.count).toBe(60);
    expect(result.resolutions).toEqual({ '1d': 1, '1h': 1, '5m': 0, raw: 0 });
    await sink.shutdown();
  });
});
