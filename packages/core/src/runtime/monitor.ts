import { setMaxListeners } from 'node:events';
import { EventEmitter } from 'eventemitter3';
import type { AlertEvent, AlertRule, AlertRuleContext, AlertSeriesStats, RoutedNotification } from '../contracts/alert.js';
import type { Check } from '../contracts/check.js';
import type { Dialer } from '../contracts/dialer.js';
import type { Notifier } from '../contracts/notifier.js';
import type { ResultRecord, Tags } from '../contracts/result.js';
import type { JobRun, Scheduler, Trigger } from '../contracts/scheduler.js';
import type { MonitorView, Sink } from '../contracts/sink.js';
import { type AlertManager, type AlertManagerOptions, createAlertManager, isAlertManager } from '../alerts/alert-manager.js';
import { VigilError, describeError } from '../errors/vigil-error.js';
import { createMetricsEngine, createRunHistogram } from '../metrics/index.js';
import type { MetricsEngine, SeriesRecorder } from '../metrics/index.js';
import { createScheduler, cron, every } from '../scheduler/index.js';
import { createDialer } from '../transport/index.js';
import { type Clock, type TimerHandle, sleep, systemClock } from '../util/clock.js';
import { type DurationInput, parseDuration } from '../util/duration.js';
import { type Logger, silentLogger } from '../util/logger.js';
import { redactText } from '../util/redact.js';
import type { BackoffOptions } from './backoff.js';
import { backoffDelay } from './backoff.js';
import { type CheckFault, executeCheck } from './execute-check.js';
import { type FailedDelivery, type NotificationDispatcher, createNotificationDispatcher } from './notification-dispatcher.js';
import { type DropCause, type SinkProcessor, type SinkProcessorOptions, createSinkProcessor } from './sink-processor.js';
import type { Spool } from './spool.js';

/** One check in a monitor: the plugin instance plus the options the core owns. */
export interface MonitorCheckDefinition {
  readonly id: string;
  readonly check: Check;
  /** Run every interval (default 60 s) ... */
  readonly interval?: DurationInput;
  /** ... or on a cron schedule instead. */
  readonly cron?: string;
  readonly timezone?: string;
  /** Random extra delay per run. */
  readonly jitter?: DurationInput;
  /** Spread first runs by a hash of the id; default true. */
  readonly splay?: boolean;
  /** Per-run timeout; default 10 s. */
  readonly timeout?: DurationInput;
  /** Extra attempts after a `down` result within the same run; default 0. */
  readonly retries?: number;
  /** First delay between attempts (doubles each time); default 1 s. */
  readonly retryDelay?: DurationInput;
  /** A run due while the previous still runs is skipped (default) or queued. */
  readonly overlap?: 'skip' | 'queue';
  readonly tags?: Tags;
  /** Disabled checks are kept (for `runOnce`) but not scheduled. */
  readonly enabled?: boolean;
}

/** A sink or notifier with an explicit id (used in events, stats and routing). */
export interface Named<T> {
  readonly id: string;
  readonly plugin: T;
}

export interface MonitorOptions {
  readonly checks?: readonly MonitorCheckDefinition[];
  readonly sinks?: readonly (Sink | Named<Sink>)[];
  readonly notifiers?: readonly (Notifier | Named<Notifier>)[];
  /** Alert rules: each sees every result (see `consecutiveFailures`). */
  readonly rules?: readonly AlertRule[];
  /**
   * Routing, grouping, repeats, escalations, silences and maintenance windows of alert
   * notifications (options, or a ready `createAlertManager()`); default: every firing,
   * resolved and flapping event to every notifier at once. See docs/alerting.md.
   */
  readonly alerting?: AlertManagerOptions | AlertManager;
  readonly scheduler?: Scheduler;
  readonly metrics?: MetricsEngine;
  readonly dialer?: Dialer;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Checks running at once; default 256. */
  readonly concurrency?: number;
  /** Checks of one target running at once; default 8. */
  readonly perTargetConcurrency?: number;
  /** Options of every sink's batch processor. */
  readonly sinkQueue?: Omit<SinkProcessorOptions, 'clock' | 'logger' | 'spool' | 'onError' | 'onDrop'>;
  /** Creates a spool per sink (e.g. on disk) so outages lose nothing. */
  readonly spoolFor?: (sinkId: string) => Spool | undefined;
  /** Notification delivery: attempts, timeouts, backoff. */
  readonly notificationDelivery?: { readonly maxAttempts?: number; readonly sendTimeoutMs?: number; readonly retry?: BackoffOptions };
  /** How often rules' time-driven logic runs; default 5 s. */
  readonly alertTickInterval?: DurationInput;
  /** HDR snapshots are closed and written to sinks at this interval; default 60 s. */
  readonly snapshotInterval?: DurationInput;
  /** The longest `stop()` waits for checks, sinks and notifiers; default 30 s. */
  readonly stopTimeout?: DurationInput;
}

