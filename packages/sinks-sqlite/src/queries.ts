import { VigilError, decodeSnapshot, parseDuration, snapshotValueScale, statsFromSnapshot } from '@vigil/core';
import type { AlertSeverity, Clock, DurationInput, ReasonCode, ResultRecord, Tags } from '@vigil/core';
import { resultFromRow } from './records.js';
import type { StoredResultRow } from './records.js';
import { mergeRows } from './rollup.js';
import { type Resolution, type RollupResolution, type SnapshotRow, type StoreConnection, alignDown, resolutionMs } from './store-core.js';

/** A query window: a duration back from now (`'24h'`, `86_400_000`), or explicit epoch-ms bounds `[from, to)`. */
export type QueryWindow = DurationInput | { readonly from: number; readonly to?: number };

/** Stored rows a query merged, per resolution (`raw` = snapshots as they arrived, normally 1 minute). */
export type ResolutionCounts = Readonly<Record<Resolution, number>>;

export interface UptimeResult {
  readonly series: string;
  readonly from: number;
  readonly to: number;
  /** Runs in the window. */
  readonly total: number;
  /** Runs whose status was `up` or `degraded` (the runtime's definition of ok). */
  readonly ok: number;
  /** `ok / total`; NaN without runs. */
  readonly ratio: number;
  /** Runs counted from raw result rows and from snapshot counts (beyond raw retention). */
  readonly fromResults: number;
  readonly fromSnapshots: number;
}

export interface PercentilesResult {
  readonly series: string;
  /** The series' reporting unit (`ms` for durations); every value below is in it. */
  readonly unit: string | undefined;
  readonly from: number;
  readonly to: number;
  /** Latency values in the merged histogram (successful runs for duration series). */
  readonly count: number;
  /** Runs and successful runs the merged snapshots counted. */
  readonly runs: number;
  readonly okRuns: number;
  /** Value at each requested percentile, keyed by the percentile as written (`'99.9'`); NaN without values. */
  readonly percentiles: Readonly<Record<string, number>>;
  readonly min: number;
  readonly max: number;
  /** From bucket midpoints, as every HdrHistogram implementation computes them. */
  readonly mean: number;
  readonly stddev: number;
  /** The merged histogram (HdrHistogram V2 compressed base64), for further analysis; undefined without rows. */
  readonly histogram: string | undefined;
  readonly resolutions: ResolutionCounts;
}

/** One alert episode: from the event that made it fire to the one that resolved it. */
export interface Incident {
  readonly alertId: string;
  readonly ruleId: string;
  readonly checkId: string;
  /** The highest severity seen during the episode. */
  readonly severity: AlertSeverity;
  /** Reason and message of the event that opened the episode. */
  readonly reason: ReasonCode;
  readonly message: string;
  readonly startedAt: number;
  /** Undefined while the episode is still open. */
  readonly resolvedAt: number | undefined;
  /** Until `resolvedAt`, or until the end of the window for an open episode. */
  readonly durationMs: number;
  /** Alert events (transitions, repeats, escalations) in the episode that the window covers. */
  readonly events: number;
}

export interface StoredSeries {
  readonly key: string;
  readonly checkId: string;
  readonly metric: string;
  readonly unit: string;
  readonly tags: Tags;
}

/** The store's query API; `vigil report` is built on it. */
export interface SqliteQueries {
  /** Share of ok runs of a check: raw results where kept, snapshot counts beyond raw retention. */
  uptime(series: string, window: QueryWindow): UptimeResult;
  /**
   * Percentiles over any window from the stored HDR snapshots, merged exactly: the coarsest
   * rollups that fit inside the window, finer rows at its edges.
   */
  percentiles(series: string, window: QueryWindow, percentiles?: readonly number[]): PercentilesResult;
  /** The newest `count` results of a check, newest first. */
  latest(series: string, count: number): ResultRecord[];
  /** Alert episodes that overlap the window, oldest first. */
  incidents(window: QueryWindow, options?: { readonly checkId?: string }): Incident[];
  /** Ids of every check with stored results or duration snapshots, sorted. */
  checks(): string[];
  /** Every stored snapshot series. */
  series(): StoredSeries[];
}

