// @vigil/core public API. Explicit names only (no `export *`), grouped by area.

// --- errors ---
export { VigilError, describeError } from './errors/vigil-error.js';
export type { VigilErrorCode, VigilErrorOptions } from './errors/vigil-error.js';

// --- contracts ---
export { checkStatuses, isReasonCode, reasonCodes } from './contracts/result.js';
export type {
  CheckResult,
  CheckStatus,
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
  RejectedRecord,
  Sink,
  SinkRecord,
  SinkRecordType,
  SnapshotRecord,
  WriteOptions,
  WriteResult,
} from './contracts/sink.js';
export type { Notification, Notifier, SendOptions, SendResult } from './contracts/notifier.js';
export type { AlertEvent, AlertSeverity, AlertState } from './contracts/alert.js';
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

// --- runtime (src/runtime) ---

// --- config and plugin registry (src/config, src/plugins) ---

// --- alerts (src/alerts) ---
