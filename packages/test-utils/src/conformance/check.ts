import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VigilError, createDialer, createRunHistogram, executeCheck, isCheckResult, reasonCodes } from '@vigil/core';
import type { Check, CheckResult, PluginDefinition } from '@vigil/core';
import { createTestCheckContext } from './check-context.js';
import { expectConfigError, expectValidPlugin, settlesWithin } from './meta.js';

export interface CheckConformanceFixture {
  /** A check of a healthy target (real local server). */
  readonly up: Check;
  /** A check of a target that fails (refused port, error reply...). */
  readonly down: Check;
  /** A check of a target that accepts and never answers; must end with `timeout`. */
  readonly silent?: Check;
  /** Option objects the factory must reject with VIGIL_ERR_CONFIG. */
  readonly invalidOptions?: readonly unknown[];
  /** The status the healthy target yields; default `up`. */
  readonly upStatus?: CheckResult['status'];
  teardown(): Promise<void>;
}

export interface CheckConformanceOptions {
  readonly plugin: PluginDefinition;
  readonly setup: () => Promise<CheckConformanceFixture>;
  /** Timeout used for the silent-target case; default 400 ms. */
  readonly timeoutMs?: number;
}

/** The conformance suite every check plugin runs first. */
export function testCheck(options: CheckConformanceOptions): void {
  const timeoutMs = options.timeoutMs ?? 400;
  describe(`check conformance: ${options.plugin.meta.type}`, () => {
    let fixture: CheckConformanceFixture;
    beforeAll(async () => {
      fixture = await options.setup();
    });
    afterAll(async () => {
      await fixture?.teardown();
    });

    it('declares valid metadata and registers', () => {
      expectValidPlugin(options.plugin, 'check');
      for (const check of [fixture.up, fixture.down]) {
        expect(check.specificationVersion).toBe('v1');
        expect(check.meta.type).toBe(options.plugin.meta.type);
        expect(typeof check.target).toBe('string');
        expect(check.target.length).toBeGreaterThan(0);
        expect(Object.isFrozen(check) || typeof check.run === 'function').toBe(true);
      }
    });

    it('rejects invalid options with a config error naming the field', () => {
      for (const invalid of fixture.invalidOptions ?? [{ unknownOptionThatNoPluginHas: true }]) expectConfigError(options.plugin, invalid);
    });

    it('reports a healthy target as up with a valid, serialisable result', async () => {
      const result = await fixture.up.run(createTestCheckContext({ timeoutMs: 10_000 }));
      expect(isCheckResult(result), JSON.stringify(result)).toBe(true);
      expect(result.status).toBe(fixture.upStatus ?? 'up');
      expect(result.reason).toBe('ok');
      expect(JSON.parse(JSON.stringify(result))).toEqual(JSON.parse(JSON.stringify(result)));
    });

    it('reports a failing target as data, never as a throw', async () => {
      const result = await fixture.down.run(createTestCheckContext({ timeoutMs: 10_000 }));
      expect(isCheckResult(result), JSON.stringify(result)).toBe(true);
      expect(result.status).toBe('down');
      expect(result.reason).not.toBe('ok');
      expect(reasonCodes).toContain(result.reason);
      expect(result.message ?? '').not.toBe('');
    });

    it('honours the abort signal of a timeout against a silent target', async (context) => {
      if (!fixture.silent) {
        context.skip();
        return;
      }
      const started = performance.now();
      const outcome = await settlesWithin(fixture.silent.run(createTestCheckContext({ timeoutMs })), timeoutMs + 5_000);
      expect(outcome.settled, 'run() must settle once its signal aborts').toBe(true);
      if (outcome.settled) {
        expect(outcome.error, 'run() must resolve, not reject').toBeUndefined();
        expect(outcome.value?.reason).toBe('timeout');
        expect(outcome.value?.status).toBe('down');
      }
      expect(performance.now() - started).toBeGreaterThanOrEqual(timeoutMs - 50);
      // The runtime sees the same: a timeout the check reported itself (not a synthesized one).
      const execution = await executeCheck(fixture.silent, {
        checkId: 'conformance',
        timeoutMs,
        dialer: createDialer(),
        histogramFactory: createRunHistogram,
      });
      expect(execution.record.reason).toBe('timeout');
      expect(execution.record.status).toBe('down');
    });

    it('settles promptly when the signal is already aborted', async () => {
      const controller = new AbortController();
      controller.abort(new VigilError('VIGIL_ERR_TIMEOUT', 'pre-aborted', { reason: 'timeout' }));
      const outcome = await settlesWithin(fixture.up.run(createTestCheckContext({ signal: controller.signal })), 5_000);
      expect(outcome.settled).toBe(true);
      if (outcome.settled) {
        expect(outcome.error).toBeUndefined();
        expect(outcome.value?.status).not.toBe('up');
      }
    });

    it('runs independent instances concurrently (no shared mutable state)', async () => {
      const results = await Promise.all([fixture.up, fixture.down, fixture.up].map((check) => check.run(createTestCheckContext({ timeoutMs: 10_000 }))));
      expect(results.map((result) => result.status)).toEqual([fixture.upStatus ?? 'up', 'down', fixture.upStatus ?? 'up']);
    });

    it('can be shut down twice', async () => {
      const check = fixture.down;
      if (!check.shutdown) return;
      await check.shutdown();
      await expect(check.shutdown()).resolves.toBeUndefined();
    });
  });
}
