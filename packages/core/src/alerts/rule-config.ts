import { z } from 'zod';
import type { AlertRule } from '../contracts/alert.js';
import { certificateExpiry, certificateExpiryOptionsSchema } from './certificate-expiry.js';
import { consecutiveFailures, consecutiveFailuresOptionsSchema } from './consecutive-failures.js';
import { failureRatio, failureRatioOptionsSchema } from './failure-ratio.js';
import { latencyAbove, latencyAboveOptionsSchema } from './latency-above.js';
import { metricThreshold, metricThresholdOptionsSchema } from './metric-threshold.js';
import { successRateBelow, successRateBelowOptionsSchema } from './success-rate-below.js';

// `predicate` is missing on purpose: a function cannot come from a config file.
const ruleSchemas = {
  consecutiveFailures: consecutiveFailuresOptionsSchema,
  failureRatio: failureRatioOptionsSchema,
  latencyAbove: latencyAboveOptionsSchema,
  successRateBelow: successRateBelowOptionsSchema,
  metricThreshold: metricThresholdOptionsSchema,
  certificateExpiry: certificateExpiryOptionsSchema,
} as const;

/** Rule types a config file may use (`rules: - type: latencyAbove ...`). */
export type AlertRuleType = keyof typeof ruleSchemas;

/** The rule types a config file may use. */
export const alertRuleTypes = Object.keys(ruleSchemas) as AlertRuleType[];

/** One validated `rules:` entry: its type plus that rule's parsed options. */
export type AlertRuleConfig = { [Type in AlertRuleType]: { readonly type: Type } & z.output<(typeof ruleSchemas)[Type]> }[AlertRuleType];

/**
 * A `rules:` entry: `type` picks the rule, and that rule's own options schema checks the rest,
 * so errors name the field (`rules[2].thresholdMs: ...`).
 */
export const alertRuleConfigSchema = z.looseObject({ type: z.enum(alertRuleTypes as [AlertRuleType, ...AlertRuleType[]]) }).transform((entry, context): AlertRuleConfig => {
  const { type, ...options } = entry;
  const parsed = ruleSchemas[type].safeParse(options);
  if (!parsed.success) {
    // Pass the rule schema's issues on unchanged (codes included) so they read like any other config error.
    for (const issue of parsed.error.issues) context.addIssue(issue as Parameters<typeof context.addIssue>[0]);
    return z.NEVER;
  }
  return { type, ...parsed.data } as AlertRuleConfig;
});

/** Creates the rule a validated `rules:` entry describes. */
export function createAlertRule(entry: AlertRuleConfig): AlertRule {
  const { type, ...options } = entry;
  switch (entry.type) {
    case 'consecutiveFailures':
      return consecutiveFailures(options as z.input<typeof consecutiveFailuresOptionsSchema>);
    case 'failureRatio':
      return failureRatio(options as z.input<typeof failureRatioOptionsSchema>);
    case 'latencyAbove':
      return latencyAbove(options as z.input<typeof latencyAboveOptionsSchema>);
    case 'successRateBelow':
      return successRateBelow(options as z.input<typeof successRateBelowOptionsSchema>);
    case 'metricThreshold':
      return metricThreshold(options as z.input<typeof metricThresholdOptionsSchema>);
    case 'certificateExpiry':
      return certificateExpiry(options as z.input<typeof certificateExpiryOptionsSchema>);
  }
  throw new TypeError(`unknown rule type ${String(type)}`);
}
