import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

/** Temporary directories for a test file, removed by `cleanup()` (call it in afterAll). */
export function temporaryDirectories(prefix = 'vigil-sqlite-') {
  const directories: string[] = [];
  return {
    /** A fresh database path inside a new (not yet existing) subdirectory. */
    databasePath(name = 'vigil.db'): string {
      const directory = mkdtempSync(path.join(tmpdir(), prefix));
      directories.push(directory);
      return path.join(directory, 'store', name);
    },
    cleanup(): void {
      for (const directory of directories) rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Runs `read` on a separate read-only connection, as another process would see the file. */
export function inspect<T>(file: string, read: (database: Database.Database) => T): T {
  const database = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return read(database);
  } finally {
    database.close();
  }
}

/** Row counts of the store's tables. */
export function tableCounts(file: string): Record<'results' | 'snapshots' | 'rollups' | 'alerts' | 'series', number> {
  return inspect(file, (database) => {
    const count = (table: string): number => (database.prepare(`SELECT count(*) AS count FROM ${table}`).get() as { count: number }).count;
    return { results: count('results'), snapshots: count('snapshots'), rollups: count('rollups'), alerts: count('alerts'), series: count('series') };
  });
}
