// @vigil/core public API. Explicit names only (no `export *`), grouped by area.

// --- errors ---
export { VigilError, describeError } from './errors/vigil-error.js';
export type { VigilErrorCode, VigilErrorOptions } from './errors/vigil-error.js';

// --- contracts ---
export { checkStatuses, isReasonCode, reasonCodes } from './contracts/result.js';
export type {
  CheckResult,
  CheckStatus,
  DistributionStats,
  HistogramSummary,
  MetricEntry,
  MetricValue,
  Phases,
  ReasonCode,
  ResultRecord,
  Tags,
} from './contracts/result.js';
export type { Check, CheckContext } from './contracts/check.js';
export type {
  AlertRecord,
  MonitorView,
  RejectedRecord,
  Sink,
  SinkRecord,
  SinkRecordType,
  SnapshotRecord,
  WriteOptions,
  WriteResult,
} from './contracts/sink.js';
export type { Notification, Notifier, SendOptions, SendResult } from './contracts/notifier.js';
export type {
  AlertEvent,
  AlertEventCause,
  AlertRule,
  AlertRuleContext,
  AlertSeriesStats,
  AlertSeverity,
  AlertState,
  NotificationPolicy,
  RoutedNotification,
} from './contracts/alert.js';
export type { MetricOptions, MetricsAccumulator } from './contracts/metrics.js';
export type { LifecycleOptions, PluginDefinition, PluginKind, PluginMeta, SpecificationVersion } from './contracts/plugin.js';
export type {
  CronTrigger,
  EveryTrigger,
  JobRun,
  ScheduledJob,
  Scheduler,
  SchedulerStats,
  Trigger,
} from './contracts/scheduler.js';
export type {
  CertificateSummary,
  DialOptions,
  DialResult,
  DialTimings,
  Dialer,
  KeepAliveOptions,
  OnionMode,
  ProxyOptions,
  TlsDialOptions,
  TlsSessionSummary,
  TlsVersion,
} from './contracts/dialer.js';

// --- utilities ---
export { sleep, systemClock } from './util/clock.js';
export type { Clock, TimerHandle } from './util/clock.js';
export { formatDuration, parseDuration } from './util/duration.js';
export type { DurationInput } from './util/duration.js';
export { createConsoleLogger, silentLogger } from './util/logger.js';
export type { ConsoleLoggerOptions, LogFields, LogLevel, Logger } from './util/logger.js';
export { REDACTED, isSecretKey, redactText, redactValue } from './util/redact.js';

// --- metrics engine (src/metrics) ---
export {
  DURATION_METRIC,
  LAG_METRIC,
  createMetricsEngine,
  createRunHistogram,
  decodeSnapshot,
  enableWebAssemblyHistograms,
  encodeSnapshot,
  mergeSnapshots,
  seriesKey,
  snapshotValueScale,
  statsFromSnapshot,
} from './metrics/index.js';
export type {
  CollectSnapshotsOptions,
  HistogramBackend,
  HistogramSnapshot,
  HistogramStats,
  LatencyStats,
  MergeSnapshotsOptions,
  MetricsEngine,
  MetricsEngineOptions,
  MetricsEngineUsage,
  MetricsRunHistogram,
  SeriesDescriptor,
  SeriesRecorder,
  SnapshotBucket,
  StatsWindow,
} from './metrics/index.js';

// --- scheduler (src/scheduler) ---
export { compileCron, createScheduler, cron, every, nextCronTime, splayOffset } from './scheduler/index.js';
export type { CronSchedule, CronTriggerOptions, EveryTriggerOptions, SchedulerOptions } from './scheduler/index.js';

// --- transport: dialer (src/transport) ---
export { createDialer } from './transport/dialer.js';
export type { CreateDialerOptions, LookupFunction } from './transport/dialer.js';
export { formatProxyUrl, parseProxyUrl, proxyCredentials } from './transport/proxy.js';
export { chooseHost, isOnionHost } from './transport/onion.js';
export type { ChooseHostOptions } from './transport/onion.js';
export { abortReasonCode, classifyNetworkError, classifySocksReply, describeSocksReply } from './transport/classify-error.js';
export type { ClassifyNetworkErrorOptions, DialPhase, NetworkErrorClassification } from './transport/classify-error.js';
export { normalizeSha256Fingerprint } from './transport/tls-session.js';

// --- shared check options and helpers (src/checks) ---
export {
  addressFamilySchema,
  createResultFinisher,
  decodeEscapes,
  decodePayload,
  defaultCertificateExpiryThresholds,
  dialOptionsShape,
  proxyUrlSchema,
  escapedTextSchema,
  evaluateCertificateExpiry,
  formatHostPort,
  hexBytesSchema,
  hostSchema,
  parseRedactedOptions,
  portSchema,
  proxyFromOptions,
  randomCredentialsNeedProxyRule,
  regexOptionSchema,
  resolveHostAddress,
  roundMs,
  sendOrSendHexRule,
  splitTlsOptions,
  statelessPattern,
  tlsOptionsRules,
  tlsOptionsShape,
  tlsSessionDetails,
} from './checks/index.js';
export type {
  CertificateExpiryThresholds,
  CertificateExpiryVerdict,
  EvaluateCertificateExpiryOptions,
  ParsedProxyOptions,
  ParsedTlsOptions,
  PayloadOptions,
  ResolveHostAddressOptions,
  ResultFinisher,
  ResultFinisherOptions,
} from './checks/index.js';

