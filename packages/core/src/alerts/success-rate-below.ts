import { z } from 'zod';
import type { AlertRule } from '../contracts/alert.js';
import { parseOptions } from '../config/parse-options.js';
import { parseDuration } from '../util/duration.js';
import { createStatefulRule } from './rule-engine.js';
import { positiveAlertDurationSchema, ruleBaseShape } from './rule-options.js';

/** Options of {@link successRateBelow}. Rates are shares from 0 to 1. */
export const successRateBelowOptionsSchema = z
  .strictObject({
    ...ruleBaseShape,
    /** Fire when the share of successful (`up` or `degraded`) runs falls below this, e.g. 0.99. */
    threshold: z.number().gt(0).max(1),
    /** Raise the severity to critical below this. */
    criticalBelow: z.number().min(0).max(1).optional(),
    /** Once firing, resolve only when the rate is back at or above this (hysteresis); default threshold. */
    recoverAbove: z.number().gt(0).max(1).optional(),
    /** The rolling window, rounded up to whole snapshot intervals of the metrics engine; default 15m. */
    window: positiveAlertDurationSchema.default('15m'),
    /** Judge only windows holding at least this many runs; default 5. */
    minRuns: z.number().int().min(1).default(5),
  })
  .superRefine((options, context) => {
    if (options.criticalBelow !== undefined && options.criticalBelow > options.threshold) {
      context.addIssue({ code: 'custom', path: ['criticalBelow'], message: `must not exceed threshold (${options.threshold})` });
    }
    if (options.recoverAbove !== undefined && options.recoverAbove < options.threshold) {
      context.addIssue({ code: 'custom', path: ['recoverAbove'], message: `must be at least threshold (${options.threshold})` });
    }
  });

export type SuccessRateBelowOptions = z.input<typeof successRateBelowOptionsSchema>;

const percent = (share: number): string => `${Math.round(share * 10_000) / 100}%`;

/** Fires when the success rate over a rolling window (from the metrics engine) falls below `threshold`. */
export function successRateBelow(options: SuccessRateBelowOptions): AlertRule {
  const parsed = parseOptions(successRateBelowOptionsSchema, options, { source: 'core', path: 'successRateBelow' });
  const windowMs = parseDuration(parsed.window);
  return createStatefulRule({
    type: 'successRateBelow',
    id: parsed.id ?? `success-rate-below-${parsed.threshold}`,
    options: parsed,
    defaultSeverity: 'warning',
    defaultFireAfter: 1,
    defaultResolveAfter: 1,
    evaluate(record, context, series) {
      const stats = context.seriesStats(record.checkId, 'duration', windowMs);
      if (!stats || !(stats.count >= parsed.minRuns) || !Number.isFinite(stats.successRatio)) return [];
      const rate = stats.successRatio;
      const firing = series.isFiring(record.checkId);
      const breaching = rate < (firing ? (parsed.recoverAbove ?? parsed.threshold) : parsed.threshold);
      const critical = parsed.criticalBelow !== undefined && rate < parsed.criticalBelow;
      return [
        {
          breaching,
          ...(critical ? { severity: 'critical' as const } : {}),
          values: { successRatio: rate, threshold: parsed.threshold, runs: stats.count, ok: stats.okCount },
          detail: `success rate ${percent(rate)} (${stats.okCount} of ${stats.count}) over ${parsed.window}, threshold ${percent(parsed.threshold)}`,
        },
      ];
    },
  });
}
