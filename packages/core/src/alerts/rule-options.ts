import { z } from 'zod';
import type { AlertSeverity } from '../contracts/alert.js';
import { parseDuration } from '../util/duration.js';
import { defaultFlapSettings } from './flap-detector.js';
import { toMatcher } from './matchers.js';

/** `info | warning | critical`. */
export const alertSeveritySchema = z.enum(['info', 'warning', 'critical']);

/** A duration: milliseconds, or text like `500ms`, `30s`, `5m`, `1h30m`. */
export const alertDurationSchema = z.union([z.number().nonnegative(), z.string().min(1)]).superRefine((value, context) => {
  try {
    parseDuration(value);
  } catch {
    context.addIssue({ code: 'custom', message: 'expected a duration like 500ms, 30s, 5m or a number of milliseconds' });
  }
});

/** A duration greater than zero. */
export const positiveAlertDurationSchema = alertDurationSchema.superRefine((value, context) => {
  try {
    if (parseDuration(value) <= 0) context.addIssue({ code: 'custom', message: 'expected a positive duration' });
  } catch {
    // Reported by alertDurationSchema.
  }
});

/** Matchers as text (`env=~"prod|eu"`) or `{ name, operator, value }` objects; each is validated. */
export const alertMatcherListSchema = z
  .array(z.union([z.string(), z.strictObject({ name: z.string(), operator: z.enum(['=', '!=', '=~', '!~']), value: z.string() })]))
  .superRefine((matchers, context) => {
    matchers.forEach((matcher, index) => {
      try {
        toMatcher(matcher);
      } catch (error) {
        // The config error appends the value itself; keep only the explanation.
        const message = error instanceof Error ? error.message.replace(/^\[core\] alerts: invalid matcher (?:"(?:[^"\\]|\\.)*"|\S+): /, '').replace(/^\[core\] alerts: /, '') : 'invalid matcher';
        context.addIssue({ code: 'custom', path: [index], message });
      }
    });
  });

export const ruleIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'expected an id of letters, digits and _ . : -');

const flappingSchema = z.union([
  z.literal(false),
  z
    .strictObject({
      /** Evaluations kept (Nagios keeps 21). */
      window: z.number().int().min(3).max(1_000).default(defaultFlapSettings.window),
      /** Percent state change at or above which the series starts flapping. */
      high: z.number().gt(0).max(100).default(defaultFlapSettings.high),
      /** Percent state change below which it stops. */
      low: z.number().min(0).max(100).default(defaultFlapSettings.low),
    })
    .refine((settings) => settings.low < settings.high, { message: 'low must be below high', path: ['low'] }),
]);

/**
 * Options every rule shares. `fireAfter`/`resolveAfter` are consecutive evaluations (hysteresis
 * in counts); `for` is how long the condition must hold, in time, before the alert fires.
 */
export const ruleBaseShape = {
  /** Unique among a monitor's rules; names the alert (`ruleId/checkId`). */
  id: ruleIdSchema.optional(),
  severity: alertSeveritySchema.optional(),
  /** Only these check ids; default all. */
  checks: z.array(z.string().min(1)).min(1).optional(),
  /** Only results whose tags (and `checkId`) match all of these. */
  matchers: alertMatcherListSchema.optional(),
  /** The condition must hold this long (and `fireAfter` evaluations) before the alert fires; default 0. */
  for: alertDurationSchema.optional(),
  /** Consecutive breaching evaluations before firing. */
  fireAfter: z.number().int().min(1).max(1_000).optional(),
  /** Consecutive clear evaluations before a firing alert resolves. */
  resolveAfter: z.number().int().min(1).max(1_000).optional(),
  /** Flap detection (`false` turns it off); defaults: window 21, high 30 %, low 15 %. */
  flapping: flappingSchema.optional(),
  /** Link template filled into every event: `{checkId}`, `{ruleId}`, `{alertId}`, `{tags.NAME}` or `{NAME}`. */
  link: z.string().min(1).optional(),
};

/** The parsed shared options. */
export type RuleBaseOptions = z.output<z.ZodObject<typeof ruleBaseShape>>;

/** Compares severities: info < warning < critical. */
export function severityRank(severity: AlertSeverity): number {
  return severity === 'critical' ? 2 : severity === 'warning' ? 1 : 0;
}
