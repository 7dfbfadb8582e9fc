import type { SqliteRetention } from './options.js';
import { type Resolution, type StoreConnection, alignDown, resolutionMs } from './store-core.js';

/** Rows deleted per table by one cleanup. */
export interface PruneOutcome {
  readonly results: number;
  readonly snapshots: number;
  readonly rollups5m: number;
  readonly rollups1h: number;
  readonly rollups1d: number;
  readonly alerts: number;
}

interface PruneTask {
  readonly name: keyof PruneOutcome;
  readonly level: Resolution | 'alerts';
  /** Deletes rows older than `before`, within [from, before) so one step stays small. */
  readonly oldest: () => number | undefined;
  readonly remove: (before: number) => number;
  /** Width of one deletion step, so a large backlog never blocks the event loop for long. */
  readonly stepMs: number;
}

/**
 * The time below which each table may be pruned at `now`. Horizons sit on the next coarser
 * bucket boundary, so coarse rows cover exactly what fine rows no longer do, and never pass
 * the coarser resolution's `rolled_until` (a row is only removed once it is rolled up).
 */
export function pruneHorizons(store: StoreConnection, now: number, retention: SqliteRetention): Record<Resolution | 'alerts', number | undefined> {
  const limited = (value: number, watermark: number | undefined): number | undefined => (watermark === undefined ? undefined : Math.min(value, watermark));
  return {
    raw: limited(alignDown(now - retention.raw, resolutionMs['5m']), store.readState('rolled_until:5m')),
    '5m': limited(alignDown(now - retention.fiveMinutes, resolutionMs['1h']), store.readState('rolled_until:1h')),
    '1h': limited(alignDown(now - retention.hourly, resolutionMs['1d']), store.readState('rolled_until:1d')),
    '1d': alignDown(now - retention.daily, resolutionMs['1d']),
    alerts: now - retention.alerts,
  };
}

function tasks(store: StoreConnection): PruneTask[] {
  const minOf = (sql: string, ...parameters: unknown[]) => (): number | undefined => (store.statement(sql).get(...parameters) as { oldest: number | null }).oldest ?? undefined;
  const rollupTask = (name: 'rollups5m' | 'rollups1h' | 'rollups1d', level: '5m' | '1h' | '1d', stepMs: number): PruneTask => ({
    name,
    level,
    stepMs,
    oldest: minOf('SELECT min(bucket_start) AS oldest FROM rollups WHERE resolution = ?', level),
    remove: (before) => store.statement('DELETE FROM rollups WHERE resolution = ? AND bucket_start < ?').run(level, before).changes,
  });
  return [
    {
      name: 'results',
      level: 'raw',
      stepMs: 600_000,
      oldest: minOf('SELECT min(timestamp) AS oldest FROM results'),
      remove: (before) => store.statement('DELETE FROM results WHERE timestamp < ?').run(before).changes,
    },
    {
      name: 'snapshots',
      level: 'raw',
      stepMs: 3_600_000,
      oldest: minOf('SELECT min(interval_start) AS oldest FROM snapshots'),
      remove: (before) => store.statement('DELETE FROM snapshots WHERE interval_start < ?').run(before).changes,
    },
    rollupTask('rollups5m', '5m', 86_400_000),
    rollupTask('rollups1h', '1h', 30 * 86_400_000),
    rollupTask('rollups1d', '1d', 365 * 86_400_000),
    {
      name: 'alerts',
      level: 'alerts',
      stepMs: 30 * 86_400_000,
      oldest: minOf('SELECT min(at) AS oldest FROM alerts'),
      remove: (before) => store.statement('DELETE FROM alerts WHERE at < ?').run(before).changes,
    },
  ];
}

/**
 * Deletes expired rows, one small transaction per step; yields after each step so the caller can
 * give the event loop back. The `pruned_before` watermark is raised before anything is deleted:
 * from then on rollups treat older fine rows as possibly gone.
 */
export function* pruneSteps(store: StoreConnection, now: number, retention: SqliteRetention, into: Record<keyof PruneOutcome, number>): Generator<void, void, void> {
  const horizons = pruneHorizons(store, now, retention);
  for (const task of tasks(store)) {
    const horizon = horizons[task.level];
    if (horizon === undefined) continue;
    const stateName = `pruned_before:${task.level}` as const;
    const previous = store.readState(stateName);
    if (previous === undefined || previous < horizon) store.writeState(stateName, horizon);
    for (;;) {
      const oldest = task.oldest();
      if (oldest === undefined || oldest >= horizon) break;
      const before = Math.min(horizon, oldest + task.stepMs);
      into[task.name] += store.database.transaction(() => task.remove(before)).immediate();
      yield;
    }
  }
}