export interface CheckFaultEvent {
  readonly checkId: string;
  readonly fault: CheckFault;
  readonly error: string;
}

/** Typed events of a monitor (eventemitter3). */
export interface MonitorEvents {
  'check:result': (record: ResultRecord) => void;
  'check:fault': (event: CheckFaultEvent) => void;
  'scheduler:lag': (event: { readonly checkId: string; readonly lagMs: number; readonly scheduledAt: number }) => void;
  'sink:error': (event: { readonly sink: string; readonly error: string; readonly retryInMs: number }) => void;
  'sink:drop': (event: { readonly sink: string; readonly count: number; readonly cause: DropCause }) => void;
  'alert:event': (event: AlertEvent) => void;
  'alert:pending': (event: AlertEvent) => void;
  'alert:firing': (event: AlertEvent) => void;
  'alert:resolved': (event: AlertEvent) => void;
  'alert:flapping': (event: AlertEvent) => void;
  'alert:ok': (event: AlertEvent) => void;
  'notifier:error': (event: { readonly notifier: string; readonly notificationId: string; readonly error: string; readonly retryInMs?: number }) => void;
  'notifier:failed': (delivery: FailedDelivery) => void;
  'monitor:error': (event: { readonly where: string; readonly error: string }) => void;
}

/** The latest known state of one check. */
export interface CheckState {
  readonly id: string;
  readonly type: string;
  readonly target: string;
  readonly tags: Tags;
  readonly enabled: boolean;
  readonly last: ResultRecord | undefined;
  readonly nextRunAt: number | undefined;
}

export interface MonitorStats {
  readonly checks: number;
  readonly results: number;
  readonly sinks: Readonly<Record<string, ReturnType<SinkProcessor['stats']>>>;
  readonly notifiers: Readonly<Record<string, ReturnType<NotificationDispatcher['stats']>>>;
  readonly scheduler: ReturnType<Scheduler['stats']>;
}

/** A running set of checks wired to the metrics engine, sinks, alert rules and notifiers. */
export interface Monitor extends EventEmitter<MonitorEvents> {
  /** Starts sinks, notifiers and the scheduler. Idempotent. */
  start(): Promise<void>;
  /**
   * Stops in order: scheduling, in-flight checks (bounded by stopTimeout, then aborted), final
   * HDR snapshots, sinks flushed and shut down, notifiers drained and shut down, checks shut
   * down. Idempotent: returns the same promise. See docs/lifecycle.md.
   */
  stop(): Promise<void>;
  /** Runs one check now (even a disabled one) and processes its result like a scheduled run. */
  runOnce(checkId: string): Promise<ResultRecord>;
  /** Adds a check at runtime (scheduled at once when the monitor runs). */
  addCheck(definition: MonitorCheckDefinition): void;
  /** Removes a check and shuts it down. */
  removeCheck(checkId: string): Promise<boolean>;
  checks(): CheckState[];
  readonly metrics: MetricsEngine;
  /** The alert manager: active alerts, silences, acknowledgements, maintenance windows. */
  readonly alerts: AlertManager;
  stats(): MonitorStats;
}

interface CheckEntry {
  readonly definition: MonitorCheckDefinition;
  readonly timeoutMs: number;
  readonly retryDelayMs: number;
  readonly trigger: Trigger;
  last: ResultRecord | undefined;
  /** Serialises runs of one instance (scheduled and manual). */
  lock: Promise<unknown>;
  /** Set while a run that ignored its timeout has still not settled: the instance is not reused. */
  hungSince: number | undefined;
  /** Created once per check: hot-path lookups of series and loggers are not repeated per run. */
  readonly logger: Logger;
  durationSeries: SeriesRecorder | undefined;
  lagSeries: SeriesRecorder | undefined;
}

