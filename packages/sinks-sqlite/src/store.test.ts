import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { VigilError } from '@vigil/core';
import { createFakeClock, sampleResultRecord } from '@vigil/test-utils';
import { createSqliteSink } from './sqlite-sink.js';
import { openSqliteStore } from './store.js';
import { temporaryDirectories } from './test-support/temporary.js';

const temporary = temporaryDirectories();
afterAll(() => temporary.cleanup());

const T0 = Date.UTC(2026, 7, 1);
const signal = (): AbortSignal => AbortSignal.timeout(30_000);
const hasCode = (code: string, pattern: RegExp) => (error: unknown) => VigilError.hasCode(error, code) && pattern.test((error as Error).message);

describe('openSqliteStore', () => {
  it('reads what a running sink has committed, without blocking its writes', async () => {
    const file = temporary.databasePath();
    const sink = createSqliteSink({ path: file }, { clock: createFakeClock(T0) });
    await sink.start?.({ signal: signal() });
    await sink.write([sampleResultRecord({ checkId: 'api', timestamp: T0 - 1_000 })], { signal: signal() });
    const store = openSqliteStore({ path: file, clock: { now: () => T0 } });
    expect(store.uptime('api', '1h').total).toBe(1);
    // The writer keeps writing while the reader's connection is open.
    expect((await sink.write([sampleResultRecord({ checkId: 'api', timestamp: T0 - 500 })], { signal: signal() })).kind).toBe('success');
    expect(store.uptime('api', '1h').total).toBe(2);
    expect(store.path).toBe(file);
    store.close();
    store.close();
    expect(() => store.checks()).toThrow(expect.toSatisfy(hasCode('VIGIL_ERR_SHUT_DOWN', /was closed/)));
    await sink.shutdown();
    // After a clean shutdown (no -wal file left) the file still opens read-only.
    const again = openSqliteStore({ path: file, clock: { now: () => T0 } });
    expect(again.latest('api', 5)).toHaveLength(2);
    again.close();
  });

  it('a missing file, a foreign database or an unmigrated one is a clear error', () => {
    expect(() => openSqliteStore(temporary.databasePath('absent.db'))).toThrow(expect.toSatisfy(hasCode('VIGIL_ERR_SINK_OPEN', /no database at .*absent\.db/)));
    expect(() => openSqliteStore('')).toThrow(expect.toSatisfy(hasCode('VIGIL_ERR_CONFIG', /path/)));
    const foreign = temporary.databasePath('foreign.db');
    mkdirSync(path.dirname(foreign), { recursive: true });
    const database = new Database(foreign);
    database.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY)');
    database.close();
    expect(() => openSqliteStore(foreign)).toThrow(expect.toSatisfy(hasCode('VIGIL_ERR_SQLITE_SCHEMA', /not a Vigil store/)));
    const old = temporary.databasePath('old.db');
    mkdirSync(path.dirname(old), { recursive: true });
    const oldDatabase = new Database(old);
    oldDatabase.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    oldDatabase.close();
    expect(() => openSqliteStore(old)).toThrow(expect.toSatisfy(hasCode('VIGIL_ERR_SQLITE_SCHEMA', /open it once for writing/)));
  });
});
