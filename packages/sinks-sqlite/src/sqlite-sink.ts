import path from 'node:path';
import { VigilError, coreVersion, createConsoleLogger, describeError, parseOptions, systemClock } from '@vigil/core';
import type { AlertRecord, Clock, Logger, PluginDefinition, RejectedRecord, ResultRecord, Sink, SinkRecord, SnapshotRecord, TimerHandle, WriteResult } from '@vigil/core';
import { openStoreDatabase } from './database.js';
import { type ParsedSqliteSinkOptions, type SqliteSinkOptions, sqliteSinkOptionsSchema } from './options.js';
import { type SqliteQueries, createQueries } from './queries.js';
import { type AlertRow, type ResultRow, type ValidSnapshot, alertRow, resultRow, validSnapshot } from './records.js';
import { type PruneOutcome, pruneSteps } from './retention.js';
import { type NewSnapshot, applyLateSnapshots, rollUp } from './rollup.js';
import { StoreConnection, alignDown, resolutionMs } from './store-core.js';

/** Runtime collaborators that do not belong in a config file. */
export interface SqliteSinkRuntime {
  /** Time for rollups, retention and relative query windows; default the system clock. */
  readonly clock?: Clock;
  /** Where cleanup failures are reported; default warnings on stderr. */
  readonly logger?: Logger;
}

/** What one run of the cleanup job did. */
export interface MaintenanceOutcome {
  /** Rollup buckets (5 min, 1 h, 1 d) computed, and rollup rows written. */
  readonly rolledUpBuckets: number;
  readonly rollupRows: number;
  /** Rows removed by retention, per table. */
  readonly deleted: PruneOutcome;
}

/** The SQLite sink: a {@link Sink} plus the query API over its own connection. */
export interface SqliteSink extends Sink {
  /** The absolute path of the database file. */
  readonly path: string;
  /** The query API over this sink's connection (opens the database if needed). */
  queries(): SqliteQueries;
  /**
   * Rolls up complete buckets, then applies retention, now. The sink also runs it shortly after
   * `start` and every `cleanupInterval`. Concurrent calls share one run.
   */
  runMaintenance(): Promise<MaintenanceOutcome>;
}

const meta = { name: '@vigil/sinks-sqlite', kind: 'sink', type: 'sqlite', coreRange: `^${coreVersion}` } as const;

/** Rollup buckets one write may compute after its commit; the cleanup job catches up on the rest. */
const ROLLUP_BUDGET_PER_WRITE = 24;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface PendingSeries {
  readonly id: number;
  readonly unit: string;
  readonly tags: string;
}