function toNamed<T extends { meta: { type: string } }>(items: readonly (T | Named<T>)[]): Named<T>[] {
  const used = new Map<string, number>();
  return items.map((item) => {
    if ('plugin' in item && 'id' in item) return item;
    const plugin = item as T;
    const count = (used.get(plugin.meta.type) ?? 0) + 1;
    used.set(plugin.meta.type, count);
    return { id: count === 1 ? plugin.meta.type : `${plugin.meta.type}-${count}`, plugin };
  });
}

function triggerOf(definition: MonitorCheckDefinition, path: string): Trigger {
  if (definition.cron !== undefined) {
    if (definition.interval !== undefined) {
      throw new VigilError('VIGIL_ERR_CONFIG', `[core] config: ${path}: set either interval or cron, not both`, { path });
    }
    return cron(definition.cron, { timezone: definition.timezone });
  }
  const intervalMs = parseDuration(definition.interval ?? 60_000, `${path}.interval`);
  if (intervalMs <= 0) throw new VigilError('VIGIL_ERR_CONFIG', `[core] config: ${path}.interval: expected a positive duration`, { path: `${path}.interval` });
  return every(intervalMs, {
    jitter: definition.jitter === undefined ? undefined : parseDuration(definition.jitter, `${path}.jitter`),
    splay: definition.splay,
  });
}

