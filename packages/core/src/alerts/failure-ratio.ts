import { z } from 'zod';
import type { AlertRule } from '../contracts/alert.js';
import { parseOptions } from '../config/parse-options.js';
import { parseDuration } from '../util/duration.js';
import { describeResult, isFailedResult } from './consecutive-failures.js';
import { createStatefulRule } from './rule-engine.js';
import { positiveAlertDurationSchema, ruleBaseShape } from './rule-options.js';

/** Options of {@link failureRatio}: a threshold (`failures` or `ratio`) over a span (`of` results or a time `window`). */
export const failureRatioOptionsSchema = z
  .strictObject({
    ...ruleBaseShape,
    /** Fire when at least this many results of the span failed ... */
    failures: z.number().int().min(1).optional(),
    /** ... or when at least this share of them did (0 < ratio ≤ 1). */
    ratio: z.number().gt(0).max(1).optional(),
    /** The span: the last `of` results ... */
    of: z.number().int().min(1).max(10_000).optional(),
    /** ... or the results of the last `window` (e.g. `10m`). */
    window: positiveAlertDurationSchema.optional(),
    /** Judge only spans holding at least this many results; default 1 with `failures`, 5 (at most `of`) with `ratio`. */
    minRuns: z.number().int().min(1).optional(),
    /** Count `degraded` results as failures; default false. */
    degradedIsFailure: z.boolean().default(false),
  })
  .superRefine((options, context) => {
    if ((options.failures === undefined) === (options.ratio === undefined)) {
      context.addIssue({ code: 'custom', path: ['failures'], message: 'set exactly one of failures (a count) or ratio (0 to 1)' });
    }
    if ((options.of === undefined) === (options.window === undefined)) {
      context.addIssue({ code: 'custom', path: ['of'], message: 'set exactly one of of (the last N results) or window (a duration)' });
    }
    if (options.failures !== undefined && options.of !== undefined && options.failures > options.of) {
      context.addIssue({ code: 'custom', path: ['failures'], message: `must not exceed of (${options.of})` });
    }
  });

export type FailureRatioOptions = z.input<typeof failureRatioOptionsSchema>;

/** Outcomes of one series, oldest first; `head` skips the expired front without shifting on every result. */
interface Outcomes {
  at: number[];
  failed: boolean[];
  head: number;
}

/**
 * Fires when `failures` of the last `of` results failed (k of n), or when the failed share over a
 * time `window` reaches `ratio` (or any mix: `failures` in a `window`, `ratio` of the last `of`).
 */
export function failureRatio(options: FailureRatioOptions): AlertRule {
  const parsed = parseOptions(failureRatioOptionsSchema, options, { source: 'core', path: 'failureRatio' });
  const windowMs = parsed.window === undefined ? undefined : parseDuration(parsed.window);
  const count = parsed.of;
  const minRuns = parsed.minRuns ?? (parsed.ratio === undefined ? 1 : Math.min(5, count ?? 5));
  const span = count === undefined ? `in ${parsed.window}` : `of ${count}`;
  const threshold = parsed.failures === undefined ? String(parsed.ratio) : String(parsed.failures);
  const outcomesByCheck = new Map<string, Outcomes>();

  return createStatefulRule({
    type: 'failureRatio',
    id: parsed.id ?? `failure-ratio-${threshold}-${span.replace(' ', '-')}`,
    options: parsed,
    defaultSeverity: 'critical',
    defaultFireAfter: 1,
    defaultResolveAfter: 1,
    evaluate(record, context) {
      let outcomes = outcomesByCheck.get(record.checkId);
      if (!outcomes) {
        outcomes = { at: [], failed: [], head: 0 };
        outcomesByCheck.set(record.checkId, outcomes);
      }
      outcomes.at.push(context.now);
      outcomes.failed.push(isFailedResult(record, parsed.degradedIsFailure));
      if (count !== undefined) outcomes.head = Math.max(outcomes.head, outcomes.at.length - count);
      if (windowMs !== undefined) {
        while (outcomes.head < outcomes.at.length && (outcomes.at[outcomes.head] as number) <= context.now - windowMs) outcomes.head += 1;
      }
      // Compact once the dead front outgrows the live part, so memory stays proportional to the span.
      if (outcomes.head > 64 && outcomes.head * 2 > outcomes.at.length) {
        outcomes.at = outcomes.at.slice(outcomes.head);
        outcomes.failed = outcomes.failed.slice(outcomes.head);
        outcomes.head = 0;
      }
      const runs = outcomes.at.length - outcomes.head;
      if (runs < minRuns) return [];
      let failures = 0;
      for (let index = outcomes.head; index < outcomes.failed.length; index += 1) if (outcomes.failed[index]) failures += 1;
      const share = failures / runs;
      const breaching = parsed.failures === undefined ? share >= (parsed.ratio as number) : failures >= parsed.failures;
      return [
        {
          breaching,
          values: { failures, runs, ratio: share },
          detail: `${failures} of ${runs} results failed ${count === undefined ? `in the last ${parsed.window}` : ''}`.trimEnd() + ` (latest ${describeResult(record)})`,
        },
      ];
    },
  });
}