// --- shared notifier helpers (src/notifiers) ---
export { createDeliveryTracker } from './notifiers/delivery-tracker.js';
export type { DeliveryTracker, DeliveryTrackerOptions } from './notifiers/delivery-tracker.js';
export { describeFetchError } from './notifiers/fetch-error.js';

// --- runtime (src/runtime) ---
export { createMonitor } from './runtime/monitor.js';
export type {
  CheckFaultEvent,
  CheckState,
  Monitor,
  MonitorCheckDefinition,
  MonitorEvents,
  MonitorOptions,
  MonitorStats,
  Named,
} from './runtime/monitor.js';
export { executeCheck } from './runtime/execute-check.js';
export type { CheckExecution, CheckFault, ExecuteCheckOptions, RunHistogram, RunHistogramFactory } from './runtime/execute-check.js';
export { findResultProblem, isCheckResult } from './runtime/validate-result.js';
export { createSinkProcessor } from './runtime/sink-processor.js';
export type { DropCause, SinkProcessor, SinkProcessorOptions, SinkProcessorStats } from './runtime/sink-processor.js';
export type { Spool } from './runtime/spool.js';
export { createFileSpool, parseByteSize } from './runtime/file-spool.js';
export type { FileSpool, FileSpoolFsync, FileSpoolOptions, FileSpoolStats } from './runtime/file-spool.js';
export { createNotificationDispatcher } from './runtime/notification-dispatcher.js';
export type { FailedDelivery, NotificationDispatcher, NotificationDispatcherOptions, NotificationDispatcherStats } from './runtime/notification-dispatcher.js';
export { backoffDelay } from './runtime/backoff.js';
export type { BackoffOptions } from './runtime/backoff.js';
export { createJsonlFileSink, jsonlFileSinkOptionsSchema, jsonlFileSinkPlugin } from './sinks/jsonl-file-sink.js';
export type { JsonlFileSinkOptions } from './sinks/jsonl-file-sink.js';

// --- config and plugin registry (src/config, src/plugins) ---
export { formatIssues, formatPath, parseOptions } from './config/parse-options.js';
export type { ParseOptionsContext } from './config/parse-options.js';
export { interpolateEnv } from './config/interpolate.js';
export type { InterpolationResult } from './config/interpolate.js';
export {
  checkEntrySchema,
  createRuleFromConfig,
  loadMonitorConfig,
  monitorConfigSchema,
  monitorOptionsFromConfig,
  parseMonitorConfig,
} from './config/monitor-config.js';
export type { LoadedConfig, MonitorConfig, MonitorConfigInput, MonitorOptionsFromConfigOptions, ParseConfigOptions } from './config/monitor-config.js';
export { createPluginRegistry, validatePluginMeta } from './plugins/registry.js';
export type { PluginRegistry } from './plugins/registry.js';
export { coreVersion } from './version.js';

// --- alerts (src/alerts) ---
export {
  alertLabels,
  alertManagerOptionsSchema,
  alertRuleConfigSchema,
  alertRuleTypes,
  certificateDaysMetric,
  certificateExpiry,
  certificateExpiryOptionsSchema,
  consecutiveFailures,
  consecutiveFailuresOptionsSchema,
  createAlertManager,
  createAlertRule,
  failureRatio,
  failureRatioOptionsSchema,
  fillLinkTemplate,
  formatMatcher,
  isAlertManager,
  latencyAbove,
  latencyAboveOptionsSchema,
  metricThreshold,
  metricThresholdOptionsSchema,
  parseMatcher,
  parseMatchers,
  predicate,
  predicateOptionsSchema,
  successRateBelow,
  successRateBelowOptionsSchema,
} from './alerts/index.js';
export type {
  Acknowledgement,
  ActiveAlert,
  AlertLabels,
  AlertManager,
  AlertManagerOptions,
  AlertMatchOperator,
  AlertMatcher,
  AlertMatcherInput,
  AlertQuery,
  AlertRuleConfig,
  AlertRuleType,
  CertificateExpiryOptions,
  ConsecutiveFailuresOptions,
  FailureRatioOptions,
  LatencyAboveOptions,
  MaintenanceWindowState,
  MetricComparison,
  MetricThresholdOptions,
  PredicateFunction,
  PredicateOptions,
  PredicateOutcome,
  Silence,
  SilenceInput,
  SuccessRateBelowOptions,
} from './alerts/index.js';