export const defaultPercentiles: readonly number[] = [50, 95, 99, 99.9];

const severityRank: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };

function queryError(message: string): VigilError {
  return new VigilError('VIGIL_ERR_CONFIG', `[sinks-sqlite] ${message}`);
}

/** Resolves a window against `now` into epoch-ms bounds [from, to). */
export function resolveWindow(window: QueryWindow, now: number): { from: number; to: number } {
  if (typeof window === 'object' && window !== null) {
    const to = window.to ?? now;
    if (!Number.isFinite(window.from) || !Number.isFinite(to) || to < window.from) throw queryError(`window: expected { from, to } epoch milliseconds with from <= to, got ${JSON.stringify(window)}`);
    return { from: window.from, to };
  }
  let length: number;
  try {
    length = parseDuration(window, 'window');
  } catch {
    throw queryError(`window: expected a duration like 24h or { from, to }, got ${JSON.stringify(window)}`);
  }
  return { from: now - length, to: now };
}

const floatView = new Float64Array(1);
const bitsView = new BigInt64Array(floatView.buffer);

/** The next double below a positive value, so `p * total / 100` never rounds up into the next rank. */
function justBelow(value: number): number {
  if (value <= 0) return 0;
  floatView[0] = value;
  bitsView[0] = (bitsView[0] as bigint) - 1n;
  return floatView[0] as number;
}

/** Values at the given percentiles (0..100) of a decoded histogram, as HdrHistogram defines them. */
function valuesAtPercentiles(histogram: string, percentiles: readonly number[], scale: number): number[] {
  const decoded = decodeSnapshot(histogram);
  return percentiles.map((percentile) => {
    if (decoded.totalCount === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((Math.min(justBelow(percentile), 100) * decoded.totalCount) / 100));
    let seen = 0;
    for (const bucket of decoded.buckets) {
      seen += bucket.count;
      if (seen >= rank) return (percentile === 0 ? bucket.lowestValue : bucket.highestValue) / scale;
    }
    return (decoded.buckets.at(-1)?.highestValue ?? Number.NaN) / scale;
  });
}

interface StoredAlertRow {
  readonly alert_id: string;
  readonly rule_id: string;
  readonly check_id: string;
  readonly severity: AlertSeverity;
  readonly state: string;
  readonly reason: ReasonCode;
  readonly message: string;
  readonly at: number;
}

const openStates = new Set(['firing', 'flapping']);
const closingStates = new Set(['resolved', 'ok']);

