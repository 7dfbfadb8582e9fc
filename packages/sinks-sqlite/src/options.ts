import { z } from 'zod';
import { parseDuration } from '@vigil/core';

/** A duration (`48h`, `14d`, `500ms` or milliseconds), parsed to milliseconds; `positive` rejects 0. */
function durationMs(options: { readonly positive: boolean }) {
  return z.union([z.number().nonnegative(), z.string().min(1)]).transform((value, context) => {
    let parsed: number;
    try {
      parsed = parseDuration(value);
    } catch {
      context.addIssue({ code: 'custom', message: 'expected a duration like 500ms, 30s, 48h, 14d or a number of milliseconds' });
      return z.NEVER;
    }
    if (options.positive && parsed <= 0) {
      context.addIssue({ code: 'custom', message: 'expected a positive duration' });
      return z.NEVER;
    }
    return parsed;
  });
}

/** How long each kind of row is kept. Coarser resolutions must be kept at least as long as finer ones. */
export const sqliteRetentionSchema = z
  .strictObject({
    /** Raw results and the 1-minute snapshots as they arrived. */
    raw: durationMs({ positive: true }).prefault('48h'),
    /** Snapshots rolled up per 5 minutes. */
    fiveMinutes: durationMs({ positive: true }).prefault('14d'),
    /** Snapshots rolled up per hour. */
    hourly: durationMs({ positive: true }).prefault('90d'),
    /** Snapshots rolled up per UTC day. */
    daily: durationMs({ positive: true }).prefault('730d'),
    /** Alert history (and so incidents). */
    alerts: durationMs({ positive: true }).prefault('730d'),
  })
  .superRefine((retention, context) => {
    const order = ['raw', 'fiveMinutes', 'hourly', 'daily'] as const;
    for (let index = 1; index < order.length; index += 1) {
      const finer = order[index - 1] as (typeof order)[number];
      const coarser = order[index] as (typeof order)[number];
      // Queries fall back from coarse to fine rows; a coarse level that expires first would leave holes.
      if (retention[coarser] < retention[finer]) {
        context.addIssue({ code: 'custom', path: [coarser], message: `must be at least retention.${finer} (${retention[finer]} ms), got ${retention[coarser]} ms` });
      }
    }
  });

export const sqliteSinkOptionsSchema = z.strictObject({
  /** The database file; created (mode 0600, directory 0700) when missing. */
  path: z.string().min(1).default('.vigil/vigil.db'),
  /** Record types to store; default all three. */
  accepts: z.array(z.enum(['result', 'snapshot', 'alert'])).min(1).optional(),
  retention: sqliteRetentionSchema.prefault({}),
  /** How often the cleanup job runs (rollups, then retention). */
  cleanupInterval: durationMs({ positive: true }).prefault('1h'),
  /**
   * How long after a rollup bucket ends before it is rolled up. Snapshots arriving later still
   * count: their bucket is recomputed. The default leaves room for the processor's flush delay.
   */
  rollupDelay: durationMs({ positive: false }).prefault('2m'),
  /** How long a write waits for another connection's lock (SQLite busy_timeout). */
  busyTimeout: durationMs({ positive: false }).prefault('5s'),
  /**
   * SQLite `synchronous`. With WAL, `normal` survives a killed process (committed batches stay),
   * and may lose the last commits on power loss; `full` survives that too, at a cost per batch.
   */
  synchronous: z.enum(['off', 'normal', 'full', 'extra']).default('normal'),
  /** The largest batch the core processor hands to one write (one transaction). */
  maxBatchSize: z.number().int().min(1).max(100_000).default(5_000),
});

export type SqliteSinkOptions = z.input<typeof sqliteSinkOptionsSchema>;
export type ParsedSqliteSinkOptions = z.output<typeof sqliteSinkOptionsSchema>;
export type SqliteRetention = z.output<typeof sqliteRetentionSchema>;