/** Creates the SQLite sink: WAL, one transaction per batch, snapshot rollups, retention and queries. */
export function createSqliteSink(options: SqliteSinkOptions = {}, runtime: SqliteSinkRuntime = {}): SqliteSink {
  const settings: ParsedSqliteSinkOptions = Object.freeze(parseOptions(sqliteSinkOptionsSchema, options, { source: 'sinks-sqlite' }));
  const clock = runtime.clock ?? systemClock;
  const logger = (runtime.logger ?? createConsoleLogger({ level: 'warn' })).child({ sink: 'sqlite' });
  const file = path.resolve(settings.path);
  const accepted = new Set(settings.accepts ?? ['result', 'snapshot', 'alert']);

  let store: StoreConnection | undefined;
  let queries: SqliteQueries | undefined;
  let shutdownPromise: Promise<void> | undefined;
  let maintenancePromise: Promise<MaintenanceOutcome> | undefined;
  let maintenanceTimer: TimerHandle | undefined;
  let nextRollUpAt = Number.NEGATIVE_INFINITY;
  // Series ids by key, filled from the database; changes only after a transaction commits.
  const seriesCache = new Map<string, PendingSeries>();

  const ensureOpen = (): StoreConnection => {
    if (shutdownPromise) throw new VigilError('VIGIL_ERR_SHUT_DOWN', '[sinks-sqlite] the sink was shut down');
    if (!store) {
      store = new StoreConnection(openStoreDatabase(file, { readonly: false, busyTimeoutMs: settings.busyTimeout, synchronous: settings.synchronous, now: clock.now() }), file);
      queries = createQueries(store, clock);
      // First cleanup soon after opening (it also rolls up what a previous run left), then every interval.
      armMaintenance(0);
    }
    return store;
  };

  /** Rolls up buckets that became complete, a bounded amount per write; never fails the write. */
  const rollUpAfterWrite = (connection: StoreConnection): void => {
    const now = clock.now();
    if (now < nextRollUpAt) return;
    try {
      const outcome = rollUp(connection, now, settings.rollupDelay, ROLLUP_BUDGET_PER_WRITE);
      // Nothing more can complete before the next 5-minute boundary passes the delay.
      nextRollUpAt = outcome.caughtUp ? alignDown(now - settings.rollupDelay, resolutionMs['5m']) + resolutionMs['5m'] + settings.rollupDelay : now;
    } catch (error) {
      logger.warn('rollup after a write failed; the cleanup job will retry', { error: describeError(error) });
    }
  };

  const insertBatch = (
    connection: StoreConnection,
    results: readonly ResultRow[],
    snapshots: readonly { readonly index: number; readonly snapshot: ValidSnapshot }[],
    alerts: readonly AlertRow[],
  ): { rejected: RejectedRecord[]; newSeries: Map<string, PendingSeries> } => {
    const insertResult = connection.statement(
      `INSERT INTO results (check_id, check_type, target, timestamp, scheduled_at, lag_ms, status, reason, message, duration_ms, attempts, tags, phases, metrics, details)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertAlert = connection.statement(
      `INSERT INTO alerts (id, alert_id, rule_id, check_id, severity, state, previous_state, reason, message, alert_values, tags, since, at, link, cause)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    );
    const insertSnapshot = connection.statement(
      `INSERT INTO snapshots (series_id, interval_start, interval_end, count, ok_count, histogram, digest)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (series_id, interval_start, interval_end, digest) DO NOTHING`,
    );
    const rejected: RejectedRecord[] = [];
    const newSeries = new Map<string, PendingSeries>();
    const seriesOf = (record: SnapshotRecord, tags: string): PendingSeries => {
      const known = newSeries.get(record.series) ?? seriesCache.get(record.series);
      let current =
        known ?? (connection.statement('SELECT id, unit, tags FROM series WHERE key = ?').get(record.series) as PendingSeries | undefined);
      if (!current) {
        const info = connection.statement('INSERT INTO series (key, check_id, metric, unit, tags) VALUES (?, ?, ?, ?, ?)').run(record.series, record.checkId, record.metric, record.unit, tags);
        current = { id: Number(info.lastInsertRowid), unit: record.unit, tags };
      } else if (current.tags !== tags && current.unit === record.unit) {
        // A series keeps the tags of its latest snapshot (tags change with the config).
        connection.statement('UPDATE series SET tags = ? WHERE id = ?').run(tags, current.id);
        current = { ...current, tags };
      }
      if (current !== known) newSeries.set(record.series, current);
      return current;
    };
    const late: NewSnapshot[] = [];
    for (const row of results) insertResult.run(row);
    for (const { index, snapshot } of snapshots) {
      const { record } = snapshot;
      const series = seriesOf(record, snapshot.tags);
      if (series.unit !== record.unit) {
        // Histograms of different units cannot be merged; the series' first unit wins.
        rejected.push({ index, reason: `snapshot ${record.series}: unit ${record.unit} differs from the stored series unit ${series.unit}` });
        continue;
      }
      const info = insertSnapshot.run(series.id, record.start, record.end, record.count, record.okCount, record.histogram, snapshot.digest);
      if (info.changes === 1) late.push({ seriesId: series.id, start: record.start, count: record.count, okCount: record.okCount, histogram: record.histogram });
    }
    for (const row of alerts) insertAlert.run(row);
    applyLateSnapshots(connection, late);
    return { rejected, newSeries };
  };

  const runMaintenance = (): Promise<MaintenanceOutcome> => {
    if (maintenancePromise) return maintenancePromise;
    const running = (async (): Promise<MaintenanceOutcome> => {
      const connection = ensureOpen();
      const now = clock.now();
      let rolledUpBuckets = 0;
      let rollupRows = 0;
      for (;;) {
        const step = rollUp(connection, now, settings.rollupDelay, 12);
        rolledUpBuckets += step.buckets;
        rollupRows += step.rows;
        if (step.caughtUp || shutdownPromise) break;
        await yieldToEventLoop();
      }
      const deleted: Record<keyof PruneOutcome, number> = { results: 0, snapshots: 0, rollups5m: 0, rollups1h: 0, rollups1d: 0, alerts: 0 };
      for (const _step of pruneSteps(connection, now, settings.retention, deleted)) {
        // Give the monitor's event loop back between steps; stop early when shutting down.
        await yieldToEventLoop();
        if (shutdownPromise) break;
      }
      return { rolledUpBuckets, rollupRows, deleted };
    })();
    maintenancePromise = running;
    running
      .finally(() => {
        if (maintenancePromise === running) maintenancePromise = undefined;
      })
      .catch(() => undefined);
    return running;
  };

  const armMaintenance = (delayMs: number): void => {
    if (shutdownPromise || maintenanceTimer !== undefined) return;
    const handle = clock.setTimeout(() => {
      maintenanceTimer = undefined;
      runMaintenance()
        .catch((error: unknown) => logger.warn('cleanup job failed; will retry at the next interval', { error: describeError(error) }))
        .finally(() => armMaintenance(settings.cleanupInterval));
    }, delayMs);
    // The cleanup job must never keep the process alive.
    (handle as { unref?: () => void } | null | undefined)?.unref?.();
    maintenanceTimer = handle;
  };

  const sink: SqliteSink = {
    specificationVersion: 'v1',
    meta,
    maxBatchSize: settings.maxBatchSize,
    accepts: settings.accepts,
    path: file,
    async start() {
      ensureOpen();
    },
    async write(batch: readonly SinkRecord[], writeOptions): Promise<WriteResult> {
      if (shutdownPromise) throw new VigilError('VIGIL_ERR_SHUT_DOWN', '[sinks-sqlite] write after shutdown');
      if (writeOptions.signal.aborted) return { kind: 'retryable', error: writeOptions.signal.reason };
      let connection: StoreConnection;
      try {
        connection = ensureOpen();
      } catch (error) {
        return { kind: 'retryable', error };
      }
      const rejected: RejectedRecord[] = [];
      const results: ResultRow[] = [];
      const snapshots: { index: number; snapshot: ValidSnapshot }[] = [];
      const alerts: AlertRow[] = [];
      for (let index = 0; index < batch.length; index += 1) {
        const record = batch[index] as SinkRecord;
        // Records come from plugins and spools: never trust the shape.
        const type: unknown = (record as { type?: unknown } | null | undefined)?.type;
        if (type !== 'result' && type !== 'snapshot' && type !== 'alert') {
          rejected.push({ index, reason: `unknown record type ${JSON.stringify(type)}` });
          continue;
        }
        // Types this sink does not store are acknowledged and skipped, as the processor would.
        if (!accepted.has(type)) continue;
        if (record.type === 'result') {
          const row = resultRow(record as ResultRecord);
          if (typeof row === 'string') rejected.push({ index, reason: row });
          else results.push(row);
        } else if (record.type === 'snapshot') {
          const snapshot = validSnapshot(record as SnapshotRecord);
          if (typeof snapshot === 'string') rejected.push({ index, reason: snapshot });
          else snapshots.push({ index, snapshot });
        } else {
          const row = alertRow(record as AlertRecord);
          if (typeof row === 'string') rejected.push({ index, reason: row });
          else alerts.push(row);
        }
      }
      try {
        const outcome = connection.database.transaction(() => insertBatch(connection, results, snapshots, alerts)).immediate();
        for (const [key, series] of outcome.newSeries) seriesCache.set(key, series);
        rejected.push(...outcome.rejected);
      } catch (error) {
        return { kind: 'retryable', error: new VigilError('VIGIL_ERR_SINK_WRITE', `[sinks-sqlite] writing ${batch.length} records to ${file} failed: ${describeError(error)}`, { cause: error }) };
      }
      rollUpAfterWrite(connection);
      if (rejected.length === 0) return { kind: 'success' };
      const rejectedIndexes = new Set(rejected.map((rejection) => rejection.index));
      return { kind: 'partial', accepted: batch.map((_record, index) => index).filter((index) => !rejectedIndexes.has(index)), rejected };
    },
    async flush() {
      // Every write commits before it resolves: nothing is buffered here.
    },
    queries() {
      ensureOpen();
      return queries as SqliteQueries;
    },
    runMaintenance,
    shutdown() {
      shutdownPromise ??= (async () => {
        if (maintenanceTimer !== undefined) clock.clearTimeout(maintenanceTimer);
        maintenanceTimer = undefined;
        await maintenancePromise?.catch(() => undefined);
        const connection = store;
        store = undefined;
        queries = undefined;
        if (!connection) return;
        try {
          // Closing the last connection checkpoints the WAL into the database file.
          connection.database.pragma('optimize');
          connection.database.close();
        } catch (error) {
          logger.warn('closing the database failed', { file, error: describeError(error) });
        }
      })();
      return shutdownPromise;
    },
  };
  return sink;
}

/** Registrable definition of the SQLite sink (`type: sqlite`). */
export const sqliteSinkPlugin: PluginDefinition<typeof sqliteSinkOptionsSchema, Sink> = {
  meta,
  optionsSchema: sqliteSinkOptionsSchema,
  create: (options) => createSqliteSink(options),
  description: 'The embedded default store: SQLite with raw results, HDR snapshot rollups, alert history and a query API.',
};
