import { Cron } from 'croner';
import type { CronTrigger, EveryTrigger, Trigger } from '../contracts/scheduler.js';
import { VigilError } from '../errors/vigil-error.js';
import { type DurationInput, parseDuration } from '../util/duration.js';

/** Options of {@link every}. */
export interface EveryTriggerOptions {
  /** Up to this much random delay is added to each run (default 0). Must be shorter than the interval. */
  jitter?: DurationInput;
  /** Spread first runs over the interval by a hash of the job id (default true). */
  splay?: boolean;
  /**
   * Path of the config object that holds the trigger fields, e.g. `checks[2]`; errors then name
   * `checks[2].interval` and `checks[2].jitter` and carry it as `VigilError.path`.
   */
  path?: string;
}

/** Options of {@link cron}. */
export interface CronTriggerOptions {
  /** IANA time zone such as `Europe/Berlin`; default the process's. */
  timezone?: string;
  /**
   * Path of the config object that holds the trigger fields, e.g. `checks[2]`; errors then name
   * `checks[2].cron` and `checks[2].timezone` and carry it as `VigilError.path`.
   */
  path?: string;
}

/** Computes cron fire times; one instance is shared by every job on the same expression and zone. */
export interface CronSchedule {
  /** The first fire time strictly after `afterEpochMs`, or undefined when there is none. */
  next(afterEpochMs: number): number | undefined;
}

function fieldPath(basePath: string | undefined, field: string): string {
  return basePath === undefined || basePath === '' ? field : `${basePath}.${field}`;
}

function configError(basePath: string | undefined, field: string, expected: string, got: unknown, cause?: unknown): VigilError {
  const path = fieldPath(basePath, field);
  return new VigilError('VIGIL_ERR_CONFIG', `[core] config: ${path}: expected ${expected}, got ${describeValue(got)}`, {
    ...(basePath === undefined ? {} : { path }),
    ...(cause === undefined ? {} : { cause }),
  });
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return String(value);
  return typeof value;
}

function durationToMs(input: unknown, basePath: string | undefined, field: string, expected: string): number {
  if (typeof input !== 'number' && typeof input !== 'string') throw configError(basePath, field, expected, input);
  try {
    return parseDuration(input, fieldPath(basePath, field));
  } catch (error) {
    throw configError(basePath, field, expected, input, error);
  }
}

/** Checks the numbers of an every-trigger; shared by {@link every} and by `schedule()` for plain objects. */
function checkEveryNumbers(
  intervalMs: number,
  jitterMs: number,
  basePath: string | undefined,
  inputs: { readonly interval: unknown; readonly jitter: unknown },
  fields: { readonly interval: string; readonly jitter: string } = { interval: 'interval', jitter: 'jitter' },
): void {
  if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) {
    throw configError(basePath, fields.interval, 'a positive duration like 500ms, 30s or 5m', inputs.interval);
  }
  // Jitter at or beyond the interval would push a run past its next slot and reorder runs.
  if (!(jitterMs >= 0) || jitterMs >= intervalMs) {
    throw configError(basePath, fields.jitter, `a duration of at least 0 and shorter than the interval (${intervalMs}ms)`, inputs.jitter);
  }
}

/** A trigger that runs every `duration`, spread over the interval by job id and optionally jittered. */
export function every(duration: DurationInput, options: EveryTriggerOptions = {}): EveryTrigger {
  const { path } = options;
  const intervalMs = durationToMs(duration, path, 'interval', 'a positive duration like 500ms, 30s or 5m');
  const jitterMs =
    options.jitter === undefined
      ? 0
      : durationToMs(options.jitter, path, 'jitter', 'a duration of at least 0 and shorter than the interval, like 500ms');
  checkEveryNumbers(intervalMs, jitterMs, path, { interval: duration, jitter: options.jitter });
  if (options.splay !== undefined && typeof options.splay !== 'boolean') {
    throw configError(path, 'splay', 'true or false', options.splay);
  }
  return Object.freeze({ type: 'every', intervalMs, jitterMs, splay: options.splay ?? true });
}

function checkTimezone(timezone: unknown, basePath: string | undefined): void {
  if (timezone === undefined) return;
  const expected = 'an IANA time zone such as "Europe/Berlin" or "UTC"';
  if (typeof timezone !== 'string' || timezone === '') throw configError(basePath, 'timezone', expected, timezone);
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch (error) {
    throw configError(basePath, 'timezone', expected, timezone, error);
  }
}

