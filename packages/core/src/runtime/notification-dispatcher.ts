import type { Notification, Notifier, SendResult } from '../contracts/notifier.js';
import { VigilError, describeError } from '../errors/vigil-error.js';
import { type Clock, type TimerHandle, systemClock } from '../util/clock.js';
import { type Logger, silentLogger } from '../util/logger.js';
import { redactText } from '../util/redact.js';
import { type BackoffOptions, backoffDelay } from './backoff.js';

export interface NotificationDispatcherOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Notifications waiting per notifier; past it the oldest is dropped and recorded. Default 1,000. */
  readonly maxQueueSize?: number;
  /** Each send is aborted after this long; default 15 s. */
  readonly sendTimeoutMs?: number;
  /** Attempts per notification before it is recorded as failed; default 6. */
  readonly maxAttempts?: number;
  readonly retry?: BackoffOptions;
  readonly random?: () => number;
  /** How many finally failed deliveries to remember; default 100. */
  readonly failedHistorySize?: number;
  readonly onError?: (error: unknown, notificationId: string, retryInMs: number | undefined) => void;
  readonly onFailed?: (delivery: FailedDelivery) => void;
  readonly onSent?: (notificationId: string, result: Extract<SendResult, { kind: 'sent' }>) => void;
}

/** A notification that could not be delivered after every attempt. */
export interface FailedDelivery {
  readonly notifier: string;
  readonly notificationId: string;
  readonly attempts: number;
  readonly error: string;
  readonly at: number;
  readonly cause: 'failed' | 'attempts_exhausted' | 'overflow' | 'shutdown';
}

export interface NotificationDispatcherStats {
  readonly queued: number;
  readonly sent: number;
  readonly failed: number;
  readonly retries: number;
}

/** Delivers notifications to one notifier, in order, one at a time, with timeouts and retries. */
export interface NotificationDispatcher {
  readonly notifier: Notifier;
  /** Starts the notifier now (e.g. a bot's polling); on failure it is started again before the next send. Never rejects. */
  start(): Promise<void>;
  dispatch(notification: Notification): void;
  /** Resolves when the queue is empty or `timeoutMs` passed. */
  flush(options?: { timeoutMs?: number }): Promise<void>;
  /** Flushes, then shuts the notifier down. Idempotent. */
  shutdown(options?: { timeoutMs?: number }): Promise<void>;
  /** The most recent deliveries that finally failed. */
  failedDeliveries(): readonly FailedDelivery[];
  stats(): NotificationDispatcherStats;
}

interface Pending {
  readonly notification: Notification;
  attempts: number;
}