/** Builds the query API over one connection. `clock` supplies "now" for relative windows. */
export function createQueries(store: StoreConnection, clock: Pick<Clock, 'now'>): SqliteQueries {
  const seriesRow = (key: string): { id: number; unit: string } | undefined =>
    store.statement('SELECT id, unit FROM series WHERE key = ?').get(key) as { id: number; unit: string } | undefined;

  /**
   * Snapshot rows covering [from, to): the coarsest rolled-up buckets that lie wholly inside the
   * window and are still kept, then finer rows for the edges, down to the raw snapshots.
   */
  const coveringRows = (seriesId: number, from: number, to: number): { rows: SnapshotRow[]; resolutions: Record<Resolution, number> } => {
    const levels: RollupResolution[] = ['1d', '1h', '5m'];
    const rolledUntil = Object.fromEntries(levels.map((level) => [level, store.readState(`rolled_until:${level}`)])) as Record<RollupResolution, number | undefined>;
    const prunedBefore = (level: Resolution): number | undefined => store.readState(`pruned_before:${level}`);
    const rows: SnapshotRow[] = [];
    const resolutions: Record<Resolution, number> = { raw: 0, '5m': 0, '1h': 0, '1d': 0 };
    const collect = (levelIndex: number, start: number, end: number): void => {
      if (start >= end) return;
      const level = levels[levelIndex];
      if (level === undefined) {
        const kept = Math.max(start, prunedBefore('raw') ?? start);
        if (kept >= end) return;
        const found = store.snapshotRows('raw', kept, end, seriesId);
        resolutions.raw += found.length;
        rows.push(...found);
        return;
      }
      const size = resolutionMs[level];
      const done = rolledUntil[level];
      const low = Math.ceil(Math.max(start, prunedBefore(level) ?? start) / size) * size;
      const high = done === undefined ? low : alignDown(Math.min(end, done), size);
      if (low >= high) {
        collect(levelIndex + 1, start, end);
        return;
      }
      collect(levelIndex + 1, start, low);
      const found = store.snapshotRows(level, low, high, seriesId);
      resolutions[level] += found.length;
      rows.push(...found);
      collect(levelIndex + 1, high, end);
    };
    collect(0, from, to);
    return { rows, resolutions };
  };

  const snapshotCounts = (series: string, from: number, to: number): { total: number; ok: number } => {
    const found = seriesRow(series);
    if (!found || from >= to) return { total: 0, ok: 0 };
    let total = 0;
    let ok = 0;
    for (const row of coveringRows(found.id, from, to).rows) {
      total += row.count;
      ok += row.ok_count;
    }
    return { total, ok };
  };

  return {
    uptime(series, window) {
      const { from, to } = resolveWindow(window, clock.now());
      const rawPrunedBefore = store.readState('pruned_before:raw');
      const rawFrom = Math.min(to, Math.max(from, rawPrunedBefore ?? from));
      let fromResults = { total: 0, ok: 0 };
      if (rawFrom < to) {
        const row = store
          .statement("SELECT count(*) AS total, coalesce(sum(status IN ('up', 'degraded')), 0) AS ok FROM results WHERE check_id = ? AND timestamp >= ? AND timestamp < ?")
          .get(series, rawFrom, to) as { total: number; ok: number };
        fromResults = row;
      }
      // Older than raw retention: the snapshot counts. A store that keeps no results (accepts
      // without 'result') answers from snapshots throughout.
      const fromSnapshots = snapshotCounts(series, from, fromResults.total > 0 ? rawFrom : to);
      const total = fromResults.total + fromSnapshots.total;
      const ok = fromResults.ok + fromSnapshots.ok;
      return { series, from, to, total, ok, ratio: total === 0 ? Number.NaN : ok / total, fromResults: fromResults.total, fromSnapshots: fromSnapshots.total };
    },

    percentiles(series, window, percentiles = defaultPercentiles) {
      if (!Array.isArray(percentiles) || percentiles.length === 0 || !percentiles.every((value) => typeof value === 'number' && value >= 0 && value <= 100)) {
        throw queryError(`percentiles: expected a non-empty list of numbers from 0 to 100, got ${JSON.stringify(percentiles)}`);
      }
      const { from, to } = resolveWindow(window, clock.now());
      const found = seriesRow(series);
      const { rows, resolutions } = found ? coveringRows(found.id, from, to) : { rows: [], resolutions: { raw: 0, '5m': 0, '1h': 0, '1d': 0 } };
      const merged = rows.length > 0 ? mergeRows(rows) : undefined;
      const scale = snapshotValueScale(found?.unit ?? 'ms');
      const values = merged ? valuesAtPercentiles(merged.histogram, percentiles, scale) : percentiles.map(() => Number.NaN);
      const stats = merged ? statsFromSnapshot(merged.histogram, { scale }) : undefined;
      return {
        series,
        unit: found?.unit,
        from,
        to,
        count: stats?.count ?? 0,
        runs: merged?.count ?? 0,
        okRuns: merged?.okCount ?? 0,
        percentiles: Object.fromEntries(percentiles.map((percentile, index) => [String(percentile), values[index] as number])),
        min: stats?.min ?? Number.NaN,
        max: stats?.max ?? Number.NaN,
        mean: stats?.mean ?? Number.NaN,
        stddev: stats?.stddev ?? Number.NaN,
        histogram: merged?.histogram,
        resolutions,
      };
    },

    latest(series, count) {
      if (!Number.isSafeInteger(count) || count < 1) throw queryError(`latest: count must be a positive integer, got ${String(count)}`);
      const rows = store.statement('SELECT * FROM results WHERE check_id = ? ORDER BY timestamp DESC, id DESC LIMIT ?').all(series, count) as StoredResultRow[];
      return rows.map(resultFromRow);
    },

    incidents(window, options = {}) {
      const { from, to } = resolveWindow(window, clock.now());
      const checkFilter = options.checkId === undefined ? '' : 'AND check_id = ?';
      const filter = options.checkId === undefined ? [] : [options.checkId];
      // Episodes already open when the window starts: the latest earlier event of each alert fires.
      const openAtStart = store
        .statement(
          `SELECT * FROM (
             SELECT alert_id, rule_id, check_id, severity, state, reason, message, at,
                    row_number() OVER (PARTITION BY alert_id ORDER BY at DESC, rowid DESC) AS position
             FROM alerts WHERE at < ? ${checkFilter}
           ) WHERE position = 1 AND state IN ('firing', 'flapping')`,
        )
        .all(from, ...filter) as StoredAlertRow[];
      const episodeStart = store.statement(
        `SELECT alert_id, rule_id, check_id, severity, state, reason, message, at FROM alerts
         WHERE alert_id = ? AND at < ? AND state IN ('firing', 'flapping')
           AND at > coalesce((SELECT max(at) FROM alerts WHERE alert_id = ? AND at < ? AND state IN ('resolved', 'ok')), -9007199254740991)
         ORDER BY at, rowid LIMIT 1`,
      );
      interface Open {
        first: StoredAlertRow;
        severity: AlertSeverity;
        events: number;
      }
      const open = new Map<string, Open>();
      for (const latest of openAtStart) {
        const first = (episodeStart.get(latest.alert_id, from, latest.alert_id, from) as StoredAlertRow | undefined) ?? latest;
        open.set(latest.alert_id, { first, severity: latest.severity, events: 0 });
      }
      const incidents: Incident[] = [];
      const close = (episode: Open, resolvedAt: number | undefined): void => {
        const end = resolvedAt ?? to;
        incidents.push({
          alertId: episode.first.alert_id,
          ruleId: episode.first.rule_id,
          checkId: episode.first.check_id,
          severity: episode.severity,
          reason: episode.first.reason,
          message: episode.first.message,
          startedAt: episode.first.at,
          resolvedAt,
          durationMs: Math.max(0, end - episode.first.at),
          events: episode.events,
        });
      };
      const events = store
        .statement(`SELECT alert_id, rule_id, check_id, severity, state, reason, message, at FROM alerts WHERE at >= ? AND at < ? ${checkFilter} ORDER BY at, rowid`)
        .all(from, to, ...filter) as StoredAlertRow[];
      for (const event of events) {
        const episode = open.get(event.alert_id);
        if (openStates.has(event.state)) {
          if (episode) {
            episode.events += 1;
            if (severityRank[event.severity] > severityRank[episode.severity]) episode.severity = event.severity;
          } else {
            open.set(event.alert_id, { first: event, severity: event.severity, events: 1 });
          }
        } else if (closingStates.has(event.state) && episode) {
          episode.events += 1;
          open.delete(event.alert_id);
          close(episode, event.at);
        }
      }
      for (const episode of open.values()) close(episode, undefined);
      return incidents.sort((left, right) => left.startedAt - right.startedAt || left.alertId.localeCompare(right.alertId));
    },

    checks() {
      // A skip-scan over the (check_id, ...) index: one lookup per distinct check, not per row.
      const fromResults = store
        .statement(
          `WITH RECURSIVE ids(id) AS (
             SELECT min(check_id) FROM results
             UNION ALL
             SELECT (SELECT min(check_id) FROM results WHERE check_id > ids.id) FROM ids WHERE ids.id IS NOT NULL
           ) SELECT id FROM ids WHERE id IS NOT NULL`,
        )
        .all() as { id: string }[];
      const fromSeries = store.statement("SELECT DISTINCT check_id AS id FROM series WHERE metric = 'duration'").all() as { id: string }[];
      return [...new Set([...fromResults, ...fromSeries].map((row) => row.id))].sort();
    },

    series() {
      const rows = store.statement('SELECT key, check_id, metric, unit, tags FROM series ORDER BY key').all() as {
        key: string;
        check_id: string;
        metric: string;
        unit: string;
        tags: string;
      }[];
      return rows.map((row) => ({ key: row.key, checkId: row.check_id, metric: row.metric, unit: row.unit, tags: JSON.parse(row.tags) as Tags }));
    },
  };
}
