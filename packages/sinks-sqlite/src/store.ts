import path from 'node:path';
import { VigilError, systemClock } from '@vigil/core';
import type { Clock } from '@vigil/core';
import { openStoreDatabase } from './database.js';
import { type SqliteQueries, createQueries } from './queries.js';
import { StoreConnection } from './store-core.js';

export interface OpenSqliteStoreOptions {
  /** The database file a sqlite sink wrote. */
  readonly path: string;
  /** Supplies "now" for relative windows; default the system clock. */
  readonly clock?: Pick<Clock, 'now'>;
  /** How long a query waits for the writer's lock; default 5,000 ms. */
  readonly busyTimeoutMs?: number;
}

/** A read-only view of a store: the query API plus `close`. */
export interface SqliteStore extends SqliteQueries {
  readonly path: string;
  /** Closes the connection. Idempotent; queries afterwards throw `VIGIL_ERR_SHUT_DOWN`. */
  close(): void;
}

/**
 * Opens a store read-only for queries (`vigil report`, dashboards). WAL mode lets it read while
 * a monitor keeps writing. Throws `VIGIL_ERR_SINK_OPEN` when the file is missing or unreadable
 * and `VIGIL_ERR_SQLITE_SCHEMA` when it is not a Vigil store of this schema version.
 */
export function openSqliteStore(options: OpenSqliteStoreOptions | string): SqliteStore {
  const settings = typeof options === 'string' ? { path: options } : options;
  if (typeof settings.path !== 'string' || settings.path.length === 0) throw new VigilError('VIGIL_ERR_CONFIG', '[sinks-sqlite] openSqliteStore: path must be a non-empty string');
  const file = path.resolve(settings.path);
  const clock = settings.clock ?? systemClock;
  let connection: StoreConnection | undefined = new StoreConnection(openStoreDatabase(file, { readonly: true, busyTimeoutMs: settings.busyTimeoutMs ?? 5_000, now: clock.now() }), file);
  const queries = createQueries(connection, clock);
  const live = (): SqliteQueries => {
    if (!connection) throw new VigilError('VIGIL_ERR_SHUT_DOWN', `[sinks-sqlite] the store ${file} was closed`);
    return queries;
  };
  return {
    path: file,
    uptime: (series, window) => live().uptime(series, window),
    percentiles: (series, window, percentiles) => live().percentiles(series, window, percentiles),
    latest: (series, count) => live().latest(series, count),
    incidents: (window, incidentOptions) => live().incidents(window, incidentOptions),
    checks: () => live().checks(),
    series: () => live().series(),
    close() {
      connection?.database.close();
      connection = undefined;
    },
  };
}