/** Creates a monitor. Nothing runs until `start()`. */
export function createMonitor(options: MonitorOptions = {}): Monitor {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const dialer = options.dialer ?? createDialer({ clock });
  const metrics =
    options.metrics ??
    // The monitor closes intervals itself (snapshot timer, queries), so the engine needs no timer of its own.
    createMetricsEngine({ clock, rotation: 'manual', snapshotIntervalMs: options.snapshotInterval === undefined ? undefined : parseDuration(options.snapshotInterval, 'snapshotInterval') });
  const snapshotIntervalMs = parseDuration(options.snapshotInterval ?? 60_000, 'snapshotInterval');
  const alertTickMs = parseDuration(options.alertTickInterval ?? 5_000, 'alertTickInterval');
  const stopTimeoutMs = parseDuration(options.stopTimeout ?? 30_000, 'stopTimeout');
  const rules = [...(options.rules ?? [])];
  const policy = isAlertManager(options.alerting) ? options.alerting : createAlertManager({ ...options.alerting, clock });
  const stopController = new AbortController();
  // Every running check listens to the stop signal; thousands at once are expected.
  setMaxListeners(0, stopController.signal);
  const emitter = new EventEmitter<MonitorEvents>();

  const scheduler =
    options.scheduler ??
    createScheduler({
      clock,
      concurrency: options.concurrency ?? 256,
      perTargetConcurrency: options.perTargetConcurrency ?? 8,
      onError: (error, jobId) => reportError(`scheduler job ${jobId}`, error),
    });

  const reportError = (where: string, error: unknown): void => {
    const text = redactText(describeError(error));
    logger.error('monitor error', { where, error: text });
    safeEmit('monitor:error', { where, error: text });
  };

  // A listener that throws must not break the pipeline.
  function safeEmit<TEvent extends keyof MonitorEvents>(event: TEvent, ...args: Parameters<MonitorEvents[TEvent]>): void {
    if (emitter.listenerCount(event) === 0) return;
    try {
      (emitter.emit as (name: TEvent, ...rest: Parameters<MonitorEvents[TEvent]>) => boolean)(event, ...args);
    } catch (error) {
      if (event !== 'monitor:error') reportError(`listener of ${event}`, error);
    }
  }

  const sinks = toNamed(options.sinks ?? []).map(({ id, plugin }) =>
    Object.assign(
      createSinkProcessor(plugin, {
        ...options.sinkQueue,
        clock,
        logger: logger.child({ sink: id }),
        spool: options.spoolFor?.(id),
        onError: (error, retryInMs) => safeEmit('sink:error', { sink: id, error: redactText(describeError(error)), retryInMs }),
        onDrop: (count, cause) => safeEmit('sink:drop', { sink: id, count, cause }),
      }),
      { id },
    ),
  );
  const notifiers = toNamed(options.notifiers ?? []).map(({ id, plugin }) =>
    Object.assign(
      createNotificationDispatcher(plugin, {
        ...options.notificationDelivery,
        clock,
        logger: logger.child({ notifier: id }),
        onError: (error, notificationId, retryInMs) =>
          safeEmit('notifier:error', { notifier: id, notificationId, error: redactText(describeError(error)), retryInMs }),
        onFailed: (delivery) => safeEmit('notifier:failed', { ...delivery, notifier: id }),
      }),
      { id },
    ),
  );

  // Alert ids are `ruleId/series`: two rules with one id would share (and corrupt) their alerts.
  const ruleIndexById = new Map<string, number>();
  rules.forEach((rule, index) => {
    const first = ruleIndexById.get(rule.id);
    if (first !== undefined) {
      throw new VigilError('VIGIL_ERR_CONFIG', `[core] config: rules[${index}].id: duplicate rule id "${rule.id}" (also rules[${first}]); give each rule its own id`, { path: `rules[${index}].id` });
    }
    ruleIndexById.set(rule.id, index);
  });
  const notifierIds = new Set(notifiers.map((notifier) => notifier.id));
  for (const { path, id } of policy.referencedNotifiers()) {
    if (!notifierIds.has(id)) {
      const known = notifierIds.size === 0 ? 'none are configured' : `known: ${[...notifierIds].join(', ')}`;
      throw new VigilError('VIGIL_ERR_CONFIG', `[core] config: ${path}: unknown notifier "${id}" (${known})`, { path });
    }
  }

  const entries = new Map<string, CheckEntry>();
  let resultCount = 0;
  let state: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' = 'idle';
  let startPromise: Promise<void> | undefined;
  let stopPromise: Promise<void> | undefined;
  let snapshotTimer: TimerHandle | undefined;
  let alertTimer: TimerHandle | undefined;

  const seriesStats = (checkId: string, metric: string, windowMs: number): AlertSeriesStats | undefined => {
    const series = metrics.get(metric === 'duration' ? checkId : `${checkId}/${metric}`);
    return series?.stats(windowMs);
  };
  const ruleContext = (): AlertRuleContext => ({ now: clock.now(), seriesStats });

  const handleAlertEvents = (events: readonly AlertEvent[]): void => {
    if (events.length === 0) return;
    for (const event of events) {
      safeEmit('alert:event', event);
      safeEmit(`alert:${event.state}` as 'alert:firing', event);
      for (const sink of sinks) sink.enqueue({ ...event, type: 'alert' });
    }
    try {
      dispatchRouted(policy.route(events, clock.now()));
    } catch (error) {
      reportError('notification policy', error);
    }
  };

  const dispatchRouted = (routed: readonly RoutedNotification[]): void => {
    for (const { notification, notifiers: targets } of routed) {
      for (const dispatcher of notifiers) {
        if (targets === undefined || targets.includes(dispatcher.id)) dispatcher.dispatch(notification);
      }
    }
  };

  const processRecord = (record: ResultRecord): void => {
    resultCount += 1;
    const entry = entries.get(record.checkId);
    if (entry) entry.last = record;
    const ok = record.status === 'up' || record.status === 'degraded';
    let series = entry?.durationSeries;
    if (!series) {
      series = metrics.series({ checkId: record.checkId, tags: record.tags });
      if (entry) entry.durationSeries = series;
    }
    // Latency percentiles describe successful runs; failures count against the success ratio.
    if (ok) series.record(record.durationMs, true);
    else series.recordOutcome(false);
    for (const sink of sinks) sink.enqueue(record);
    safeEmit('check:result', record);
    if (rules.length === 0) return;
    const context = ruleContext();
    for (const rule of rules) {
      try {
        handleAlertEvents(rule.observe(record, context));
      } catch (error) {
        reportError(`alert rule ${rule.id}`, error);
      }
    }
  };

  const execute = async (entry: CheckEntry, scheduledAt: number | undefined): Promise<ResultRecord> => {
    const { definition } = entry;
    const attemptsAllowed = 1 + Math.max(0, Math.floor(definition.retries ?? 0));
    let record: ResultRecord | undefined;
    for (let attempt = 1; attempt <= attemptsAllowed; attempt += 1) {
      const execution = await executeCheck(definition.check, {
        checkId: definition.id,
        tags: definition.tags,
        timeoutMs: entry.timeoutMs,
        attempt,
        signal: stopController.signal,
        dialer,
        clock,
        logger: entry.logger,
        scheduledAt: attempt === 1 ? scheduledAt : undefined,
        histogramFactory: createRunHistogram,
        onHistogramSample: (name, value, unit, tags) => metrics.series({ checkId: definition.id, metric: name, unit, tags: { ...definition.tags, ...tags } }).record(value),
        onFault: (fault, error) => {
          const text = redactText(describeError(error));
          logger.warn('check misbehaved', { check: definition.id, fault, error: text });
          safeEmit('check:fault', { checkId: definition.id, fault, error: text });
        },
      });
      if (execution.ignoredTimeout) {
        // The instance is still busy: never call run() on it again until it settles.
        entry.hungSince = clock.now();
        void execution.settled.then(() => {
          entry.hungSince = undefined;
        });
      }
      record = attempt === 1 ? execution.record : { ...execution.record, scheduledAt: record?.scheduledAt ?? execution.record.scheduledAt, lagMs: record?.lagMs ?? 0 };
      if (record.status !== 'down' || attempt === attemptsAllowed || stopController.signal.aborted) break;
      try {
        await sleep(clock, backoffDelay(attempt, { initialDelayMs: entry.retryDelayMs, maxDelayMs: entry.timeoutMs * 4, jitter: 0.1 }), stopController.signal);
      } catch {
        break;
      }
      if (entry.hungSince !== undefined) break;
    }
    return record as ResultRecord;
  };

  /** The result for a run skipped because the previous one never settled. */
  const hungRecord = (entry: CheckEntry, scheduledAt: number | undefined): ResultRecord => {
    const now = clock.now();
    const { definition } = entry;
    return {
      type: 'result',
      checkId: definition.id,
      checkType: definition.check.meta.type,
      target: definition.check.target,
      tags: definition.tags ?? {},
      status: 'unknown',
      reason: 'timeout',
      message: `not run: an earlier run has not settled since ${new Date(entry.hungSince ?? now).toISOString()} (the check ignores its timeout signal)`,
      durationMs: 0,
      phases: {},
      metrics: [],
      details: undefined,
      timestamp: now,
      scheduledAt: scheduledAt ?? now,
      lagMs: Math.max(0, now - (scheduledAt ?? now)),
      attempts: 0,
    };
  };

  const runEntry = (entry: CheckEntry, scheduledAt: number | undefined): Promise<ResultRecord> => {
    const previous = entry.lock;
    const run = previous.then(() => (entry.hungSince === undefined ? execute(entry, scheduledAt) : hungRecord(entry, scheduledAt)));
    entry.lock = run.catch(() => undefined);
    return run.then((record) => {
      try {
        processRecord(record);
      } catch (error) {
        reportError(`processing result of ${entry.definition.id}`, error);
      }
      return record;
    });
  };

  const scheduleEntry = (entry: CheckEntry): void => {
    const { definition } = entry;
    scheduler.schedule(
      {
        id: definition.id,
        target: definition.check.target,
        overlap: definition.overlap ?? 'skip',
        run: async (jobRun: JobRun) => {
          entry.lagSeries ??= metrics.series({ checkId: definition.id, metric: 'lag', tags: definition.tags });
          entry.lagSeries.record(jobRun.lagMs);
          safeEmit('scheduler:lag', { checkId: definition.id, lagMs: jobRun.lagMs, scheduledAt: jobRun.scheduledAt });
          await runEntry(entry, jobRun.scheduledAt);
        },
      },
      entry.trigger,
    );
  };

  const addCheck = (definition: MonitorCheckDefinition, path = `checks[${entries.size}]`): void => {
    if (state === 'stopping' || state === 'stopped') throw new VigilError('VIGIL_ERR_STATE', '[core] cannot add checks to a stopped monitor');
    if (typeof definition.id !== 'string' || definition.id.length === 0) {
      throw new VigilError('VIGIL_ERR_CONFIG', `[core] config: ${path}.id: expected a non-empty string`, { path: `${path}.id` });
    }
    if (entries.has(definition.id)) {
      throw new VigilError('VIGIL_ERR_CONFIG', `[core] config: ${path}.id: duplicate check id "${definition.id}"`, { path: `${path}.id` });
    }
    if (!definition.check || typeof definition.check.run !== 'function') {
      throw new VigilError('VIGIL_ERR_CONFIG', `[core] config: ${path}.check: expected a Check (an object with run())`, { path: `${path}.check` });
    }
    const timeoutMs = parseDuration(definition.timeout ?? 10_000, `${path}.timeout`);
    if (timeoutMs <= 0) throw new VigilError('VIGIL_ERR_CONFIG', `[core] config: ${path}.timeout: expected a positive duration`, { path: `${path}.timeout` });
    if (definition.retries !== undefined && (!Number.isInteger(definition.retries) || definition.retries < 0)) {
      throw new VigilError('VIGIL_ERR_CONFIG', `[core] config: ${path}.retries: expected a non-negative integer`, { path: `${path}.retries` });
    }
    const entry: CheckEntry = {
      definition,
      timeoutMs,
      retryDelayMs: parseDuration(definition.retryDelay ?? 1_000, `${path}.retryDelay`),
      trigger: triggerOf(definition, path),
      last: undefined,
      lock: Promise.resolve(),
      hungSince: undefined,
      logger: logger.child({ check: definition.id }),
      durationSeries: undefined,
      lagSeries: undefined,
    };
    entries.set(definition.id, entry);
    if (state === 'running' && definition.enabled !== false) scheduleEntry(entry);
  };

  for (const [index, definition] of (options.checks ?? []).entries()) addCheck(definition, `checks[${index}]`);

  const collectSnapshots = (includeOpen: boolean): void => {
    try {
      const snapshots = metrics.collectSnapshots(clock.now(), { includeOpen });
      for (const snapshot of snapshots) for (const sink of sinks) sink.enqueue(snapshot);
    } catch (error) {
      reportError('metrics snapshots', error);
    }
  };

  const armSnapshotTimer = (): void => {
    const now = clock.now();
    const nextBoundary = Math.floor(now / snapshotIntervalMs) * snapshotIntervalMs + snapshotIntervalMs;
    snapshotTimer = clock.setTimeout(() => {
      collectSnapshots(false);
      if (state === 'running') armSnapshotTimer();
    }, nextBoundary - now + 1);
  };

  const armAlertTimer = (): void => {
    alertTimer = clock.setTimeout(() => {
      const context = ruleContext();
      for (const rule of rules) {
        try {
          if (rule.tick) handleAlertEvents(rule.tick(context));
        } catch (error) {
          reportError(`alert rule ${rule.id}`, error);
        }
      }
      try {
        dispatchRouted(policy.tick(clock.now()));
      } catch (error) {
        reportError('notification policy', error);
      }
      if (state === 'running') armAlertTimer();
    }, alertTickMs);
  };

  const withTimeout = async (promise: Promise<unknown>, ms: number): Promise<boolean> => {
    let timer: TimerHandle | undefined;
    const expired = new Promise<boolean>((resolve) => {
      timer = clock.setTimeout(() => resolve(false), ms);
    });
    const done = await Promise.race([promise.then(() => true, () => true), expired]);
    clock.clearTimeout(timer);
    return done;
  };

  const monitor = emitter as Monitor;
  Object.assign(monitor, {
    metrics,
    alerts: policy,
    start() {
      if (state === 'stopping' || state === 'stopped') return Promise.reject(new VigilError('VIGIL_ERR_STATE', '[core] a stopped monitor cannot be started again'));
      startPromise ??= (async () => {
        state = 'starting';
        await Promise.all([...sinks.map((sink) => sink.start()), ...notifiers.map((dispatcher) => dispatcher.start())]);
        for (const entry of entries.values()) if (entry.definition.enabled !== false) scheduleEntry(entry);
        state = 'running';
        scheduler.start();
        armSnapshotTimer();
        // The alert manager's tick sends closed groups, repeats and escalations; rules' ticks run `for` durations.
        if (rules.length > 0) armAlertTimer();
        logger.info('monitor started', { checks: entries.size, sinks: sinks.length, notifiers: notifiers.length });
      })();
      return startPromise;
    },
    stop() {
      stopPromise ??= (async () => {
        if (startPromise) await startPromise.catch(() => undefined);
        state = 'stopping';
        if (snapshotTimer !== undefined) clock.clearTimeout(snapshotTimer);
        if (alertTimer !== undefined) clock.clearTimeout(alertTimer);
        const deadline = clock.monotonicNow() + stopTimeoutMs;
        const remaining = (): number => Math.max(0, deadline - clock.monotonicNow());
        // 1. Stop scheduling and let in-flight checks finish; abort them at the deadline.
        const drained = await withTimeout(scheduler.stop(), remaining());
        if (!drained) {
          logger.warn('checks still running at the stop deadline; aborting them');
          stopController.abort();
          await withTimeout(scheduler.stop(), 2_000);
        }
        stopController.abort();
        // 2. Close the open HDR interval so no samples are lost.
        collectSnapshots(true);
        // Alert groups still waiting for their window go out now, before notifiers drain.
        try {
          dispatchRouted(policy.flush(clock.now()));
        } catch (error) {
          reportError('notification policy', error);
        }
        // 3. Flush and shut down sinks, then notifiers (alerts raised above still go out).
        await Promise.all(sinks.map((sink) => sink.shutdown({ timeoutMs: Math.max(1_000, remaining()) })));
        await Promise.all(notifiers.map((notifier) => notifier.shutdown({ timeoutMs: Math.max(1_000, remaining()) })));
        // 4. Release checks' own resources.
        await Promise.all(
          [...entries.values()].map(async (entry) => {
            try {
              await entry.definition.check.shutdown?.({ timeoutMs: 5_000 });
            } catch (error) {
              reportError(`shutdown of check ${entry.definition.id}`, error);
            }
          }),
        );
        state = 'stopped';
        logger.info('monitor stopped', { results: resultCount });
      })();
      return stopPromise;
    },
    async runOnce(checkId: string) {
      const entry = entries.get(checkId);
      if (!entry) throw new VigilError('VIGIL_ERR_CHECK_UNKNOWN', `[core] no check with id "${checkId}"`, { details: { checkId } });
      if (state === 'stopped') throw new VigilError('VIGIL_ERR_STATE', '[core] the monitor is stopped');
      return runEntry(entry, undefined);
    },
    addCheck: (definition: MonitorCheckDefinition) => addCheck(definition),
    async removeCheck(checkId: string) {
      const entry = entries.get(checkId);
      if (!entry) return false;
      scheduler.unschedule(checkId);
      entries.delete(checkId);
      metrics.remove(checkId);
      metrics.remove(`${checkId}/lag`);
      await entry.lock;
      try {
        await entry.definition.check.shutdown?.();
      } catch (error) {
        reportError(`shutdown of check ${checkId}`, error);
      }
      return true;
    },
    checks(): CheckState[] {
      return [...entries.values()].map((entry) => ({
        id: entry.definition.id,
        type: entry.definition.check.meta.type,
        target: entry.definition.check.target,
        tags: entry.definition.tags ?? {},
        enabled: entry.definition.enabled !== false,
        last: entry.last,
        nextRunAt: scheduler.nextRunAt(entry.definition.id),
      }));
    },
    stats(): MonitorStats {
      return {
        checks: entries.size,
        results: resultCount,
        sinks: Object.fromEntries(sinks.map((sink) => [sink.id, sink.stats()])),
        notifiers: Object.fromEntries(notifiers.map((notifier) => [notifier.id, notifier.stats()])),
        scheduler: scheduler.stats(),
      };
    },
  });
  // Plugins that need the monitor (Prometheus health, a Telegram bot's commands) get this view.
  const view: MonitorView = Object.freeze({
    stats: () => monitor.stats(),
    checks: () => monitor.checks(),
    runOnce: (checkId: string) => monitor.runOnce(checkId),
    alerts: monitor.alerts,
    metrics,
  });
  for (const sink of sinks) {
    try {
      sink.sink.bindMonitor?.(view);
    } catch (error) {
      reportError(`bindMonitor of sink ${sink.id}`, error);
    }
  }
  for (const dispatcher of notifiers) {
    try {
      dispatcher.notifier.bindMonitor?.(view);
    } catch (error) {
      reportError(`bindMonitor of notifier ${dispatcher.id}`, error);
    }
  }
  return monitor;
}
