import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { PluginDefinition } from '../contracts/plugin.js';
import { VigilError } from '../errors/vigil-error.js';
import { createPluginRegistry } from './registry.js';

function checkPlugin(type: string, overrides: Partial<PluginDefinition['meta']> = {}): PluginDefinition {
  return {
    meta: { name: `@example/${type}`, kind: 'check', type, coreRange: '^0.1.0', ...overrides },
    optionsSchema: z.strictObject({ port: z.number().int().positive() }),
    create: (options) => ({ created: options }),
  };
}

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return VigilError.isInstance(error) ? error.code : 'not-a-vigil-error';
  }
  return undefined;
}

describe('createPluginRegistry', () => {
  it('registers, lists and creates with validated options', () => {
    const registry = createPluginRegistry([checkPlugin('tcp')]);
    expect(registry.list('check').map((entry) => entry.meta.type)).toEqual(['tcp']);
    expect(registry.create('check', 'tcp', { port: 80 })).toEqual({ created: { port: 80 } });
  });

  it('rejects duplicates, incompatible core ranges, missing dependencies and bad meta with codes', () => {
    const registry = createPluginRegistry([checkPlugin('tcp')]);
    expect(codeOf(() => registry.register(checkPlugin('tcp')))).toBe('VIGIL_ERR_PLUGIN_DUPLICATE');
    expect(codeOf(() => registry.register(checkPlugin('http', { coreRange: '^2.0.0' })))).toBe('VIGIL_ERR_PLUGIN_INCOMPATIBLE');
    expect(codeOf(() => registry.register(checkPlugin('smp', { dependencies: ['check:tls'] })))).toBe('VIGIL_ERR_PLUGIN_DEPENDENCY');
    expect(codeOf(() => registry.register(checkPlugin('Bad Type')))).toBe('VIGIL_ERR_CONFIG');
    expect(codeOf(() => registry.register(checkPlugin('x', { coreRange: 'not a range' })))).toBe('VIGIL_ERR_CONFIG');
    // The same type under another kind is fine.
    registry.register({ ...checkPlugin('tcp'), meta: { ...checkPlugin('tcp').meta, kind: 'sink' } });
    expect(registry.list()).toHaveLength(2);
  });

  it('names the config path for unknown types and bad options', () => {
    const registry = createPluginRegistry([checkPlugin('tcp')]);
    try {
      registry.create('check', 'gopher', {}, 'checks[4]');
      expect.unreachable();
    } catch (error) {
      expect(VigilError.hasCode(error, 'VIGIL_ERR_PLUGIN_UNKNOWN')).toBe(true);
      expect((error as Error).message).toContain('checks[4]: unknown check type "gopher"; known: tcp');
    }
    try {
      registry.create('check', 'tcp', { port: -1 }, 'checks[1]');
      expect.unreachable();
    } catch (error) {
      expect((error as VigilError).path).toBe('checks[1].port');
    }
  });
});
