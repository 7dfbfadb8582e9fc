import { mergeSnapshots } from '@vigil/core';
import { type RollupResolution, type SnapshotRow, type StoreConnection, alignDown, finerResolution, resolutionMs, rollupResolutions } from './store-core.js';

/** Counts and histogram of several rows merged (exact: same-layout HDR histograms add bucket by bucket). */
export interface MergedCounts {
  readonly count: number;
  readonly okCount: number;
  readonly histogram: string;
}

/** Merges rows' counts and histograms; one row is returned as stored (no re-encoding). */
export function mergeRows(rows: readonly Pick<SnapshotRow, 'count' | 'ok_count' | 'histogram'>[]): MergedCounts {
  let count = 0;
  let okCount = 0;
  for (const row of rows) {
    count += row.count;
    okCount += row.ok_count;
  }
  const histogram = rows.length === 1 ? (rows[0] as SnapshotRow).histogram : mergeSnapshots(rows.map((row) => row.histogram));
  return { count, okCount, histogram };
}

function groupBySeries(rows: readonly SnapshotRow[]): Map<number, SnapshotRow[]> {
  const groups = new Map<number, SnapshotRow[]>();
  for (const row of rows) {
    const group = groups.get(row.series_id);
    if (group) group.push(row);
    else groups.set(row.series_id, [row]);
  }
  return groups;
}

/** Recomputes one bucket of one resolution for every series from the finer rows (a replace, never an add). */
function rollUpBucket(store: StoreConnection, resolution: RollupResolution, bucketStart: number): number {
  const rows = store.snapshotRows(finerResolution[resolution], bucketStart, bucketStart + resolutionMs[resolution]);
  const groups = groupBySeries(rows);
  for (const [seriesId, group] of groups) {
    const merged = mergeRows(group);
    store.upsertRollup(resolution, seriesId, bucketStart, merged.count, merged.okCount, merged.histogram);
  }
  return groups.size;
}

export interface RollUpOutcome {
  /** Buckets (of any resolution) rolled up by this call. */
  readonly buckets: number;
  /** Rollup rows written. */
  readonly rows: number;
  /** False when `maxBuckets` stopped it before every complete bucket was rolled up. */
  readonly caughtUp: boolean;
}

/**
 * Rolls up every complete bucket not rolled up yet: a bucket is complete once `delayMs` has
 * passed after its end. Each bucket is one transaction that also advances the resolution's
 * `rolled_until` watermark, so a crash or restart resumes exactly where it stopped and a bucket
 * is never counted twice (rows are recomputed from the finer resolution, not added to).
 * A coarser bucket waits until every finer bucket in it is rolled up.
 */
export function rollUp(store: StoreConnection, now: number, delayMs: number, maxBuckets = Number.POSITIVE_INFINITY): RollUpOutcome {
  let buckets = 0;
  let rows = 0;
  for (const resolution of rollupResolutions) {
    const size = resolutionMs[resolution];
    const finer = finerResolution[resolution];
    let target = alignDown(now - delayMs, size);
    if (finer !== 'raw') {
      const finerDone = store.readState(`rolled_until:${finer}`);
      if (finerDone === undefined) continue;
      target = Math.min(target, alignDown(finerDone, size));
    }
    const watermark = `rolled_until:${resolution}` as const;
    let from = store.readState(watermark);
    if (from === undefined) {
      const first = store.firstStart(finer, Number.NEGATIVE_INFINITY);
      from = first === undefined ? target : Math.min(alignDown(first, size), target);
    }
    while (from < target) {
      if (buckets >= maxBuckets) return { buckets, rows, caughtUp: false };
      // Skip empty stretches (a monitor that was off for a week) in one step.
      const next = store.firstStart(finer, from);
      const bucketStart = next === undefined ? target : Math.min(alignDown(next, size), target);
      const bucketEnd = bucketStart + size;
      store.database
        .transaction(() => {
          if (bucketStart < target) rows += rollUpBucket(store, resolution, bucketStart);
          store.writeState(watermark, bucketStart < target ? bucketEnd : target);
        })
        .immediate();
      if (bucketStart < target) buckets += 1;
      from = bucketStart < target ? bucketEnd : target;
    }
    if (store.readState(watermark) === undefined) store.writeState(watermark, target);
  }
  return { buckets, rows, caughtUp: true };
}

/** True when `rollUp` has complete buckets to roll up at `now`. Cheap: a few indexed reads. */
export function rollUpDue(store: StoreConnection, now: number, delayMs: number): boolean {
  for (const resolution of rollupResolutions) {
    const watermark = store.readState(`rolled_until:${resolution}`);
    const target = alignDown(now - delayMs, resolutionMs[resolution]);
    if (watermark === undefined || watermark < target) return true;
  }
  return false;
}

/** A newly stored snapshot, as the late-arrival path needs it. */
export interface NewSnapshot {
  readonly seriesId: number;
  readonly start: number;
  readonly count: number;
  readonly okCount: number;
  readonly histogram: string;
}

interface Delta {
  readonly seriesId: number;
  readonly bucketStart: number;
  readonly rows: SnapshotRow[];
}

/**
 * Brings rollups up to date with snapshots that arrived after their bucket was rolled up (a
 * restart within a minute, a replayed spool, a slow flush). Runs inside the write transaction.
 * Where the finer rows of a bucket are all still stored, the bucket is recomputed from them;
 * where retention already removed some, the new snapshots are merged into the stored row.
 */
export function applyLateSnapshots(store: StoreConnection, snapshots: readonly NewSnapshot[]): number {
  let current: SnapshotRow[] = snapshots.map((snapshot) => ({
    series_id: snapshot.seriesId,
    start: snapshot.start,
    count: snapshot.count,
    ok_count: snapshot.okCount,
    histogram: snapshot.histogram,
  }));
  let updated = 0;
  for (const resolution of rollupResolutions) {
    if (current.length === 0) break;
    const rolledUntil = store.readState(`rolled_until:${resolution}`);
    if (rolledUntil === undefined) break;
    const size = resolutionMs[resolution];
    const finer = finerResolution[resolution];
    const finerPrunedBefore = store.readState(`pruned_before:${finer}`);
    const deltas = new Map<string, Delta>();
    for (const row of current) {
      const bucketStart = alignDown(row.start, size);
      // Not rolled up yet: the regular rollup will include it (and so every coarser bucket).
      if (bucketStart + size > rolledUntil) continue;
      const key = `${row.series_id}:${bucketStart}`;
      const delta = deltas.get(key);
      if (delta) delta.rows.push(row);
      else deltas.set(key, { seriesId: row.series_id, bucketStart, rows: [row] });
    }
    const next: SnapshotRow[] = [];
    for (const delta of deltas.values()) {
      let merged: MergedCounts;
      if (finerPrunedBefore === undefined || delta.bucketStart >= finerPrunedBefore) {
        merged = mergeRows(store.snapshotRows(finer, delta.bucketStart, delta.bucketStart + size, delta.seriesId));
      } else {
        const existing = store.rollupRow(resolution, delta.seriesId, delta.bucketStart);
        merged = mergeRows(existing ? [existing, ...delta.rows] : delta.rows);
      }
      store.upsertRollup(resolution, delta.seriesId, delta.bucketStart, merged.count, merged.okCount, merged.histogram);
      updated += 1;
      const combined = mergeRows(delta.rows);
      next.push({ series_id: delta.seriesId, start: delta.bucketStart, count: combined.count, ok_count: combined.okCount, histogram: combined.histogram });
    }
    current = next;
  }
  return updated;
}
