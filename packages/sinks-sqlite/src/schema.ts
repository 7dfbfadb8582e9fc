import type Database from 'better-sqlite3';
import { VigilError } from '@vigil/core';

/** One schema change. Migrations only ever append: a released version is never edited. */
interface Migration {
  readonly version: number;
  readonly description: string;
  readonly statements: readonly string[];
}

const migrations: readonly Migration[] = [
  {
    version: 1,
    description: 'results, series, 1-minute snapshots, rollups, alerts, store state',
    statements: [
      `CREATE TABLE results (
        id INTEGER PRIMARY KEY,
        check_id TEXT NOT NULL,
        check_type TEXT NOT NULL,
        target TEXT,
        timestamp INTEGER NOT NULL,
        scheduled_at INTEGER NOT NULL,
        lag_ms REAL NOT NULL,
        status TEXT NOT NULL,
        reason TEXT NOT NULL,
        message TEXT,
        duration_ms REAL NOT NULL,
        attempts INTEGER NOT NULL,
        tags TEXT NOT NULL,
        phases TEXT NOT NULL,
        metrics TEXT NOT NULL,
        details TEXT
      )`,
      // Covers uptime(check, window) without touching the table rows.
      'CREATE INDEX results_by_check_time ON results (check_id, timestamp, status)',
      // Retention deletes by time across all checks.
      'CREATE INDEX results_by_time ON results (timestamp)',
      `CREATE TABLE series (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        check_id TEXT NOT NULL,
        metric TEXT NOT NULL,
        unit TEXT NOT NULL,
        tags TEXT NOT NULL
      )`,
      // Snapshot records as they arrived (normally 1 minute each). The digest makes a replayed
      // record a no-op while two different records for the same interval (a stop, then a
      // restart within the same minute) both count.
      `CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY,
        series_id INTEGER NOT NULL REFERENCES series (id),
        interval_start INTEGER NOT NULL,
        interval_end INTEGER NOT NULL,
        count INTEGER NOT NULL,
        ok_count INTEGER NOT NULL,
        histogram TEXT NOT NULL,
        digest TEXT NOT NULL,
        UNIQUE (series_id, interval_start, interval_end, digest)
      )`,
      'CREATE INDEX snapshots_by_start ON snapshots (interval_start)',
      // One row per series and bucket for each coarser resolution ('5m', '1h', '1d'): the exact
      // merge of every finer row in the bucket.
      `CREATE TABLE rollups (
        resolution TEXT NOT NULL,
        series_id INTEGER NOT NULL REFERENCES series (id),
        bucket_start INTEGER NOT NULL,
        count INTEGER NOT NULL,
        ok_count INTEGER NOT NULL,
        histogram TEXT NOT NULL,
        PRIMARY KEY (resolution, series_id, bucket_start)
      )`,
      'CREATE INDEX rollups_by_start ON rollups (resolution, bucket_start)',
      `CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        alert_id TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        check_id TEXT NOT NULL,
        severity TEXT NOT NULL,
        state TEXT NOT NULL,
        previous_state TEXT NOT NULL,
        reason TEXT NOT NULL,
        message TEXT NOT NULL,
        alert_values TEXT NOT NULL,
        tags TEXT NOT NULL,
        since INTEGER NOT NULL,
        at INTEGER NOT NULL,
        link TEXT,
        cause TEXT
      )`,
      'CREATE INDEX alerts_by_time ON alerts (at)',
      'CREATE INDEX alerts_by_alert ON alerts (alert_id, at)',
      // Watermarks: how far each resolution is rolled up, and below which time each table was pruned.
      'CREATE TABLE store_state (name TEXT PRIMARY KEY, value INTEGER NOT NULL)',
    ],
  },
];

/** The schema version this package writes. */
export const schemaVersion = migrations.at(-1)?.version ?? 0;

function currentVersion(database: Database.Database): number | undefined {
  const table = database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (!table) return undefined;
  const row = database.prepare('SELECT max(version) AS version FROM schema_version').get() as { version: number | null };
  return row.version ?? 0;
}

/**
 * Brings the database to {@link schemaVersion}, one transaction per migration (a crash leaves it
 * at a complete older version). Refuses a database written by a newer version of this package.
 */
export function migrate(database: Database.Database, file: string, now: number): void {
  let version = currentVersion(database);
  if (version === undefined) {
    // Never add our tables to someone else's database.
    const tables = database.prepare("SELECT count(*) AS count FROM sqlite_master WHERE type = 'table'").get() as { count: number };
    if (tables.count > 0) throw new VigilError('VIGIL_ERR_SQLITE_SCHEMA', `[sinks-sqlite] ${file} is an SQLite database but not a Vigil store (no schema_version table)`);
    version = 0;
  }
  if (version > schemaVersion) {
    throw new VigilError(
      'VIGIL_ERR_SQLITE_SCHEMA',
      `[sinks-sqlite] ${file} has schema version ${version}, newer than this @vigil/sinks-sqlite understands (${schemaVersion}); upgrade the package`,
    );
  }
  for (const migration of migrations) {
    if (migration.version <= version) continue;
    database.transaction(() => {
      database.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)');
      for (const statement of migration.statements) database.exec(statement);
      database.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.description, now);
    }).immediate();
  }
}

/** For read-only use: the database must already be at {@link schemaVersion}. */
export function verifySchema(database: Database.Database, file: string): void {
  const version = currentVersion(database);
  if (version === undefined) throw new VigilError('VIGIL_ERR_SQLITE_SCHEMA', `[sinks-sqlite] ${file} is not a Vigil store (no schema_version table)`);
  if (version > schemaVersion) {
    throw new VigilError('VIGIL_ERR_SQLITE_SCHEMA', `[sinks-sqlite] ${file} has schema version ${version}, newer than this @vigil/sinks-sqlite understands (${schemaVersion}); upgrade the package`);
  }
  if (version < schemaVersion) {
    throw new VigilError('VIGIL_ERR_SQLITE_SCHEMA', `[sinks-sqlite] ${file} has schema version ${version}; open it once for writing (e.g. vigil run) to migrate it to ${schemaVersion}`);
  }
}
