import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { VigilError, createSinkProcessor, decodeSnapshot } from '@vigil/core';
import type { SinkRecord, WriteResult } from '@vigil/core';
import { createFakeClock, sampleAlertRecord, sampleResultRecord, sampleSnapshotRecord, testSink } from '@vigil/test-utils';
import { schemaVersion } from './schema.js';
import { createSqliteSink, sqliteSinkPlugin } from './sqlite-sink.js';
import { inspect, tableCounts, temporaryDirectories } from './test-support/temporary.js';

const temporary = temporaryDirectories();
afterAll(() => temporary.cleanup());

const signal = (): AbortSignal => AbortSignal.timeout(30_000);

testSink({
  plugin: sqliteSinkPlugin,
  async setup() {
    const file = temporary.databasePath();
    // A fake clock near the sample records' dates: nothing is old enough for retention to touch.
    const sink = createSqliteSink({ path: file }, { clock: createFakeClock(Date.UTC(2026, 0, 1, 12)) });
    return {
      sink,
      countStored: async () => {
        const counts = tableCounts(file);
        return { result: counts.results, snapshot: counts.snapshots, alert: counts.alerts };
      },
      invalidOptions: [
        { path: '' },
        { synchronous: 'sometimes' },
        { retention: { raw: 'forever' } },
        { retention: { raw: '30d', fiveMinutes: '7d' } },
        { cleanupInterval: 0 },
        { maxBatchSize: 0 },
        { accepts: ['result', 'metric'] },
        { unknownOption: true },
      ],
      teardown: async () => {},
    };
  },
});

async function startedSink(options: Parameters<typeof createSqliteSink>[0] = {}) {
  const file = temporary.databasePath();
  const clock = createFakeClock(Date.UTC(2026, 0, 1, 12));
  const sink = createSqliteSink({ path: file, ...options }, { clock });
  await sink.start?.({ signal: signal() });
  return { sink, file, clock };
}

describe('createSqliteSink: the database file', () => {
  it('is created with mode 0600 in a 0700 directory, in WAL mode, at the current schema version', async () => {
    const { sink, file } = await startedSink();
    await sink.write([sampleResultRecord()], { signal: signal() });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    // SQLite gives the WAL the database file's permissions.
    expect(existsSync(`${file}-wal`)).toBe(true);
    expect(statSync(`${file}-wal`).mode & 0o777).toBe(0o600);
    const journalMode = inspect(file, (database) => database.pragma('journal_mode', { simple: true }));
    expect(journalMode).toBe('wal');
    await sink.shutdown();
    const versions = inspect(file, (database) => database.prepare('SELECT version FROM schema_version').all());
    expect(versions).toEqual([{ version: schemaVersion }]);
  });

  it('reopens an existing store without re-applying migrations and keeps its rows', async () => {
    const { sink, file } = await startedSink();
    await sink.write([sampleResultRecord(), sampleResultRecord()], { signal: signal() });
    await sink.shutdown();
    const again = createSqliteSink({ path: file }, { clock: createFakeClock() });
    await again.start?.({ signal: signal() });
    await again.write([sampleResultRecord()], { signal: signal() });
    await again.shutdown();
    expect(tableCounts(file).results).toBe(3);
    expect(inspect(file, (database) => database.prepare('SELECT count(*) AS count FROM schema_version').get())).toEqual({ count: 1 });
  });

  it('refuses a foreign SQLite database and one from a newer schema, with VIGIL_ERR_SQLITE_SCHEMA', async () => {
    const foreign = temporary.databasePath();
    mkdirSync(path.dirname(foreign), { recursive: true });
    const other = new Database(foreign);
    other.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY)');
    other.close();
    const foreignSink = createSqliteSink({ path: foreign });
    await expect(foreignSink.start?.({ signal: signal() })).rejects.toSatisfy((error: unknown) => VigilError.hasCode(error, 'VIGIL_ERR_SQLITE_SCHEMA') && /not a Vigil store/.test((error as Error).message));

    const { sink, file } = await startedSink();
    await sink.shutdown();
    const database = new Database(file);
    database.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(schemaVersion + 1, 'from the future', 0);
    database.close();
    const newer = createSqliteSink({ path: file });
    await expect(newer.start?.({ signal: signal() })).rejects.toSatisfy((error: unknown) => VigilError.hasCode(error, 'VIGIL_ERR_SQLITE_SCHEMA') && /newer/.test((error as Error).message));
  });

  it('an unopenable path: start rejects with VIGIL_ERR_SINK_OPEN, write reports retryable instead of throwing', async () => {
    const blocker = temporary.databasePath('blocker');
    mkdirSync(path.dirname(blocker), { recursive: true });
    writeFileSync(blocker, 'a regular file where a directory should be');
    const sink = createSqliteSink({ path: path.join(blocker, 'vigil.db') });
    await expect(sink.start?.({ signal: signal() })).rejects.toSatisfy((error: unknown) => VigilError.hasCode(error, 'VIGIL_ERR_SINK_OPEN'));
    const result = await sink.write([sampleResultRecord()], { signal: signal() });
    expect(result.kind).toBe('retryable');
    await sink.shutdown();
  });

  it('a file that is not a database: start rejects naming the file, write is retryable', async () => {
    const file = temporary.databasePath();
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, 'this is not an SQLite database, just text that is long enough to have a header'.repeat(20));
    const sink = createSqliteSink({ path: file });
    await expect(sink.start?.({ signal: signal() })).rejects.toSatisfy(
      (error: unknown) => VigilError.hasCode(error, 'VIGIL_ERR_SINK_OPEN') && (error as Error).message.includes(file),
    );
    expect((await sink.write([sampleResultRecord()], { signal: signal() })).kind).toBe('retryable');
    await sink.shutdown();
  });
});

