import { afterAll, describe, expect, it } from 'vitest';
import { VigilError } from '@vigil/core';
import type { PluginDefinition, Sink, SinkRecord } from '@vigil/core';
import { sampleAlertRecord, sampleResultRecord, sampleSnapshotRecord } from '../samples.js';
import { expectConfigError, expectValidPlugin, settlesWithin } from './meta.js';

export interface SinkConformanceFixture {
  /** A fresh sink connected to a real backend (not started yet). */
  readonly sink: Sink;
  /** Reads back what the backend stores, as a count per record type, when the backend allows it. */
  readonly countStored?: () => Promise<Partial<Record<SinkRecord['type'], number>>>;
  readonly invalidOptions?: readonly unknown[];
  teardown(): Promise<void>;
}

export interface SinkConformanceOptions {
  readonly plugin: PluginDefinition;
  /** Called once per test: each test gets its own sink instance. */
  readonly setup: () => Promise<SinkConformanceFixture>;
}

function sampleBatch(sink: Sink, size: number): SinkRecord[] {
  const accepts = sink.accepts ?? ['result', 'snapshot', 'alert'];
  const batch: SinkRecord[] = [];
  for (let index = 0; index < size; index += 1) {
    const type = accepts[index % accepts.length];
    if (type === 'result') batch.push(sampleResultRecord({ checkId: `check-${index % 3}` }));
    else if (type === 'snapshot') batch.push(sampleSnapshotRecord([1 + index, 2 + index, 40], { start: Date.UTC(2026, 0, 1, 0, index) }));
    else batch.push(sampleAlertRecord());
  }
  return batch;
}

/** The conformance suite every sink plugin runs first. */
export function testSink(options: SinkConformanceOptions): void {
  describe(`sink conformance: ${options.plugin.meta.type}`, () => {
    const fixtures: SinkConformanceFixture[] = [];
    const open = async (): Promise<SinkConformanceFixture> => {
      const fixture = await options.setup();
      fixtures.push(fixture);
      await fixture.sink.start?.({ signal: AbortSignal.timeout(30_000) });
      return fixture;
    };
    afterAll(async () => {
      for (const fixture of fixtures) {
        await fixture.sink.shutdown().catch(() => undefined);
        await fixture.teardown();
      }
    });

    it('declares valid metadata and a positive maxBatchSize', async () => {
      expectValidPlugin(options.plugin, 'sink');
      const { sink } = await open();
      expect(sink.specificationVersion).toBe('v1');
      expect(Number.isInteger(sink.maxBatchSize) && sink.maxBatchSize > 0).toBe(true);
    });

    it('rejects invalid options with a config error', async () => {
      const fixture = await open();
      for (const invalid of fixture.invalidOptions ?? [{ unknownOptionThatNoPluginHas: true }]) expectConfigError(options.plugin, invalid);
    });

    it('stores a batch of every accepted record type', async () => {
      const fixture = await open();
      const batch = sampleBatch(fixture.sink, Math.min(fixture.sink.maxBatchSize, 30));
      const result = await fixture.sink.write(batch, { signal: AbortSignal.timeout(30_000) });
      expect(result.kind === 'success' || (result.kind === 'partial' && result.accepted.length === batch.length)).toBe(true);
      await fixture.sink.flush?.();
      if (fixture.countStored) {
        const stored = await fixture.countStored();
        const expected: Partial<Record<SinkRecord['type'], number>> = {};
        for (const record of batch) expected[record.type] = (expected[record.type] ?? 0) + 1;
        for (const [type, count] of Object.entries(expected)) expect(stored[type as SinkRecord['type']], `stored ${type} records`).toBe(count);
      }
    });

    it('accepts a full batch of maxBatchSize records', async () => {
      const fixture = await open();
      const batch = sampleBatch(fixture.sink, Math.min(fixture.sink.maxBatchSize, 2_000));
      const result = await fixture.sink.write(batch, { signal: AbortSignal.timeout(60_000) });
      expect(result.kind).not.toBe('retryable');
    });

    it('settles when the write signal is already aborted', async () => {
      const fixture = await open();
      const controller = new AbortController();
      controller.abort(new VigilError('VIGIL_ERR_SINK_TIMEOUT', 'pre-aborted'));
      const outcome = await settlesWithin(fixture.sink.write(sampleBatch(fixture.sink, 3), { signal: controller.signal }), 10_000);
      expect(outcome.settled).toBe(true);
    });

    it('flushes and shuts down twice, then refuses writes cleanly', async () => {
      const fixture = await open();
      await fixture.sink.flush?.();
      await fixture.sink.flush?.();
      const first = fixture.sink.shutdown();
      const second = fixture.sink.shutdown();
      await expect(first).resolves.toBeUndefined();
      await expect(second).resolves.toBeUndefined();
      await expect(fixture.sink.write(sampleBatch(fixture.sink, 1), { signal: AbortSignal.timeout(5_000) })).rejects.toSatisfy(
        (error: unknown) => VigilError.hasCode(error, 'VIGIL_ERR_SHUT_DOWN'),
      );
    });
  });
}

