import type { Check, CheckContext } from '../contracts/check.js';
import type { Dialer } from '../contracts/dialer.js';
import type { MetricOptions, MetricsAccumulator } from '../contracts/metrics.js';
import type { CheckResult, HistogramSummary, MetricEntry, MetricValue, ResultRecord, Tags } from '../contracts/result.js';
import { VigilError, describeError } from '../errors/vigil-error.js';
import { type Clock, systemClock } from '../util/clock.js';
import { type Logger, silentLogger } from '../util/logger.js';
import { redactText } from '../util/redact.js';
import { findResultProblem } from './validate-result.js';

/** A histogram for the samples of one run (see `createRunHistogram` in the metrics engine). */
export interface RunHistogram {
  record(value: number): void;
  summarize(): HistogramSummary;
}

export type RunHistogramFactory = (name: string, unit: string, tags: Tags | undefined) => RunHistogram;

/** Why the runtime had to write a result on a check's behalf. */
export type CheckFault = 'threw' | 'invalid_result' | 'ignored_timeout';

export interface ExecuteCheckOptions {
  readonly checkId: string;
  readonly checkType?: string;
  readonly tags?: Tags;
  readonly timeoutMs: number;
  readonly attempt?: number;
  /** The monitor's stop signal: aborting it aborts the run with reason `aborted`. */
  readonly signal?: AbortSignal;
  readonly dialer: Dialer;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Epoch ms the scheduler intended the run to start; default: now. */
  readonly scheduledAt?: number;
  /** How long a check may take to settle after its timeout fired before the runtime gives up on it. */
  readonly graceMs?: number;
  readonly histogramFactory: RunHistogramFactory;
  /** Each `ctx.metrics.histogram` sample, for the long-lived series of the metrics engine. */
  readonly onHistogramSample?: (name: string, value: number, unit: string, tags: Tags | undefined) => void;
  /** Told when the check misbehaved; never throws back into the runtime. */
  readonly onFault?: (fault: CheckFault, error: unknown) => void;
}

export interface CheckExecution {
  readonly record: ResultRecord;
  /**
   * Settles when the check's own promise settles. Normally already settled; for a check that
   * ignored its timeout it may never settle, and the runtime must not run that instance again
   * before it does.
   */
  readonly settled: Promise<void>;
  /** True when the check ignored its abort signal and the runtime wrote its result. */
  readonly ignoredTimeout: boolean;
}

const emptyTags: Tags = Object.freeze({});

function tagsKey(tags: Tags | undefined): string {
  if (!tags) return '';
  return Object.keys(tags)
    .sort()
    .map((key) => `${key}=${tags[key]}`)
    .join(',');
}

/** Collects what a check reports through `ctx.metrics` during one run. */
class RunMetrics implements MetricsAccumulator {
  // Created on first use: most runs report no extra metrics, and this is the hot path.
  private values: Map<string, MetricValue> | undefined;
  private histograms: Map<string, { histogram: RunHistogram; name: string }> | undefined;

  constructor(
    private readonly factory: RunHistogramFactory,
    private readonly onSample: ExecuteCheckOptions['onHistogramSample'],
    private readonly logger: Logger,
  ) {}

  private valid(name: string, value: number): boolean {
    if (typeof name === 'string' && name.length > 0 && typeof value === 'number' && Number.isFinite(value)) return true;
    this.logger.warn('ignored an invalid metric', { name: String(name), value: String(value) });
    return false;
  }

  gauge(name: string, value: number, options?: MetricOptions): void {
    if (!this.valid(name, value)) return;
    this.values ??= new Map();
    this.values.set(`g|${name}|${tagsKey(options?.tags)}`, { type: 'gauge', name, value, unit: options?.unit, tags: options?.tags });
  }

  counter(name: string, delta = 1, options?: MetricOptions): void {
    if (!this.valid(name, delta)) return;
    const key = `c|${name}|${tagsKey(options?.tags)}`;
    this.values ??= new Map();
    const previous = this.values.get(key)?.value ?? 0;
    this.values.set(key, { type: 'counter', name, value: previous + delta, unit: options?.unit, tags: options?.tags });
  }

  histogram(name: string, value: number, options?: MetricOptions): void {
    if (!this.valid(name, value) || value < 0) return;
    const unit = options?.unit ?? 'ms';
    const key = `${name}|${tagsKey(options?.tags)}`;
    this.histograms ??= new Map();
    let entry = this.histograms.get(key);
    if (!entry) {
      entry = { histogram: this.factory(name, unit, options?.tags), name };
      this.histograms.set(key, entry);
    }
    entry.histogram.record(value);
    try {
      this.onSample?.(name, value, unit, options?.tags);
    } catch (error) {
      this.logger.error('metrics observer threw', { error: describeError(error) });
    }
  }

  entries(): MetricEntry[] {
    const entries: MetricEntry[] = [];
    if (this.values) for (const value of this.values.values()) entries.push(stripUndefined(value));
    if (this.histograms) for (const { histogram } of this.histograms.values()) entries.push(histogram.summarize());
    return entries;
  }
}

function stripUndefined<T extends object>(value: T): T {
  const output: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined) output[key] = item;
  return output as T;
}

