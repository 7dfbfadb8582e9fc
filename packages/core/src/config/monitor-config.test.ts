import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { PluginDefinition } from '../contracts/plugin.js';
import { VigilError } from '../errors/vigil-error.js';
import { createPluginRegistry } from '../plugins/registry.js';
import { interpolateEnv } from './interpolate.js';
import { loadMonitorConfig, monitorOptionsFromConfig, parseMonitorConfig } from './monitor-config.js';

const fakeTcpPlugin: PluginDefinition = {
  meta: { name: '@example/tcp', kind: 'check', type: 'tcp', coreRange: '^0.1.0' },
  optionsSchema: z.strictObject({ host: z.string(), port: z.number().int().min(1).max(65_535) }),
  create: (options) => ({ specificationVersion: 'v1', meta: fakeTcpPlugin.meta, target: JSON.stringify(options), run: async () => ({ status: 'up', reason: 'ok' }) }),
};

function errorOf(action: () => unknown): VigilError {
  try {
    action();
  } catch (error) {
    if (VigilError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a VigilError');
}

const directory = await mkdtemp(path.join(tmpdir(), 'vigil-config-'));
afterAll(() => rm(directory, { recursive: true, force: true }));

describe('parseMonitorConfig', () => {
  it('accepts a valid config and applies defaults', () => {
    const { config } = parseMonitorConfig({ checks: [{ id: 'web', type: 'tcp', host: '127.0.0.1', port: 80, interval: '30s' }] });
    expect(config.checks[0]?.interval).toBe('30s');
    expect(config.rules).toEqual([]);
  });

  it.each([
    [{ checks: [{ id: 'web', type: 'tcp', interval: -5 }] }, 'checks[0].interval', /non-negative|positive|>=0|too small/i],
    [{ checks: [{ id: 'web', type: 'tcp', interval: '0s' }] }, 'checks[0].interval', /positive/],
    [{ checks: [{ id: 'web', type: 'tcp', timeout: 'soon' }] }, 'checks[0].timeout', /duration/],
    [{ checks: [{ id: 'web', type: 'tcp', cron: '61 * * * *' }] }, 'checks[0].cron', /cron/],
    [{ checks: [{ id: 'web', type: 'tcp', retries: 'two' }] }, 'checks[0].retries', /number/],
    [{ checks: [{ id: 'web', type: 'tcp' }, { id: 'web', type: 'tcp' }] }, 'checks[1].id', /duplicate/],
    [{ checks: [{ type: 'tcp' }] }, 'checks[0].id', /./],
    [{ monitor: { concurrency: 0 } }, 'monitor.concurrency', /./],
    [{ colour: 'blue' }, '(root)', /colour/],
  ])('rejects %j naming %s', (input, path, message) => {
    const error = errorOf(() => parseMonitorConfig(input));
    expect(error.code).toBe('VIGIL_ERR_CONFIG');
    expect(error.message).toContain(path === '(root)' ? 'colour' : path);
    expect(error.message).toMatch(message);
  });

  it('fails clearly on a missing environment variable, naming the field and the variable', () => {
    const error = errorOf(() => parseMonitorConfig({ notifiers: [{ type: 'telegram', token: '${BOT_TOKEN}' }] }, { env: {} }));
    expect(error.code).toBe('VIGIL_ERR_CONFIG_ENV');
    expect(error.message).toContain('notifiers[0].token');
    expect(error.message).toContain('BOT_TOKEN');
  });
});

describe('interpolateEnv', () => {
  it('substitutes variables and defaults, keeps $$ literal and collects secrets', () => {
    const { value, secrets } = interpolateEnv(
      { url: 'socks5://${PROXY_HOST:-127.0.0.1}:9050', token: '${TOKEN}', price: '$$5', nested: [{ password: 'hunter22' }] },
      { TOKEN: '123:abc' },
    );
    expect(value).toEqual({ url: 'socks5://127.0.0.1:9050', token: '123:abc', price: '$5', nested: [{ password: 'hunter22' }] });
    expect(secrets).toEqual(expect.arrayContaining(['123:abc', 'hunter22']));
    expect(secrets).not.toContain('127.0.0.1');
  });
});

describe('loadMonitorConfig and monitorOptionsFromConfig', () => {
  it('loads YAML, creates plugins through the registry and names bad plugin fields', async () => {
    const file = path.join(directory, 'vigil.yaml');
    await writeFile(file, ['defaults:', '  interval: 10s', '  tags: { env: test }', 'checks:', '  - id: web', '    type: tcp', '    host: 127.0.0.1', '    port: ${WEB_PORT}', ''].join('\n'));
    const loaded = await loadMonitorConfig(file, { env: { WEB_PORT: '8080' } });
    // Interpolation yields a string; the plugin's schema sees it and reports the field.
    const registry = createPluginRegistry([fakeTcpPlugin]);
    const error = errorOf(() => monitorOptionsFromConfig(loaded.config, registry));
    expect(error.path).toBe('checks[0].port');

    await writeFile(file, ['defaults: { interval: 10s, tags: { env: test } }', 'checks:', '  - { id: web, type: tcp, host: 127.0.0.1, port: 8080, tags: { role: api } }', ''].join('\n'));
    const options = monitorOptionsFromConfig((await loadMonitorConfig(file)).config, registry);
    expect(options.checks?.[0]).toMatchObject({ id: 'web', interval: '10s', tags: { env: 'test', role: 'api' } });
  });

  it('names an unknown check type', async () => {
    const registry = createPluginRegistry([fakeTcpPlugin]);
    const { config } = parseMonitorConfig({ checks: [{ id: 'a', type: 'tcp', host: 'x', port: 1 }, { id: 'b', type: 'gopher' }] });
    const error = errorOf(() => monitorOptionsFromConfig(config, registry));
    expect(error.code).toBe('VIGIL_ERR_PLUGIN_UNKNOWN');
    expect(error.message).toContain('checks[1]: unknown check type "gopher"');
  });

  it('reports unreadable and malformed files', async () => {
    await expect(loadMonitorConfig(path.join(directory, 'missing.yaml'))).rejects.toSatisfy((error: unknown) => VigilError.hasCode(error, 'VIGIL_ERR_CONFIG_FILE'));
    const file = path.join(directory, 'broken.json');
    await writeFile(file, '{ "checks": [');
    await expect(loadMonitorConfig(file)).rejects.toThrow(/not valid JSON/);
  });
});
