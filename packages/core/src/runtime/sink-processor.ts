import type { Sink, SinkRecord, WriteResult } from '../contracts/sink.js';
import { VigilError, describeError } from '../errors/vigil-error.js';
import { type Clock, type TimerHandle, systemClock } from '../util/clock.js';
import { type Logger, silentLogger } from '../util/logger.js';
import { redactText } from '../util/redact.js';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import type { Spool } from './spool.js';

export interface SinkProcessorOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Records held in memory; past it records go to the spool, or the oldest are dropped. Default 10,000. */
  readonly maxQueueSize?: number;
  /** Largest batch per write; default the sink's own maxBatchSize. */
  readonly maxBatchSize?: number;
  /** A partial batch is written after this long; default 1,000 ms. */
  readonly flushIntervalMs?: number;
  /** Each write is aborted after this long and retried; default 10,000 ms. */
  readonly writeTimeoutMs?: number;
  readonly retry?: BackoffOptions;
  /** Overflow storage that keeps records through long outages (and restarts, if on disk). */
  readonly spool?: Spool;
  readonly random?: () => number;
  /** Told about failed writes; must not throw. */
  readonly onError?: (error: unknown, retryInMs: number) => void;
  /** Told about records that were dropped; must not throw. */
  readonly onDrop?: (count: number, cause: DropCause) => void;
}

/** Why records were dropped. */
export type DropCause = 'overflow' | 'rejected' | 'shutdown';

export interface SinkProcessorStats {
  readonly queued: number;
  readonly spooled: number;
  readonly written: number;
  readonly writes: number;
  readonly failedWrites: number;
  readonly dropped: Readonly<Record<DropCause, number>> & { readonly spool: number };
  readonly inFlight: boolean;
  readonly backoffUntil: number | undefined;
  readonly lastError: string | undefined;
}

/**
 * Sits between the runtime and one sink, like OpenTelemetry's batch processor and Telegraf's
 * output buffer: a bounded queue, batches flushed by size or timer, one write in flight, retries
 * with exponential backoff and jitter, requeue of the unaccepted part of partial writes, an
 * optional spool for overflow, and counts of anything dropped. `enqueue` never blocks or throws.
 */
export interface SinkProcessor {
  readonly sink: Sink;
  /** Starts the sink now; on failure the processor retries before its next write. Never rejects. */
  start(): Promise<void>;
  enqueue(record: SinkRecord): void;
  /** Writes everything queued (and spooled), retrying until done or `timeoutMs` passes. */
  flush(options?: { timeoutMs?: number }): Promise<void>;
  /** Flushes (bounded by `timeoutMs`), then shuts the sink down. Idempotent. */
  shutdown(options?: { timeoutMs?: number }): Promise<void>;
  stats(): SinkProcessorStats;
}

