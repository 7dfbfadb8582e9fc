// The alert engine: rule factories on one state machine, and the alert manager. Explicit names only.
export { alertManagerOptionsSchema, createAlertManager, isAlertManager } from './alert-manager.js';
export type {
  Acknowledgement,
  ActiveAlert,
  AlertManager,
  AlertManagerOptions,
  AlertQuery,
  MaintenanceWindowState,
  Silence,
  SilenceInput,
} from './alert-manager.js';
export { certificateDaysMetric, certificateExpiry, certificateExpiryOptionsSchema } from './certificate-expiry.js';
export type { CertificateExpiryOptions } from './certificate-expiry.js';
export { consecutiveFailures, consecutiveFailuresOptionsSchema } from './consecutive-failures.js';
export type { ConsecutiveFailuresOptions } from './consecutive-failures.js';
export { failureRatio, failureRatioOptionsSchema } from './failure-ratio.js';
export type { FailureRatioOptions } from './failure-ratio.js';
export { latencyAbove, latencyAboveOptionsSchema } from './latency-above.js';
export type { LatencyAboveOptions } from './latency-above.js';
export { fillLinkTemplate } from './link-template.js';
export { alertLabels, formatMatcher, parseMatcher, parseMatchers } from './matchers.js';
export type { AlertLabels, AlertMatchOperator, AlertMatcher, AlertMatcherInput } from './matchers.js';
export { metricThreshold, metricThresholdOptionsSchema } from './metric-threshold.js';
export type { MetricComparison, MetricThresholdOptions } from './metric-threshold.js';
export { predicate, predicateOptionsSchema } from './predicate.js';
export { alertRuleConfigSchema, alertRuleTypes, createAlertRule } from './rule-config.js';
export type { AlertRuleConfig, AlertRuleType } from './rule-config.js';
export type { PredicateFunction, PredicateOptions, PredicateOutcome } from './predicate.js';
export { successRateBelow, successRateBelowOptionsSchema } from './success-rate-below.js';
export type { SuccessRateBelowOptions } from './success-rate-below.js';
