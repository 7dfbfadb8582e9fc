import { spawn } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from './store.js';
import { temporaryDirectories } from './test-support/temporary.js';

const temporary = temporaryDirectories();
afterAll(() => temporary.cleanup());

const repositoryRoot = path.resolve(import.meta.dirname, '../../..');
const writer = path.join(import.meta.dirname, 'test-support', 'write-until-killed.ts');
const BATCH_SIZE = 2_000;

/** Starts the writer, waits until it reports `batches` committed batches, then kills it with SIGKILL. */
function runAndKill(file: string, batches: number): Promise<{ reported: number; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@vigil/source', '--import', 'tsx', writer, file, String(BATCH_SIZE)], {
      cwd: repositoryRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let reported = 0;
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) reported = Math.max(reported, Number(line));
      // The writer goes straight into its next transaction: the kill lands in the middle of a write.
      if (reported >= batches && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ reported, signal, stderr }));
  });
}

describe('kill -9 in the middle of writes', () => {
  it('reopens to a consistent database holding exactly the committed batches, rollups included', async () => {
    const file = temporary.databasePath();
    const { reported, signal, stderr } = await runAndKill(file, 12);
    expect(stderr).toBe('');
    expect(signal).toBe('SIGKILL');
    expect(reported).toBeGreaterThanOrEqual(12);

    // Opening for writing replays the WAL, as the next `vigil run` would.
    const origin = Date.UTC(2026, 6, 1);
    const database = new Database(file);
    let committed: number;
    try {
      expect(database.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
      expect(database.pragma('foreign_key_check')).toEqual([]);
      const perBatch = database.prepare('SELECT CAST(message AS INTEGER) AS batch, count(*) AS count FROM results GROUP BY message ORDER BY batch').all() as { batch: number; count: number }[];
      committed = perBatch.length;
      // Whole batches only, numbered 1..n without a gap, and at least every batch reported.
      expect(committed).toBeGreaterThanOrEqual(reported);
      expect(perBatch.map((row) => row.batch)).toEqual(Array.from({ length: committed }, (_unused, index) => index + 1));
      expect(perBatch.every((row) => row.count === BATCH_SIZE)).toBe(true);
      const count = (sql: string): number => (database.prepare(sql).get() as { count: number }).count;
      expect(count('SELECT count(*) AS count FROM snapshots')).toBe(committed);
      expect(count('SELECT count(*) AS count FROM alerts')).toBe(committed);
      // Rollups kept up with the writes, and every rollup row is the exact sum of its snapshots.
      const rolledUntil = (database.prepare("SELECT value FROM store_state WHERE name = 'rolled_until:5m'").get() as { value: number }).value;
      const rolledBuckets = (rolledUntil - origin) / 300_000;
      expect(rolledBuckets).toBeGreaterThanOrEqual(Math.floor((committed - 1) / 5));
      expect(count("SELECT count(*) AS count FROM rollups WHERE resolution = '5m'")).toBe(rolledBuckets);
      const mismatched = database
        .prepare(
          `SELECT bucket_start, count, (SELECT coalesce(sum(count), 0) FROM snapshots WHERE interval_start >= rollups.bucket_start AND interval_start < rollups.bucket_start + 300000) AS pieces
           FROM rollups WHERE resolution = '5m' AND count != pieces`,
        )
        .all();
      expect(mismatched).toEqual([]);
    } finally {
      database.close();
    }
    // And the store answers queries over everything committed.
    const store = openSqliteStore({ path: file, clock: { now: () => origin + 86_400_000 } });
    expect(store.uptime('crash', '1d')).toMatchObject({ total: committed * BATCH_SIZE, ok: committed * BATCH_SIZE * 0.9 });
    expect(store.percentiles('crash', '1d').runs).toBe(committed * BATCH_SIZE);
    store.close();
  }, 60_000);
});
