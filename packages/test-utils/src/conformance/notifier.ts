import { afterAll, describe, expect, it } from 'vitest';
import { VigilError } from '@vigil/core';
import type { Notifier, PluginDefinition } from '@vigil/core';
import { sampleNotification } from '../samples.js';
import { expectConfigError, expectValidPlugin, settlesWithin } from './meta.js';

export interface NotifierConformanceFixture {
  /** A fresh notifier pointed at a real local receiver (not started yet). */
  readonly notifier: Notifier;
  /** How many messages the receiver got so far. */
  readonly receivedCount?: () => Promise<number>;
  readonly invalidOptions?: readonly unknown[];
  teardown(): Promise<void>;
}

export interface NotifierConformanceOptions {
  readonly plugin: PluginDefinition;
  /** Called once per test: each test gets its own notifier and receiver. */
  readonly setup: () => Promise<NotifierConformanceFixture>;
}

/** The conformance suite every notifier plugin runs first. */
export function testNotifier(options: NotifierConformanceOptions): void {
  describe(`notifier conformance: ${options.plugin.meta.type}`, () => {
    const fixtures: NotifierConformanceFixture[] = [];
    const open = async (): Promise<NotifierConformanceFixture> => {
      const fixture = await options.setup();
      fixtures.push(fixture);
      await fixture.notifier.start?.({ signal: AbortSignal.timeout(30_000) });
      return fixture;
    };
    afterAll(async () => {
      for (const fixture of fixtures) {
        await fixture.notifier.shutdown().catch(() => undefined);
        await fixture.teardown();
      }
    });

    it('declares valid metadata', async () => {
      expectValidPlugin(options.plugin, 'notifier');
      const { notifier } = await open();
      expect(notifier.specificationVersion).toBe('v1');
    });

    it('rejects invalid options with a config error', async () => {
      const fixture = await open();
      for (const invalid of fixture.invalidOptions ?? [{ unknownOptionThatNoPluginHas: true }]) expectConfigError(options.plugin, invalid);
    });

    it('sends a notification that the receiver gets', async () => {
      const fixture = await open();
      const before = (await fixture.receivedCount?.()) ?? 0;
      const result = await fixture.notifier.send(sampleNotification(), { signal: AbortSignal.timeout(30_000) });
      expect(result.kind).toBe('sent');
      if (fixture.receivedCount) expect(await fixture.receivedCount()).toBeGreaterThan(before);
    });

    it('settles when the send signal is already aborted', async () => {
      const fixture = await open();
      const controller = new AbortController();
      controller.abort(new VigilError('VIGIL_ERR_TIMEOUT', 'pre-aborted', { reason: 'timeout' }));
      const outcome = await settlesWithin(fixture.notifier.send(sampleNotification(), { signal: controller.signal }), 10_000);
      expect(outcome.settled).toBe(true);
      if (outcome.settled && !outcome.error) expect(outcome.value?.kind).not.toBe('sent');
    });

    it('shuts down twice, then refuses sends cleanly', async () => {
      const fixture = await open();
      const first = fixture.notifier.shutdown();
      const second = fixture.notifier.shutdown();
      await expect(first).resolves.toBeUndefined();
      await expect(second).resolves.toBeUndefined();
      await expect(fixture.notifier.send(sampleNotification(), { signal: AbortSignal.timeout(5_000) })).rejects.toSatisfy((error: unknown) =>
        VigilError.hasCode(error, 'VIGIL_ERR_SHUT_DOWN'),
      );
    });
  });
}
