import { describe, expect, it } from 'vitest';
import { createFakeClock, createMemorySink, sampleResultRecord } from '@vigil/test-utils';
import type { SinkRecord } from '../contracts/sink.js';
import { createSinkProcessor } from './sink-processor.js';
import type { Spool } from './spool.js';

function records(count: number): SinkRecord[] {
  return Array.from({ length: count }, (_unused, index) => sampleResultRecord({ checkId: `c${index}`, durationMs: index }));
}

/** A real in-memory spool with a size bound, to exercise the processor's spool path. */
function createArraySpool(limit = Number.POSITIVE_INFINITY): Spool & { items: SinkRecord[] } {
  const items: SinkRecord[] = [];
  let droppedCount = 0;
  return {
    items,
    async append(batch) {
      for (const record of batch) {
        if (items.length >= limit) {
          items.shift();
          droppedCount += 1;
        }
        items.push(record);
      }
    },
    async peek(max) {
      return items.slice(0, max);
    },
    async remove(count) {
      items.splice(0, count);
    },
    size: () => items.length,
    dropped: () => droppedCount,
    async close() {},
  };
}

describe('createSinkProcessor', () => {
  it('writes a full batch at once and a partial batch after the flush interval', async () => {
    const clock = createFakeClock();
    const sink = createMemorySink({ maxBatchSize: 10 });
    const processor = createSinkProcessor(sink, { clock, flushIntervalMs: 1_000 });
    for (const record of records(25)) processor.enqueue(record);
    await clock.advance(0);
    expect(sink.batches.map((batch) => batch.length)).toEqual([10, 10]);
    await clock.advance(999);
    expect(sink.records).toHaveLength(20);
    await clock.advance(1);
    expect(sink.records).toHaveLength(25);
    expect(sink.records.map((record) => (record.type === 'result' ? record.checkId : ''))).toEqual(records(25).map((_r, index) => `c${index}`));
    expect(processor.stats()).toMatchObject({ queued: 0, written: 25, dropped: { overflow: 0, rejected: 0, shutdown: 0 } });
  });

  it('retries with exponential backoff and keeps order', async () => {
    const clock = createFakeClock();
    const sink = createMemorySink({ maxBatchSize: 5, script: [{ kind: 'retryable' }, { kind: 'throw' }, { kind: 'retryable' }] });
    const delays: number[] = [];
    const processor = createSinkProcessor(sink, {
      clock,
      random: () => 0.5,
      retry: { initialDelayMs: 100, multiplier: 2, jitter: 0 },
      onError: (_error, retryInMs) => delays.push(retryInMs),
    });
    for (const record of records(5)) processor.enqueue(record);
    await clock.advance(0);
    expect(sink.records).toHaveLength(0);
    await clock.advance(100);
    await clock.advance(200);
    expect(sink.records).toHaveLength(0);
    await clock.advance(400);
    expect(sink.records).toHaveLength(5);
    expect(delays).toEqual([100, 200, 400]);
    expect(processor.stats().failedWrites).toBe(3);
  });

  it('honours retryAfterMs when larger than the backoff', async () => {
    const clock = createFakeClock();
    const sink = createMemorySink({ maxBatchSize: 1, script: [{ kind: 'retryable', retryAfterMs: 5_000 }] });
    const processor = createSinkProcessor(sink, { clock, retry: { initialDelayMs: 10, jitter: 0 } });
    processor.enqueue(records(1)[0] as SinkRecord);
    await clock.advance(4_999);
    expect(sink.records).toHaveLength(0);
    await clock.advance(1);
    expect(sink.records).toHaveLength(1);
  });

  it('requeues the unaccepted part of a partial write and drops what was rejected', async () => {
    const clock = createFakeClock();
    const sink = createMemorySink({ maxBatchSize: 6, script: [{ kind: 'partial', acceptFirst: 3, rejectIndexes: [1] }] });
    const dropped: number[] = [];
    const processor = createSinkProcessor(sink, { clock, onDrop: (count) => dropped.push(count) });
    for (const record of records(6)) processor.enqueue(record);
    await clock.advance(0);
    const ids = sink.records.map((record) => (record.type === 'result' ? record.checkId : ''));
    expect(ids).toEqual(['c0', 'c2', 'c3', 'c4', 'c5']);
    expect(sink.batches[1]?.map((record) => (record.type === 'result' ? record.checkId : ''))).toEqual(['c3', 'c4', 'c5']);
    expect(dropped).toEqual([1]);
    expect(processor.stats().dropped.rejected).toBe(1);
  });

  it('times out a hanging write and retries it', async () => {
    const clock = createFakeClock();
    const sink = createMemorySink({ maxBatchSize: 2, script: [{ kind: 'hang' }] });
    const processor = createSinkProcessor(sink, { clock, writeTimeoutMs: 1_000, retry: { initialDelayMs: 100, jitter: 0 } });
    for (const record of records(2)) processor.enqueue(record);
    await clock.advance(1_000);
    expect(processor.stats().lastError).toMatch(/timed out/);
    await clock.advance(100);
    expect(sink.records).toHaveLength(2);
  });

  it('bounds memory: drops the oldest records past maxQueueSize and counts them', async () => {
    const clock = createFakeClock();
    const sink = createMemorySink({ maxBatchSize: 100, script: Array.from({ length: 50 }, () => ({ kind: 'retryable' as const })) });
    const processor = createSinkProcessor(sink, { clock, maxQueueSize: 10, retry: { initialDelayMs: 1_000, jitter: 0, maxDelayMs: 1_000 } });
    for (const record of records(25)) processor.enqueue(record);
    expect(processor.stats().queued).toBe(10);
    expect(processor.stats().dropped.overflow).toBe(15);
  });

  it('spools overflow during an outage and replays it in order when the sink is back', async () => {
    const clock = createFakeClock();
    const sink = createMemorySink({ maxBatchSize: 4, script: Array.from({ length: 5 }, () => ({ kind: 'retryable' as const })) });
    const spool = createArraySpool();
    const processor = createSinkProcessor(sink, { clock, maxQueueSize: 4, spool, retry: { initialDelayMs: 1_000, jitter: 0, multiplier: 1 } });
    for (const record of records(30)) {
      processor.enqueue(record);
      await clock.advance(10);
    }
    expect(processor.stats().queued).toBe(4);
    expect(processor.stats().spooled).toBe(26);
    expect(processor.stats().dropped.overflow).toBe(0);
    const flushing = processor.flush({ timeoutMs: 60_000 });
    await clock.advance(10_000);
    await flushing;
    expect(sink.records.map((record) => (record.type === 'result' ? record.checkId : ''))).toEqual(records(30).map((_r, index) => `c${index}`));
    expect(spool.items).toHaveLength(0);
  });

  it('flush bypasses the wait and shutdown is idempotent, refusing later records', async () => {
    const sink = createMemorySink({ maxBatchSize: 100 });
    const processor = createSinkProcessor(sink, { flushIntervalMs: 60_000 });
    for (const record of records(3)) processor.enqueue(record);
    await processor.flush();
    expect(sink.records).toHaveLength(3);
    const first = processor.shutdown();
    expect(processor.shutdown()).toBe(first);
    await first;
    expect(sink.shutdownCalls).toBe(1);
    processor.enqueue(records(1)[0] as SinkRecord);
    expect(processor.stats().dropped.shutdown).toBe(1);
  });

  it('shutdown gives up after its timeout and counts what it could not write', async () => {
    const clock = createFakeClock();
    const sink = createMemorySink({ maxBatchSize: 10, script: Array.from({ length: 100 }, () => ({ kind: 'retryable' as const })) });
    const processor = createSinkProcessor(sink, { clock, retry: { initialDelayMs: 100, jitter: 0 } });
    for (const record of records(3)) processor.enqueue(record);
    const done = processor.shutdown({ timeoutMs: 5_000 });
    await clock.advance(5_000);
    await done;
    expect(processor.stats().dropped.shutdown).toBe(3);
  });

  it('filters record types the sink does not accept', async () => {
    const sink = createMemorySink({ accepts: ['alert'] });
    const processor = createSinkProcessor(sink);
    processor.enqueue(records(1)[0] as SinkRecord);
    await processor.flush();
    expect(sink.batches).toHaveLength(0);
  });
});