/** Creates the delivery queue for one notifier. */
export function createNotificationDispatcher(notifier: Notifier, options: NotificationDispatcherOptions = {}): NotificationDispatcher {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const maxQueueSize = options.maxQueueSize ?? 1_000;
  const sendTimeoutMs = options.sendTimeoutMs ?? 15_000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 6);
  const historySize = options.failedHistorySize ?? 100;
  const random = options.random ?? Math.random;
  const label = notifier.meta.type;

  const queue: Pending[] = [];
  const failed: FailedDelivery[] = [];
  const drainWaiters = new Set<() => void>();
  let sending = false;
  let retryTimer: TimerHandle | undefined;
  let closed = false;
  let started = notifier.start === undefined;
  let shutdownPromise: Promise<void> | undefined;
  let sentCount = 0;
  let retries = 0;

  const recordFailure = (pending: Pending, error: unknown, cause: FailedDelivery['cause']): void => {
    const delivery: FailedDelivery = {
      notifier: label,
      notificationId: pending.notification.id,
      attempts: pending.attempts,
      error: redactText(describeError(error)),
      at: clock.now(),
      cause,
    };
    failed.push(delivery);
    if (failed.length > historySize) failed.shift();
    logger.error('notification delivery failed', { ...delivery });
    try {
      options.onFailed?.(delivery);
    } catch {
      // Observers must not break delivery.
    }
  };

  const notifyDrained = (): void => {
    if (queue.length > 0 || sending) return;
    for (const resolve of drainWaiters) resolve();
    drainWaiters.clear();
  };

  const sendOne = async (pending: Pending): Promise<SendResult> => {
    const controller = new AbortController();
    const timer = clock.setTimeout(() => {
      controller.abort(new VigilError('VIGIL_ERR_TIMEOUT', `[core] notifier ${label}: send timed out after ${sendTimeoutMs} ms`, { reason: 'timeout' }));
    }, sendTimeoutMs);
    try {
      if (!started) {
        await notifier.start?.({ signal: controller.signal });
        started = true;
      }
      return await notifier.send(pending.notification, { signal: controller.signal });
    } catch (error) {
      return { kind: 'retryable', error };
    } finally {
      clock.clearTimeout(timer);
    }
  };

  const pump = async (): Promise<void> => {
    if (sending || retryTimer !== undefined) return;
    sending = true;
    try {
      while (queue.length > 0) {
        const pending = queue[0] as Pending;
        pending.attempts += 1;
        const result = await sendOne(pending);
        if (result.kind === 'sent') {
          queue.shift();
          sentCount += 1;
          try {
            options.onSent?.(pending.notification.id, result);
          } catch {
            // Observers must not break delivery.
          }
          continue;
        }
        if (result.kind === 'failed' || pending.attempts >= maxAttempts || closed) {
          queue.shift();
          recordFailure(pending, result.error ?? 'send failed', result.kind === 'failed' ? 'failed' : closed ? 'shutdown' : 'attempts_exhausted');
          continue;
        }
        retries += 1;
        const delay = Math.max(result.retryAfterMs ?? 0, backoffDelay(pending.attempts, options.retry, random));
        logger.warn('notification send failed; will retry', {
          notifier: label,
          notification: pending.notification.id,
          attempt: pending.attempts,
          retryInMs: Math.round(delay),
          error: redactText(describeError(result.error ?? 'retryable')),
        });
        try {
          options.onError?.(result.error, pending.notification.id, delay);
        } catch {
          // Observers must not break delivery.
        }
        retryTimer = clock.setTimeout(() => {
          retryTimer = undefined;
          void pump();
        }, delay);
        return;
      }
    } finally {
      sending = false;
      notifyDrained();
    }
  };

  const dispatcher: NotificationDispatcher = {
    notifier,
    async start() {
      if (started || closed) return;
      try {
        await notifier.start?.({ signal: AbortSignal.timeout(sendTimeoutMs) });
        started = true;
      } catch (error) {
        logger.warn('notifier start failed; will retry before the next send', { notifier: label, error: redactText(describeError(error)) });
      }
    },
    dispatch(notification) {
      if (closed) {
        recordFailure({ notification, attempts: 0 }, 'dispatcher is shut down', 'shutdown');
        return;
      }
      if (queue.length >= maxQueueSize) {
        const oldest = queue.shift() as Pending;
        recordFailure(oldest, `queue full (${maxQueueSize})`, 'overflow');
      }
      queue.push({ notification, attempts: 0 });
      void pump();
    },
    async flush(flushOptions = {}) {
      if (queue.length === 0 && !sending) return;
      if (retryTimer !== undefined) {
        clock.clearTimeout(retryTimer);
        retryTimer = undefined;
        void pump();
      }
      let timer: TimerHandle | undefined;
      await Promise.race([
        new Promise<void>((resolve) => drainWaiters.add(resolve)),
        new Promise<void>((resolve) => {
          timer = clock.setTimeout(resolve, flushOptions.timeoutMs ?? 30_000);
        }),
      ]);
      clock.clearTimeout(timer);
    },
    shutdown(shutdownOptions = {}) {
      shutdownPromise ??= (async () => {
        await dispatcher.flush(shutdownOptions);
        closed = true;
        if (retryTimer !== undefined) clock.clearTimeout(retryTimer);
        retryTimer = undefined;
        for (const pending of queue.splice(0)) recordFailure(pending, 'not delivered before shutdown', 'shutdown');
        try {
          await notifier.shutdown(shutdownOptions);
        } catch (error) {
          logger.error('notifier shutdown failed', { notifier: label, error: redactText(describeError(error)) });
        }
      })();
      return shutdownPromise;
    },
    failedDeliveries: () => [...failed],
    stats: () => ({ queued: queue.length, sent: sentCount, failed: failed.length, retries }),
  };
  return dispatcher;
}
