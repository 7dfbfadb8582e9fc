import { expect } from 'vitest';
import { VigilError, createPluginRegistry } from '@vigil/core';
import type { PluginDefinition, PluginKind } from '@vigil/core';

/** Asserts a plugin definition registers cleanly (meta, core range, schema, factory). */
export function expectValidPlugin(plugin: PluginDefinition, kind: PluginKind): void {
  expect(plugin.meta.kind).toBe(kind);
  expect(plugin.meta.name).toMatch(/\S/);
  expect(() => createPluginRegistry([plugin])).not.toThrow();
}

/** Asserts that creating the plugin with `options` fails with a config error naming a field. */
export function expectConfigError(plugin: PluginDefinition, options: unknown): void {
  let caught: unknown;
  try {
    plugin.create(options as never);
  } catch (error) {
    caught = error;
  }
  expect(VigilError.hasCode(caught, 'VIGIL_ERR_CONFIG'), `create(${JSON.stringify(options)}) should throw VIGIL_ERR_CONFIG, got ${String(caught)}`).toBe(true);
  expect((caught as VigilError).message.length).toBeGreaterThan(10);
}

/** Resolves with the promise's outcome, or with 'pending' if it has not settled within `ms`. */
export async function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<{ settled: true; value?: T; error?: unknown } | { settled: false }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ settled: false }>((resolve) => {
    timer = setTimeout(() => resolve({ settled: false }), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ settled: true as const, value }),
        (error: unknown) => ({ settled: true as const, error }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
