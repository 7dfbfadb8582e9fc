import { z } from 'zod';
import type { AlertRule, AlertRuleContext, AlertSeverity } from '../contracts/alert.js';
import type { ResultRecord } from '../contracts/result.js';
import { parseOptions } from '../config/parse-options.js';
import { describeResult } from './consecutive-failures.js';
import { createStatefulRule } from './rule-engine.js';
import { ruleBaseShape, ruleIdSchema } from './rule-options.js';

/** What a predicate may return: `true` (the alert condition holds), `false`, `undefined` (no judgement), or details. */
export type PredicateOutcome =
  | boolean
  | undefined
  | {
      readonly breaching: boolean;
      readonly severity?: AlertSeverity;
      readonly values?: Readonly<Record<string, number>>;
      /** What was seen; default the result's reason and message. */
      readonly detail?: string;
    };

/** The function a {@link predicate} rule calls for every result it sees. */
export type PredicateFunction = (record: ResultRecord, context: AlertRuleContext) => PredicateOutcome;

/** Options of {@link predicate}. */
export const predicateOptionsSchema = z.strictObject({
  ...ruleBaseShape,
  /** Required: there is nothing to derive a meaningful id from. */
  id: ruleIdSchema,
  /** Returns true while the alert condition holds. Throwing is reported by the monitor, never fatal. */
  when: z.custom<PredicateFunction>((value) => typeof value === 'function', 'expected a function (record, context) => boolean'),
});

export type PredicateOptions = z.input<typeof predicateOptionsSchema>;

/** A rule from your own function, with the same state machine (thresholds, `for`, flapping) as the built-in ones. */
export function predicate(options: PredicateOptions): AlertRule {
  const parsed = parseOptions(predicateOptionsSchema, options, { source: 'core', path: 'predicate' });
  const when = parsed.when;
  return createStatefulRule({
    type: 'predicate',
    id: parsed.id,
    options: parsed,
    defaultSeverity: 'warning',
    defaultFireAfter: 1,
    defaultResolveAfter: 1,
    evaluate(record, context) {
      const outcome = when(record, context);
      if (outcome === undefined) return [];
      if (typeof outcome === 'boolean') return [{ breaching: outcome, values: {}, detail: describeResult(record) }];
      return [
        {
          breaching: outcome.breaching,
          ...(outcome.severity === undefined ? {} : { severity: outcome.severity }),
          values: outcome.values ?? {},
          detail: outcome.detail ?? describeResult(record),
        },
      ];
    },
  });
}