/** Builds the timeout/stop signal of one run; `dispose` clears the timer. */
function runSignal(clock: Clock, timeoutMs: number, outer: AbortSignal | undefined) {
  const controller = new AbortController();
  const timer = clock.setTimeout(() => {
    controller.abort(new VigilError('VIGIL_ERR_TIMEOUT', `[core] check timed out after ${timeoutMs} ms`, { reason: 'timeout' }));
  }, timeoutMs);
  const onOuterAbort = (): void => {
    controller.abort(new VigilError('VIGIL_ERR_ABORTED', '[core] check aborted: the monitor is stopping', { reason: 'aborted' }));
  };
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  return {
    signal: controller.signal,
    dispose() {
      clock.clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    },
  };
}

type Settlement = { kind: 'result'; value: unknown } | { kind: 'threw'; error: unknown } | { kind: 'hung' };

/**
 * Runs a check once with its timeout, and turns every outcome into a {@link ResultRecord}:
 * a throw becomes `unknown / check_threw`, garbage `unknown / invalid_result`, a check that
 * ignores its timeout `unknown / timeout`. Never rejects.
 */
export async function executeCheck(check: Check, options: ExecuteCheckOptions): Promise<CheckExecution> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const timestamp = clock.now();
  const scheduledAt = options.scheduledAt ?? timestamp;
  const started = clock.monotonicNow();
  const graceMs = options.graceMs ?? Math.min(1_000, Math.max(100, options.timeoutMs));
  const run = runSignal(clock, options.timeoutMs, options.signal);
  const metrics = new RunMetrics(options.histogramFactory, options.onHistogramSample, logger);
  const context: CheckContext = {
    checkId: options.checkId,
    tags: options.tags ?? emptyTags,
    signal: run.signal,
    timeoutMs: options.timeoutMs,
    attempt: options.attempt ?? 1,
    dialer: options.dialer,
    clock,
    logger,
    metrics,
  };

  let checkPromise: Promise<unknown>;
  try {
    checkPromise = Promise.resolve(check.run(context));
  } catch (error) {
    checkPromise = Promise.reject(error);
  }
  const settled = checkPromise.then(
    () => undefined,
    () => undefined,
  );

  // Give up on a check that ignores its signal: wait for the abort, then a grace period. One
  // promise settles from whichever comes first (no race of extra promises on the hot path).
  let graceTimer: unknown;
  let onAbort: (() => void) | undefined;
  const settlement = await new Promise<Settlement>((resolve) => {
    checkPromise.then(
      (value) => resolve({ kind: 'result', value }),
      (error: unknown) => resolve({ kind: 'threw', error }),
    );
    onAbort = (): void => {
      graceTimer = clock.setTimeout(() => resolve({ kind: 'hung' }), graceMs);
    };
    if (run.signal.aborted) onAbort();
    else run.signal.addEventListener('abort', onAbort, { once: true });
  });
  if (onAbort) run.signal.removeEventListener('abort', onAbort);
  if (graceTimer !== undefined) clock.clearTimeout(graceTimer);
  run.dispose();
  const measuredMs = Math.max(0, clock.monotonicNow() - started);

  const fault = (kind: CheckFault, error: unknown): void => {
    try {
      options.onFault?.(kind, error);
    } catch {
      // The fault handler must never break the runtime.
    }
  };

  let result: CheckResult;
  if (settlement.kind === 'result') {
    const problem = findResultProblem(settlement.value);
    if (problem === undefined) {
      result = settlement.value as CheckResult;
    } else {
      fault('invalid_result', new VigilError('VIGIL_ERR_CHECK_INVALID_RESULT', `[core] check ${options.checkId} returned an invalid result: ${problem}`));
      result = { status: 'unknown', reason: 'invalid_result', message: `check returned an invalid result: ${problem}` };
    }
  } else if (settlement.kind === 'threw') {
    fault('threw', settlement.error);
    const abortReason = run.signal.aborted ? (run.signal.reason as unknown) : undefined;
    if (abortReason !== undefined && settlement.error === abortReason && VigilError.isInstance(abortReason)) {
      // The check let the abort reason propagate: that is a timeout (or stop), not a bug.
      result = { status: abortReason.reason === 'aborted' ? 'unknown' : 'down', reason: abortReason.reason ?? 'timeout', message: abortReason.message };
    } else {
      result = { status: 'unknown', reason: 'check_threw', message: `check threw: ${redactText(describeError(settlement.error))}` };
    }
  } else {
    fault('ignored_timeout', run.signal.reason);
    const stopping = VigilError.isInstance(run.signal.reason) && run.signal.reason.reason === 'aborted';
    result = {
      status: 'unknown',
      reason: stopping ? 'aborted' : 'timeout',
      message: `check did not settle within ${graceMs} ms after its ${stopping ? 'stop' : `${options.timeoutMs} ms timeout`} signal`,
    };
  }

  const reported = metrics.entries();
  const metricEntries = result.metrics === undefined ? reported : reported.length === 0 ? [...result.metrics] : [...result.metrics, ...reported];
  const record: ResultRecord = {
    type: 'result',
    checkId: options.checkId,
    checkType: options.checkType ?? check.meta?.type ?? 'unknown',
    target: typeof check.target === 'string' ? check.target : undefined,
    tags: options.tags ?? emptyTags,
    status: result.status,
    reason: result.reason,
    message: result.message,
    durationMs: result.durationMs ?? measuredMs,
    phases: { ...result.phases },
    metrics: metricEntries,
    details: result.details,
    timestamp,
    scheduledAt,
    lagMs: Math.max(0, timestamp - scheduledAt),
    attempts: options.attempt ?? 1,
  };
  return { record, settled, ignoredTimeout: settlement.kind === 'hung' };
}
