import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { VigilError, describeError } from '@vigil/core';
import { migrate, verifySchema } from './schema.js';

export type SynchronousMode = 'off' | 'normal' | 'full' | 'extra';

export interface OpenDatabaseOptions {
  readonly readonly: boolean;
  readonly busyTimeoutMs: number;
  readonly synchronous?: SynchronousMode;
  /** Epoch ms, recorded with each applied migration. */
  readonly now: number;
}

/**
 * Opens (and for writing, creates and migrates) a Vigil SQLite store. A new file is created with
 * mode 0600 in a 0700 directory before SQLite touches it; SQLite gives its -wal and -shm files
 * the database file's mode.
 */
export function openStoreDatabase(file: string, options: OpenDatabaseOptions): Database.Database {
  const resolved = path.resolve(file);
  if (options.readonly && !existsSync(resolved)) {
    throw new VigilError('VIGIL_ERR_SINK_OPEN', `[sinks-sqlite] no database at ${resolved}`);
  }
  let database: Database.Database | undefined;
  try {
    if (!options.readonly) {
      mkdirSync(path.dirname(resolved), { recursive: true, mode: 0o700 });
      if (!existsSync(resolved)) {
        // 'wx' so a file created concurrently by someone else keeps its own mode.
        try {
          closeSync(openSync(resolved, 'wx', 0o600));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
      }
    }
    database = new Database(resolved, { readonly: options.readonly, fileMustExist: true, timeout: options.busyTimeoutMs });
    if (options.readonly) {
      verifySchema(database, resolved);
    } else {
      // WAL: readers (vigil report) never block the writer, and a commit is one append.
      const mode = database.pragma('journal_mode = WAL', { simple: true });
      if (String(mode).toLowerCase() !== 'wal') throw new Error(`journal_mode WAL refused (got ${String(mode)})`);
      database.pragma(`synchronous = ${(options.synchronous ?? 'normal').toUpperCase()}`);
      migrate(database, resolved, options.now);
    }
    return database;
  } catch (error) {
    database?.close();
    if (VigilError.isInstance(error)) throw error;
    throw new VigilError('VIGIL_ERR_SINK_OPEN', `[sinks-sqlite] cannot open ${resolved}: ${describeError(error)}`, { cause: error });
  }
}
