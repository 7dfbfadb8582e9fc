// @vigil/sinks-sqlite public API. Explicit names only.
export { createSqliteSink, sqliteSinkPlugin } from './sqlite-sink.js';
export type { MaintenanceOutcome, SqliteSink, SqliteSinkRuntime } from './sqlite-sink.js';
export { sqliteRetentionSchema, sqliteSinkOptionsSchema } from './options.js';
export type { ParsedSqliteSinkOptions, SqliteRetention, SqliteSinkOptions } from './options.js';
export { openSqliteStore } from './store.js';
export type { OpenSqliteStoreOptions, SqliteStore } from './store.js';
export { defaultPercentiles, resolveWindow } from './queries.js';
export type { Incident, PercentilesResult, QueryWindow, ResolutionCounts, SqliteQueries, StoredSeries, UptimeResult } from './queries.js';
export type { PruneOutcome } from './retention.js';
export { schemaVersion } from './schema.js';
