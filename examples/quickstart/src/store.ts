import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describeError, formatDuration } from '@vigil/core';
import type { Sink } from '@vigil/core';
import { createSqliteSink, openSqliteStore } from '@vigil/sinks-sqlite';
import type { SqliteStore } from '@vigil/sinks-sqlite';

/** The demo's store: the sink the monitor writes to, and read-only access for queries. */
export interface DemoStore {
  readonly sink: Sink;
  /** The database file. */
  readonly location: string;
  /** Opens the file read-only for queries (works while the monitor writes, and after it stopped). */
  open(): SqliteStore;
  /** What the store holds over the last `window`, one line per check (see {@link formatStoredSummary}). */
  summary(window: string): string;
}

/** The embedded default store for the demo: SQLite at `<data-dir>/vigil.db`, where `vigil report` looks. */
export async function createDefaultStore(dataDirectory: string): Promise<DemoStore> {
  await mkdir(dataDirectory, { recursive: true, mode: 0o700 });
  const location = path.join(dataDirectory, 'vigil.db');
  const open = (): SqliteStore => openSqliteStore(location);
  return {
    sink: createSqliteSink({ path: location }),
    location,
    open,
    summary(window) {
      try {
        const store = open();
        try {
          return formatStoredSummary(store, window);
        } finally {
          store.close();
        }
      } catch (error) {
        // The demo's last words must not be a stack trace.
        return `Cannot read the store ${location}: ${describeError(error)}\n`;
      }
    },
  };
}

/** One line per check from what the store holds: uptime and p50/p95/p99 merged from its HDR snapshots. */
export function formatStoredSummary(store: SqliteStore, window: string): string {
  const lines = store.checks().map((check) => {
    const uptime = store.uptime(check, window);
    const latency = store.percentiles(check, window, [50, 95, 99]);
    const percentiles =
      latency.count > 0
        ? `p50 ${formatDuration(latency.percentiles['50'] as number)}  p95 ${formatDuration(latency.percentiles['95'] as number)}  p99 ${formatDuration(latency.percentiles['99'] as number)}`
        : 'no successful samples';
    const ratio = uptime.total > 0 ? `${((uptime.ok / uptime.total) * 100).toFixed(1)}% ok of ${uptime.total}` : 'no runs';
    return `  ${check.padEnd(6)} ${percentiles}  ${ratio}`;
  });
  return `Stored in ${store.path} (last ${window}; more with: npx vigil report --db ${store.path}):\n${lines.join('\n')}\n`;
}