/** Creates the batching processor for one sink. */
export function createSinkProcessor(sink: Sink, options: SinkProcessorOptions = {}): SinkProcessor {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const maxQueueSize = Math.max(1, options.maxQueueSize ?? 10_000);
  const batchSize = Math.max(1, Math.min(options.maxBatchSize ?? sink.maxBatchSize, sink.maxBatchSize));
  const flushIntervalMs = options.flushIntervalMs ?? 1_000;
  const writeTimeoutMs = options.writeTimeoutMs ?? 10_000;
  const random = options.random ?? Math.random;
  const accepted = sink.accepts ? new Set(sink.accepts) : undefined;
  const spool = options.spool;

  let queue: SinkRecord[] = [];
  // Records waiting to be appended to the spool; while the spool holds anything, new records go
  // behind it so that order is kept.
  let spoolBuffer: SinkRecord[] = [];
  let spoolChain: Promise<void> = Promise.resolve();
  let spoolPending = 0;

  let flushTimer: TimerHandle | undefined;
  let retryTimer: TimerHandle | undefined;
  let backoffUntil: number | undefined;
  let failures = 0;
  let pumping = false;
  // A sink whose start() failed is started again (with backoff) before its next write.
  let started = sink.start === undefined;
  let urgent = false;
  let closed = false;
  let shutdownPromise: Promise<void> | undefined;
  const drainWaiters = new Set<() => void>();

  let written = 0;
  let writes = 0;
  let failedWrites = 0;
  let lastError: string | undefined;
  const dropped: Record<DropCause, number> = { overflow: 0, rejected: 0, shutdown: 0 };

  const drop = (count: number, cause: DropCause): void => {
    if (count <= 0) return;
    dropped[cause] += count;
    try {
      options.onDrop?.(count, cause);
    } catch {
      // Observers must not break the pipeline.
    }
  };

  const spooledCount = (): number => (spool ? spool.size() + spoolPending + spoolBuffer.length : 0);

  const notifyDrained = (): void => {
    if (queue.length > 0 || spooledCount() > 0) return;
    for (const resolve of drainWaiters) resolve();
    drainWaiters.clear();
  };

  const runSpool = (operation: () => Promise<void>): Promise<void> => {
    spoolChain = spoolChain.then(operation).catch((error: unknown) => {
      lastError = `spool: ${describeError(error)}`;
      logger.error('sink spool failed', { sink: sink.meta.type, error: lastError });
    });
    return spoolChain;
  };

  const moveBufferToSpool = (): void => {
    if (!spool || spoolBuffer.length === 0) return;
    const records = spoolBuffer;
    spoolBuffer = [];
    spoolPending += records.length;
    void runSpool(async () => {
      try {
        await spool.append(records);
      } finally {
        spoolPending -= records.length;
      }
    });
  };

  const schedule = (delayMs: number): void => {
    if (flushTimer !== undefined || closed) return;
    flushTimer = clock.setTimeout(() => {
      flushTimer = undefined;
      urgent = true;
      void pump();
    }, delayMs);
  };

  /** Refills the memory queue from the spool head, keeping order. */
  const refillFromSpool = async (): Promise<void> => {
    if (!spool) return;
    moveBufferToSpool();
    await spoolChain;
    if (spool.size() === 0) return;
    const room = maxQueueSize - queue.length;
    if (room <= 0) return;
    await runSpool(async () => {
      const records = await spool.peek(Math.min(room, batchSize * 4));
      await spool.remove(records.length);
      queue.push(...records);
    });
  };

  const writeBatch = async (batch: SinkRecord[]): Promise<WriteResult> => {
    const controller = new AbortController();
    const timer = clock.setTimeout(() => {
      controller.abort(new VigilError('VIGIL_ERR_SINK_TIMEOUT', `[core] sink ${sink.meta.type}: write timed out after ${writeTimeoutMs} ms`));
    }, writeTimeoutMs);
    try {
      return await sink.write(batch, { signal: controller.signal });
    } catch (error) {
      return { kind: 'retryable', error };
    } finally {
      clock.clearTimeout(timer);
    }
  };

  const enterBackoff = (error: unknown, retryAfterMs: number | undefined): void => {
    failures += 1;
    failedWrites += 1;
    const delay = Math.max(retryAfterMs ?? 0, backoffDelay(failures, options.retry, random));
    lastError = redactText(describeError(error ?? 'retryable write'));
    backoffUntil = clock.now() + delay;
    logger.warn('sink write failed; will retry', { sink: sink.meta.type, retryInMs: Math.round(delay), error: lastError });
    try {
      options.onError?.(error, delay);
    } catch {
      // Observers must not break the pipeline.
    }
    retryTimer = clock.setTimeout(() => {
      retryTimer = undefined;
      backoffUntil = undefined;
      urgent = true;
      void pump();
    }, delay);
  };

  const pump = async (): Promise<void> => {
    if (pumping) return;
    pumping = true;
    try {
      for (;;) {
        if (backoffUntil !== undefined) return;
        if (queue.length < batchSize) await refillFromSpool();
        if (queue.length === 0) {
          urgent = false;
          notifyDrained();
          return;
        }
        if (queue.length < batchSize && !urgent) {
          schedule(flushIntervalMs);
          return;
        }
        if (!started) {
          try {
            await sink.start?.({ signal: AbortSignal.timeout(writeTimeoutMs) });
            started = true;
          } catch (error) {
            enterBackoff(error, undefined);
            return;
          }
        }
        const batch = queue.slice(0, batchSize);
        writes += 1;
        const result = await writeBatch(batch);
        if (result.kind === 'success') {
          queue.splice(0, batch.length);
          written += batch.length;
          failures = 0;
          continue;
        }
        if (result.kind === 'partial') {
          const done = new Set<number>(result.accepted);
          for (const rejection of result.rejected) done.add(rejection.index);
          const acceptedCount = result.accepted.filter((index) => index >= 0 && index < batch.length).length;
          const rejectedCount = result.rejected.filter((index) => index.index >= 0 && index.index < batch.length).length;
          if (rejectedCount > 0) {
            logger.warn('sink rejected records permanently', {
              sink: sink.meta.type,
              rejected: rejectedCount,
              example: result.rejected[0]?.reason,
            });
          }
          const remaining = batch.filter((_record, index) => !done.has(index));
          queue.splice(0, batch.length, ...remaining);
          written += acceptedCount;
          drop(rejectedCount, 'rejected');
          if (acceptedCount + rejectedCount > 0) {
            // Progress: retry the unaccepted rest right away, in order.
            failures = 0;
            urgent = true;
            continue;
          }
          enterBackoff(new Error(`partial write accepted nothing: ${remaining.length} records to retry`), undefined);
          return;
        }
        enterBackoff(result.error, result.retryAfterMs);
        return;
      }
    } finally {
      pumping = false;
      // Records may have arrived while the last write was in flight.
      if (backoffUntil === undefined && !closed && (queue.length >= batchSize || (urgent && queue.length > 0))) void pump();
    }
  };

  const processor: SinkProcessor = {
    sink,
    async start() {
      if (started || closed) return;
      try {
        await sink.start?.({ signal: AbortSignal.timeout(writeTimeoutMs) });
        started = true;
      } catch (error) {
        lastError = redactText(describeError(error));
        logger.warn('sink start failed; will retry before the next write', { sink: sink.meta.type, error: lastError });
        try {
          options.onError?.(error, 0);
        } catch {
          // Observers must not break the pipeline.
        }
      }
      // Records from a previous run may wait in a persistent spool.
      if (spooledCount() > 0) schedule(0);
    },
    enqueue(record) {
      if (accepted && !accepted.has(record.type)) return;
      if (closed) {
        drop(1, 'shutdown');
        return;
      }
      if (spool && (spooledCount() > 0 || queue.length >= maxQueueSize)) {
        spoolBuffer.push(record);
        if (spoolBuffer.length >= batchSize) moveBufferToSpool();
        else schedule(0);
        return;
      }
      if (queue.length >= maxQueueSize) {
        queue.shift();
        drop(1, 'overflow');
      }
      queue.push(record);
      if (queue.length >= batchSize && backoffUntil === undefined) void pump();
      else schedule(flushIntervalMs);
    },
    async flush(flushOptions = {}) {
      moveBufferToSpool();
      if (queue.length === 0 && spooledCount() === 0) {
        await spoolChain;
        if (spooledCount() === 0) return;
      }
      const timeoutMs = flushOptions.timeoutMs ?? 30_000;
      const drained = new Promise<void>((resolve) => drainWaiters.add(resolve));
      let timer: TimerHandle | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = clock.setTimeout(resolve, timeoutMs);
      });
      // A flush retries now rather than waiting out the current backoff.
      if (retryTimer !== undefined) {
        clock.clearTimeout(retryTimer);
        retryTimer = undefined;
        backoffUntil = undefined;
      }
      urgent = true;
      void pump();
      await Promise.race([drained, timedOut]);
      clock.clearTimeout(timer);
    },
    shutdown(shutdownOptions = {}) {
      shutdownPromise ??= (async () => {
        const timeoutMs = shutdownOptions.timeoutMs ?? 30_000;
        await processor.flush({ timeoutMs });
        closed = true;
        if (flushTimer !== undefined) clock.clearTimeout(flushTimer);
        if (retryTimer !== undefined) clock.clearTimeout(retryTimer);
        flushTimer = undefined;
        retryTimer = undefined;
        // What could not be written is kept in the spool for the next start, else counted.
        if (spool && queue.length + spoolBuffer.length > 0) {
          const leftovers = [...queue, ...spoolBuffer];
          queue = [];
          spoolBuffer = [];
          await spoolChain;
          // Unwritten memory records are older than the spool's, but the spool only appends;
          // they are kept (order within a restart is best effort here).
          await runSpool(() => spool.append(leftovers));
        } else {
          drop(queue.length + spoolBuffer.length, 'shutdown');
          queue = [];
          spoolBuffer = [];
        }
        await spoolChain;
        for (const resolve of drainWaiters) resolve();
        drainWaiters.clear();
        try {
          await spool?.close();
        } catch (error) {
          logger.error('closing the sink spool failed', { sink: sink.meta.type, error: describeError(error) });
        }
        try {
          await sink.shutdown({ timeoutMs });
        } catch (error) {
          logger.error('sink shutdown failed', { sink: sink.meta.type, error: redactText(describeError(error)) });
        }
      })();
      return shutdownPromise;
    },
    stats() {
      return {
        queued: queue.length,
        spooled: spooledCount(),
        written,
        writes,
        failedWrites,
        dropped: { ...dropped, spool: spool?.dropped() ?? 0 },
        inFlight: pumping,
        backoffUntil,
        lastError,
      };
    },
  };
  return processor;
}