/** Where a cron trigger came from, so errors name the right fields. */
interface CronFieldNames {
  readonly basePath: string | undefined;
  readonly expression: string;
}

/**
 * Parses a cron expression with croner. Only 5 fields (minute precision) or 6 fields (leading
 * seconds) are accepted, as the contract says; croner nicknames such as `@hourly` work too.
 */
function parseCron(expression: unknown, timezone: unknown, fields: CronFieldNames): CronSchedule {
  const expected = 'a cron expression with 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first)';
  if (typeof expression !== 'string' || expression.trim() === '') throw configError(fields.basePath, fields.expression, expected, expression);
  checkTimezone(timezone, fields.basePath);
  let parsed: Cron;
  try {
    // A Cron without a callback never starts a timer; it is only used to compute times.
    parsed = new Cron(expression, { mode: '5-or-6-parts', paused: true, ...(timezone === undefined ? {} : { timezone: timezone as string }) });
  } catch (error) {
    const reason = error instanceof Error ? ` (${error.message.replace(/^CronPattern: /, '')})` : '';
    throw configError(fields.basePath, fields.expression, `${expected}${reason}`, expression, error);
  }
  return {
    next(afterEpochMs: number): number | undefined {
      const nextRun = parsed.nextRun(new Date(afterEpochMs));
      return nextRun === null ? undefined : nextRun.getTime();
    },
  };
}

/** A trigger that runs at the times a cron expression names, in `timezone` when given. */
export function cron(expression: string, options: CronTriggerOptions = {}): CronTrigger {
  parseCron(expression, options.timezone, { basePath: options.path, expression: 'cron' });
  return Object.freeze(options.timezone === undefined ? { type: 'cron', expression } : { type: 'cron', expression, timezone: options.timezone });
}

/**
 * Parses a cron trigger once for repeated {@link CronSchedule.next} calls. A parsed expression
 * holds tens of kilobytes, so share one per expression and zone rather than one per job.
 */
export function compileCron(trigger: CronTrigger): CronSchedule {
  return parseCron(trigger.expression, trigger.timezone, { basePath: 'trigger', expression: 'expression' });
}

/** The first time `trigger` fires strictly after `afterEpochMs`, or undefined when it never does again. */
export function nextCronTime(trigger: CronTrigger, afterEpochMs: number): number | undefined {
  return compileCron(trigger).next(afterEpochMs);
}

/**
 * Validates a trigger that may not come from {@link every} or {@link cron} (a plain object from
 * config or another package). Throws `VIGIL_ERR_CONFIG` naming the bad field.
 */
export function assertValidTrigger(trigger: unknown): asserts trigger is Trigger {
  if (typeof trigger !== 'object' || trigger === null) throw configError('trigger', 'type', '"every" or "cron"', trigger);
  const candidate = trigger as Record<string, unknown>;
  if (candidate.type === 'every') {
    const { intervalMs, jitterMs, splay } = candidate;
    if (typeof intervalMs !== 'number') throw configError('trigger', 'intervalMs', 'a positive number of milliseconds', intervalMs);
    if (typeof jitterMs !== 'number') throw configError('trigger', 'jitterMs', 'a number of milliseconds of at least 0', jitterMs);
    if (typeof splay !== 'boolean') throw configError('trigger', 'splay', 'true or false', splay);
    checkEveryNumbers(intervalMs, jitterMs, 'trigger', { interval: intervalMs, jitter: jitterMs }, { interval: 'intervalMs', jitter: 'jitterMs' });
    return;
  }
  if (candidate.type === 'cron') return;
  throw configError('trigger', 'type', '"every" or "cron"', candidate.type);
}

/**
 * The deterministic first-run offset of a job within `intervalMs`: a hash of the job id mapped
 * into whole milliseconds in [0, intervalMs). The same id always lands at the same offset, so
 * thousands of jobs on one interval spread out instead of firing together.
 */
export function splayOffset(jobId: string, intervalMs: number): number {
  // FNV-1a over UTF-16 code units, then a murmur3-style finaliser: plain FNV spreads ids that
  // differ only in their last characters (check-1, check-2...) visibly unevenly.
  let hash = 0x811c9dc5;
  for (let index = 0; index < jobId.length; index += 1) {
    hash ^= jobId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  // fraction < 1, so the offset is always below the interval.
  const fraction = (hash >>> 0) / 0x1_0000_0000;
  return Math.floor(fraction * intervalMs);
}
