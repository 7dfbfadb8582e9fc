/** How a target looks after one check run. */
export type CheckStatus = 'up' | 'degraded' | 'down' | 'unknown';

export const checkStatuses = ['up', 'degraded', 'down', 'unknown'] as const satisfies readonly CheckStatus[];

/**
 * The closed set of reasons a check result may carry. Adding a code is a core change (with a
 * changeset); checks never invent free-form reasons, so sinks and alert rules can rely on them.
 */
export const reasonCodes = [
  // Success.
  'ok',
  // Generic transport failures, shared by every network check.
  'timeout',
  'dns_error',
  'connection_refused',
  'connection_reset',
  'network_unreachable',
  'tls_error',
  'certificate_expired',
  'certificate_expiring',
  'identity_mismatch',
  'proxy_error',
  'protocol_error',
  // Expectations the check's options define.
  'assertion_failed',
  'slow_response',
  'packet_loss',
  // Protocol-specific outcomes (SimpleX relays and others; see each check's README).
  'unreachable',
  'session_mismatch',
  'incompatible_version',
  'unresponsive',
  'restricted',
  'degraded',
  'blocked',
  'probe_error',
  'integrity_error',
  // Configuration or environment problems that no retry fixes.
  'config_error',
  'unsupported',
  // Recorded by the runtime, never returned by a well-behaved check.
  'check_threw',
  'invalid_result',
  'aborted',
] as const;

export type ReasonCode = (typeof reasonCodes)[number];

const reasonCodeSet: ReadonlySet<string> = new Set(reasonCodes);

/** True when `value` is one of {@link reasonCodes}. */
export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && reasonCodeSet.has(value);
}

/**
 * Named timings of one run, in milliseconds. Well-known names: `dns`, `connect`, `proxy`, `tls`,
 * `handshake`, `firstByte`, `total`. Checks may add their own (camelCase).
 */
export type Phases = Record<string, number>;

/** String tags attached to a check and everything it produces. */
export type Tags = Readonly<Record<string, string>>;

/** A single number a check reports (through `ctx.metrics` or in its result). */
export interface MetricValue {
  readonly type: 'gauge' | 'counter';
  readonly name: string;
  readonly value: number;
  readonly unit?: string;
  readonly tags?: Tags;
}

/** The shape of a distribution: extremes, moments and percentiles (same unit as the values). */
export interface DistributionStats {
  /** Lowest and highest values, to the histogram's precision. */
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** Population standard deviation. */
  readonly stddev: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly p999: number;
}

/** The summary of a histogram a check fed during one run (e.g. N ping round trips). */
export interface HistogramSummary extends DistributionStats {
  readonly type: 'histogram';
  readonly name: string;
  readonly unit?: string;
  readonly tags?: Tags;
  readonly count: number;
  /** Mean absolute difference of consecutive samples (RFC 3550 style), same unit. */
  readonly jitter: number;
  /** The HdrHistogram V2 compressed, base64 encoded snapshot (values in microseconds for `ms`). */
  readonly snapshot: string;
}

export type MetricEntry = MetricValue | HistogramSummary;

/** What a check returns: data, never an exception. */
export interface CheckResult {
  readonly status: CheckStatus;
  readonly reason: ReasonCode;
  /** Wall time of the run; the runtime measures it when omitted. */
  readonly durationMs?: number;
  readonly phases?: Phases;
  readonly metrics?: readonly MetricEntry[];
  /** One human-readable line: what happened, which step failed, what was seen. */
  readonly message?: string;
  /** Structured facts (TLS details, negotiated versions, ...). JSON-serialisable, no secrets. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A check result as the runtime stores it: the result plus who, when and how. */
export interface ResultRecord {
  readonly type: 'result';
  readonly checkId: string;
  /** The check's plugin type, e.g. `tcp`. */
  readonly checkType: string;
  readonly target: string | undefined;
  readonly tags: Tags;
  readonly status: CheckStatus;
  readonly reason: ReasonCode;
  readonly message: string | undefined;
  readonly durationMs: number;
  readonly phases: Phases;
  readonly metrics: readonly MetricEntry[];
  readonly details: Readonly<Record<string, unknown>> | undefined;
  /** Epoch milliseconds when the run started. */
  readonly timestamp: number;
  /** Epoch milliseconds when the scheduler intended it to start (equals timestamp for manual runs). */
  readonly scheduledAt: number;
  /** `timestamp - scheduledAt`: how late the run started. */
  readonly lagMs: number;
  /** 1 for the first try; higher when the runtime retried after a failure. */
  readonly attempts: number;
}