describe('createSqliteSink: writes', () => {
  it('stores results exactly: latest() gives back the records written', async () => {
    const { sink } = await startedSink();
    const records = [
      sampleResultRecord({ checkId: 'api', timestamp: Date.UTC(2026, 0, 1, 11, 0), status: 'down', reason: 'connection_refused', message: 'refused', details: { code: 'ECONNREFUSED' } }),
      sampleResultRecord({ checkId: 'api', timestamp: Date.UTC(2026, 0, 1, 11, 1), target: undefined }),
      sampleResultRecord({ checkId: 'api', timestamp: Date.UTC(2026, 0, 1, 11, 2), status: 'degraded', reason: 'certificate_expiring', attempts: 2 }),
    ];
    expect(await sink.write(records, { signal: signal() })).toEqual({ kind: 'success' });
    expect(sink.queries().latest('api', 10)).toEqual([...records].reverse());
    expect(sink.queries().latest('api', 1)).toEqual([records[2]]);
    await sink.shutdown();
  });

  it('rejects only the bad records of a batch, with reasons, and stores the rest', async () => {
    const { sink, file } = await startedSink();
    const good = [sampleResultRecord(), sampleSnapshotRecord([1, 2, 3]), sampleAlertRecord()];
    const batch = [
      good[0],
      sampleResultRecord({ status: 'sideways' as never }),
      good[1],
      sampleSnapshotRecord([1], { histogram: 'bm90IGEgaGlzdG9ncmFt', start: Date.UTC(2026, 0, 1, 1) }),
      sampleResultRecord({ timestamp: Number.NaN }),
      good[2],
      sampleAlertRecord({ id: '' }),
      { type: 'metric' } as unknown as SinkRecord,
      sampleResultRecord({ details: { size: 1n } as never }),
    ] as SinkRecord[];
    const result = (await sink.write(batch, { signal: signal() })) as Extract<WriteResult, { kind: 'partial' }>;
    expect(result.kind).toBe('partial');
    expect(result.accepted).toEqual([0, 2, 5]);
    expect(result.rejected.map((rejection) => rejection.index)).toEqual([1, 3, 4, 6, 7, 8]);
    expect(result.rejected[0]?.reason).toMatch(/status must be one of/);
    expect(result.rejected[1]?.reason).toMatch(/invalid snapshot/);
    expect(result.rejected[5]?.reason).toMatch(/JSON/);
    expect(tableCounts(file)).toMatchObject({ results: 1, snapshots: 1, alerts: 1 });
    await sink.shutdown();
  });

  it('stores a replayed snapshot or alert once, but counts two different snapshots of the same interval', async () => {
    const { sink, file } = await startedSink();
    const start = Date.UTC(2026, 0, 1, 11, 30);
    const beforeStop = sampleSnapshotRecord([5, 6, 7], { start, end: start + 25_000 });
    const alert = sampleAlertRecord();
    await sink.write([beforeStop, alert], { signal: signal() });
    // A retried write of the same batch changes nothing.
    await sink.write([beforeStop, alert], { signal: signal() });
    expect(tableCounts(file)).toMatchObject({ snapshots: 1, alerts: 1 });
    // After a restart the engine emits the rest of the same minute as another record.
    const afterRestart = sampleSnapshotRecord([8, 9], { start, end: start + 60_000 });
    await sink.write([afterRestart], { signal: signal() });
    const stats = sink.queries().percentiles('web', { from: start, to: start + 60_000 });
    expect(stats.count).toBe(5);
    expect(stats.runs).toBe(5);
    expect(stats.max).toBeCloseTo(9, 1);
    await sink.shutdown();
  });

  it('rejects a snapshot whose unit differs from the stored series', async () => {
    const { sink } = await startedSink();
    await sink.write([sampleSnapshotRecord([1, 2], { series: 'web/rtt', metric: 'rtt' })], { signal: signal() });
    const result = await sink.write([sampleSnapshotRecord([3], { series: 'web/rtt', metric: 'rtt', unit: 'bytes', start: Date.UTC(2026, 0, 1, 0, 5) })], { signal: signal() });
    expect(result).toMatchObject({ kind: 'partial', accepted: [], rejected: [{ index: 0 }] });
    expect((result as Extract<WriteResult, { kind: 'partial' }>).rejected[0]?.reason).toMatch(/unit bytes differs from the stored series unit ms/);
    await sink.shutdown();
  });

  it('stores only the accepted record types and acknowledges the others', async () => {
    const { sink, file } = await startedSink({ accepts: ['alert'] });
    expect(sink.accepts).toEqual(['alert']);
    expect(await sink.write([sampleResultRecord(), sampleAlertRecord(), sampleSnapshotRecord()], { signal: signal() })).toEqual({ kind: 'success' });
    expect(tableCounts(file)).toMatchObject({ results: 0, snapshots: 0, alerts: 1 });
    await sink.shutdown();
  });

  it('through the core batch processor: 2,500 queued results are all stored, in batches of maxBatchSize', async () => {
    const { sink, file } = await startedSink({ maxBatchSize: 1_000 });
    const processor = createSinkProcessor(sink, { flushIntervalMs: 10 });
    await processor.start();
    for (let index = 0; index < 2_500; index += 1) processor.enqueue(sampleResultRecord({ checkId: `check-${index % 5}` }));
    await processor.flush({ timeoutMs: 30_000 });
    expect(processor.stats()).toMatchObject({ written: 2_500, queued: 0, writes: 3 });
    await processor.shutdown();
    expect(tableCounts(file).results).toBe(2_500);
  });

  it('the stored snapshot histogram is the record histogram, decodable as is', async () => {
    const { sink, file } = await startedSink();
    const record = sampleSnapshotRecord([1, 2, 3, 400]);
    await sink.write([record], { signal: signal() });
    await sink.shutdown();
    const stored = inspect(file, (database) => database.prepare('SELECT histogram FROM snapshots').get() as { histogram: string });
    expect(stored.histogram).toBe(record.histogram);
    expect(decodeSnapshot(stored.histogram).totalCount).toBe(4);
  });
});
