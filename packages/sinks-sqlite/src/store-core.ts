import type Database from 'better-sqlite3';

/** The coarser resolutions snapshots are rolled up into, finest first. */
export const rollupResolutions = ['5m', '1h', '1d'] as const;
export type RollupResolution = (typeof rollupResolutions)[number];

/** Every resolution a query may read: `raw` is the snapshots as they arrived (normally 1 minute). */
export type Resolution = 'raw' | RollupResolution;

export const resolutionMs: Readonly<Record<RollupResolution, number>> = { '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 };

/** The resolution each rollup is computed from. */
export const finerResolution: Readonly<Record<RollupResolution, Resolution>> = { '5m': 'raw', '1h': '5m', '1d': '1h' };

/** Names of the watermarks kept in `store_state`. */
export type StateName = `rolled_until:${RollupResolution}` | `pruned_before:${Resolution | 'alerts'}`;

/** Floors `value` to a multiple of `size` (UTC-aligned buckets: days start at 00:00 UTC). */
export function alignDown(value: number, size: number): number {
  return Math.floor(value / size) * size;
}

/** A stored snapshot row of any resolution. */
export interface SnapshotRow {
  readonly series_id: number;
  readonly start: number;
  readonly count: number;
  readonly ok_count: number;
  readonly histogram: string;
}

/**
 * One connection with its prepared statements. Statements are prepared on first use and kept
 * for the connection's life (preparing is the expensive part of a small SQLite statement).
 */
export class StoreConnection {
  readonly database: Database.Database;
  readonly file: string;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(database: Database.Database, file: string) {
    this.database = database;
    this.file = file;
  }

  statement(sql: string): Database.Statement {
    let prepared = this.statements.get(sql);
    if (!prepared) {
      prepared = this.database.prepare(sql);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  readState(name: StateName): number | undefined {
    const row = this.statement('SELECT value FROM store_state WHERE name = ?').get(name) as { value: number } | undefined;
    return row?.value;
  }

  writeState(name: StateName, value: number): void {
    this.statement('INSERT INTO store_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run(name, value);
  }

  /** Rows of one resolution whose interval starts in [from, to), optionally of one series, oldest first. */
  snapshotRows(resolution: Resolution, from: number, to: number, seriesId?: number): SnapshotRow[] {
    if (resolution === 'raw') {
      if (seriesId === undefined) {
        return this.statement(
          'SELECT series_id, interval_start AS start, count, ok_count, histogram FROM snapshots WHERE interval_start >= ? AND interval_start < ? ORDER BY interval_start, id',
        ).all(from, to) as SnapshotRow[];
      }
      return this.statement(
        'SELECT series_id, interval_start AS start, count, ok_count, histogram FROM snapshots WHERE series_id = ? AND interval_start >= ? AND interval_start < ? ORDER BY interval_start, id',
      ).all(seriesId, from, to) as SnapshotRow[];
    }
    if (seriesId === undefined) {
      return this.statement(
        'SELECT series_id, bucket_start AS start, count, ok_count, histogram FROM rollups WHERE resolution = ? AND bucket_start >= ? AND bucket_start < ? ORDER BY bucket_start',
      ).all(resolution, from, to) as SnapshotRow[];
    }
    return this.statement(
      'SELECT series_id, bucket_start AS start, count, ok_count, histogram FROM rollups WHERE resolution = ? AND series_id = ? AND bucket_start >= ? AND bucket_start < ? ORDER BY bucket_start',
    ).all(resolution, seriesId, from, to) as SnapshotRow[];
  }

  /** The earliest interval start at or after `from` in one resolution, if any. */
  firstStart(resolution: Resolution, from: number): number | undefined {
    const row =
      resolution === 'raw'
        ? (this.statement('SELECT min(interval_start) AS start FROM snapshots WHERE interval_start >= ?').get(from) as { start: number | null })
        : (this.statement('SELECT min(bucket_start) AS start FROM rollups WHERE resolution = ? AND bucket_start >= ?').get(resolution, from) as { start: number | null });
    return row.start ?? undefined;
  }

  /** The stored rollup row of one series and bucket, if any. */
  rollupRow(resolution: RollupResolution, seriesId: number, bucketStart: number): SnapshotRow | undefined {
    return this.statement(
      'SELECT series_id, bucket_start AS start, count, ok_count, histogram FROM rollups WHERE resolution = ? AND series_id = ? AND bucket_start = ?',
    ).get(resolution, seriesId, bucketStart) as SnapshotRow | undefined;
  }

  upsertRollup(resolution: RollupResolution, seriesId: number, bucketStart: number, count: number, okCount: number, histogram: string): void {
    this.statement(
      `INSERT INTO rollups (resolution, series_id, bucket_start, count, ok_count, histogram) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (resolution, series_id, bucket_start) DO UPDATE SET count = excluded.count, ok_count = excluded.ok_count, histogram = excluded.histogram`,
    ).run(resolution, seriesId, bucketStart, count, okCount, histogram);
  }
}
