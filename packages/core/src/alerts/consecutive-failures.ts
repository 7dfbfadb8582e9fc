import { z } from 'zod';
import type { AlertRule } from '../contracts/alert.js';
import type { ResultRecord } from '../contracts/result.js';
import { parseOptions } from '../config/parse-options.js';
import { createStatefulRule } from './rule-engine.js';
import { ruleBaseShape } from './rule-options.js';

// `failures`/`successes` are this rule's names for the shared fireAfter/resolveAfter.
const { fireAfter: _fireAfter, resolveAfter: _resolveAfter, ...sharedShape } = ruleBaseShape;

/** Options of {@link consecutiveFailures}. */
export const consecutiveFailuresOptionsSchema = z.strictObject({
  ...sharedShape,
  /** Failures in a row that fire the alert; default 3 (Gatus' failure threshold). */
  failures: z.number().int().min(1).max(1_000).default(3),
  /** Successes in a row that resolve it; default 2 (Gatus' success threshold). */
  successes: z.number().int().min(1).max(1_000).default(2),
  /** Count `degraded` results as failures; default false. */
  degradedIsFailure: z.boolean().default(false),
});

export type ConsecutiveFailuresOptions = z.input<typeof consecutiveFailuresOptionsSchema>;

/** Whether a result counts as a failure for the result-based rules. */
export function isFailedResult(record: ResultRecord, degradedIsFailure: boolean): boolean {
  return record.status === 'down' || record.status === 'unknown' || (degradedIsFailure && record.status === 'degraded');
}

/** What a result says, for messages: `connection_refused: refused`. */
export function describeResult(record: ResultRecord): string {
  return record.message ? `${record.reason}: ${record.message}` : record.reason;
}

/**
 * Fires after `failures` failed results in a row (default 3) and resolves after `successes` good
 * ones in a row (default 2), like Gatus; `pending` from the first failure.
 */
export function consecutiveFailures(options: ConsecutiveFailuresOptions = {}): AlertRule {
  const parsed = parseOptions(consecutiveFailuresOptionsSchema, options, { source: 'core', path: 'consecutiveFailures' });
  const failuresText = (count: number): string => `${count} consecutive ${count === 1 ? 'failure' : 'failures'}`;
  return createStatefulRule({
    type: 'consecutiveFailures',
    id: parsed.id ?? `consecutive-failures-${parsed.failures}`,
    options: { ...parsed, fireAfter: parsed.failures, resolveAfter: parsed.successes },
    defaultSeverity: 'critical',
    defaultFireAfter: parsed.failures,
    defaultResolveAfter: parsed.successes,
    evaluate(record) {
      const failed = isFailedResult(record, parsed.degradedIsFailure);
      return [{ breaching: failed, values: { durationMs: record.durationMs }, detail: describeResult(record) }];
    },
    present(state, verdict, streak) {
      const values = { failures: streak.breaching, successes: streak.clear };
      if (state === 'resolved') return { detail: `recovered after ${streak.clear} ${streak.clear === 1 ? 'success' : 'successes'}`, values };
      if (state === 'ok') return { detail: `passing again (${verdict.detail})`, values };
      return { detail: `${failuresText(streak.breaching)} (${verdict.detail})`, values };
    },
  });
}
