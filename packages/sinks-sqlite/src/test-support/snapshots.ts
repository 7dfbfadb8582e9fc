import { mergeSnapshots, statsFromSnapshot } from '@vigil/core';
import type { SnapshotRecord } from '@vigil/core';
import { sampleSnapshotRecord } from '@vigil/test-utils';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Deterministic latencies (ms) for minute `index` of a series: spread out, with a slow tail. */
export function minuteValues(index: number, seed = 0): number[] {
  return [1 + ((index + seed) % 7), 1 + (((index + seed) * 13) % 50), 100 + ((index * 31 + seed) % 900) / 10];
}

/**
 * The 1-minute snapshot an engine would emit for minute `index` after `origin`: three successful
 * runs with values, plus one failed run (count 4, okCount 3).
 */
export function minuteSnapshot(origin: number, index: number, series = 'api', seed = 0): SnapshotRecord {
  const start = origin + index * MINUTE;
  return sampleSnapshotRecord(minuteValues(index, seed), { series, checkId: series, start, end: start + MINUTE, count: 4, okCount: 3 });
}

/** Snapshots of consecutive minutes [first, first + count) for each series. */
export function minuteSnapshots(origin: number, first: number, count: number, series: readonly string[] = ['api']): SnapshotRecord[] {
  const records: SnapshotRecord[] = [];
  for (let index = first; index < first + count; index += 1) {
    for (const [position, name] of series.entries()) records.push(minuteSnapshot(origin, index, name, position * 17));
  }
  return records;
}

/** Snapshots at the given minute indexes for each series (sparse spans keep long tests fast). */
export function snapshotsAt(origin: number, indexes: Iterable<number>, series: readonly string[] = ['api']): SnapshotRecord[] {
  const records: SnapshotRecord[] = [];
  for (const index of indexes) {
    for (const [position, name] of series.entries()) records.push(minuteSnapshot(origin, index, name, position * 17));
  }
  return records;
}

/** Minute indexes of [from, to), every `step` minutes. */
export function minutes(from: number, to: number, step = 1): number[] {
  const indexes: number[] = [];
  for (let index = from; index < to; index += step) indexes.push(index);
  return indexes;
}

/** The statistics of merging `records` directly: what any window query over them must equal. */
export function expectedStats(records: readonly SnapshotRecord[]) {
  return statsFromSnapshot(mergeSnapshots(records.map((record) => record.histogram)), { scale: 1000 });
}
