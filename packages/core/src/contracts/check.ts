import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Dialer } from './dialer.js';
import type { MetricsAccumulator } from './metrics.js';
import type { LifecycleOptions, PluginMeta, SpecificationVersion } from './plugin.js';
import type { CheckResult, Tags } from './result.js';

/** Everything a check may use during one run. */
export interface CheckContext {
  readonly checkId: string;
  readonly tags: Tags;
  /** Aborts when the run's timeout expires or the monitor stops; honour it everywhere. */
  readonly signal: AbortSignal;
  /** The run's timeout in milliseconds (already armed on `signal`). */
  readonly timeoutMs: number;
  /** 1 for the first try, 2.. for retries. */
  readonly attempt: number;
  readonly dialer: Dialer;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: MetricsAccumulator;
}

/**
 * A probe of one target. `run` resolves with data for every outcome, including failures of the
 * target; a rejection is a bug in the check and is recorded as `unknown / check_threw`.
 * The runtime never calls `run` of one instance twice at once.
 */
export interface Check {
  readonly specificationVersion: SpecificationVersion;
  readonly meta: PluginMeta;
  /** What the check probes, for display and per-target concurrency limits (e.g. `host:port`). */
  readonly target: string;
  run(context: CheckContext): Promise<CheckResult>;
  /** Releases long-lived resources (shared sockets, pools). Idempotent. */
  shutdown?(options?: LifecycleOptions): Promise<void>;
}
