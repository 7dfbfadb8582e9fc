import { VigilError } from '@vigil/core';
import type { LifecycleOptions, Sink, SinkRecord, SinkRecordType, WriteOptions, WriteResult } from '@vigil/core';

/** What the next write should do; scripted outcomes let runtime tests exercise retries. */
export type MemorySinkBehaviour =
  | { readonly kind: 'success' }
  | { readonly kind: 'retryable'; readonly retryAfterMs?: number }
  | { readonly kind: 'partial'; readonly rejectIndexes?: readonly number[]; readonly acceptFirst?: number }
  | { readonly kind: 'throw'; readonly message?: string }
  | { readonly kind: 'hang' };

export interface MemorySinkOptions {
  readonly maxBatchSize?: number;
  readonly accepts?: readonly SinkRecordType[];
  /** Outcomes for the next writes, consumed one per write; afterwards every write succeeds. */
  readonly script?: readonly MemorySinkBehaviour[];
}

/** A real in-memory sink: stores what it accepts, and can be scripted to fail. */
export interface MemorySink extends Sink {
  readonly records: SinkRecord[];
  /** Every batch passed to write, accepted or not. */
  readonly batches: (readonly SinkRecord[])[];
  /** Appends outcomes for upcoming writes. */
  enqueueBehaviour(...behaviours: MemorySinkBehaviour[]): void;
  readonly shutdownCalls: number;
}

/** Creates an in-memory sink (the default test sink). */
export function createMemorySink(options: MemorySinkOptions = {}): MemorySink {
  const records: SinkRecord[] = [];
  const batches: (readonly SinkRecord[])[] = [];
  const script: MemorySinkBehaviour[] = [...(options.script ?? [])];
  let shutdownPromise: Promise<void> | undefined;
  let shutdownCalls = 0;

  const sink: MemorySink = {
    specificationVersion: 'v1',
    meta: { name: '@vigil/test-utils', kind: 'sink', type: 'memory', coreRange: '^0.1.0' },
    maxBatchSize: options.maxBatchSize ?? 1_000,
    accepts: options.accepts,
    records,
    batches,
    get shutdownCalls() {
      return shutdownCalls;
    },
    enqueueBehaviour: (...behaviours) => void script.push(...behaviours),
    async write(batch: readonly SinkRecord[], writeOptions: WriteOptions): Promise<WriteResult> {
      if (shutdownPromise) throw new VigilError('VIGIL_ERR_SHUT_DOWN', '[test-utils] memory sink: write after shutdown');
      batches.push([...batch]);
      const behaviour = script.shift() ?? { kind: 'success' };
      switch (behaviour.kind) {
        case 'success':
          records.push(...batch);
          return { kind: 'success' };
        case 'retryable':
          return { kind: 'retryable', error: new Error('scripted retryable failure'), retryAfterMs: behaviour.retryAfterMs };
        case 'throw':
          throw new Error(behaviour.message ?? 'scripted sink failure');
        case 'hang':
          return new Promise<WriteResult>((_resolve, reject) => {
            const abort = (): void => reject(writeOptions.signal.reason);
            if (writeOptions.signal.aborted) abort();
            else writeOptions.signal.addEventListener('abort', abort, { once: true });
          });
        case 'partial': {
          const rejectIndexes = new Set(behaviour.rejectIndexes ?? []);
          const acceptFirst = behaviour.acceptFirst ?? batch.length;
          const accepted: number[] = [];
          const rejected: { index: number; reason: string }[] = [];
          batch.forEach((record, index) => {
            if (rejectIndexes.has(index)) rejected.push({ index, reason: 'scripted rejection' });
            else if (index < acceptFirst) {
              accepted.push(index);
              records.push(record);
            }
          });
          return { kind: 'partial', accepted, rejected };
        }
      }
    },
    async flush() {},
    shutdown(_options?: LifecycleOptions) {
      shutdownCalls += 1;
      shutdownPromise ??= Promise.resolve();
      return shutdownPromise;
    },
  };
  return sink;
}
