import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryNotifier } from '@vigil/test-utils';
import { z } from 'zod';
import type { PluginDefinition } from '../contracts/plugin.js';
import { VigilError } from '../errors/vigil-error.js';
import { createPluginRegistry } from '../plugins/registry.js';
import { interpolateEnv } from './interpolate.js';
import { loadMonitorConfig, monitorOptionsFromConfig, parseMonitorConfig } from './monitor-config.js';
import { createMonitor } from '../runtime/monitor.js';

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

describe('rules and alerting in a config file', () => {
  const memoryNotifierPlugin: PluginDefinition = {
    meta: { name: '@example/memory-notifier', kind: 'notifier', type: 'memory', coreRange: '^0.1.0' },
    optionsSchema: z.strictObject({}),
    create: () => createMemoryNotifier(),
  };

  it('builds every rule type and the alerting section into a working monitor', async () => {
    const file = path.join(directory, 'alerting.yaml');
    await writeFile(
      file,
      [
        'notifiers:',
        '  - { id: telegram, type: memory }',
        '  - { id: pager, type: memory }',
        'rules:',
        '  - { type: consecutiveFailures, failures: 3, successes: 2, link: "https://status.example/{checkId}" }',
        '  - { type: failureRatio, failures: 3, of: 5 }',
        '  - { type: failureRatio, id: ratio-window, ratio: 0.5, window: 10m }',
        '  - { type: latencyAbove, percentile: 99, window: 5m, thresholdMs: 500, criticalMs: 2000, for: 2m }',
        '  - { type: successRateBelow, threshold: 0.99, window: 1h, flapping: false }',
        '  - { type: metricThreshold, metric: audit_score, operator: "<", value: 0.96, recoverValue: 0.97 }',
        '  - { type: certificateExpiry, days: 21, matchers: ["tls=yes"] }',
        'alerting:',
        '  groupBy: [ruleId]',
        '  groupWindow: 30s',
        '  repeatInterval: 4h',
        '  routes:',
        '    - { matchers: ["severity=critical"], notifiers: [pager], continue: true }',
        '    - { notifiers: [telegram] }',
        '  escalations:',
        '    - { after: 15m, notifiers: [pager] }',
        '  maintenance:',
        '    - { name: backups, cron: "0 3 * * *", duration: 30m, timezone: Europe/Berlin, matchers: ["checkId=~db.*"] }',
        'monitor: { alertTickInterval: 1s }',
        '',
      ].join('\n'),
    );
    const { config } = await loadMonitorConfig(file);
    const options = monitorOptionsFromConfig(config, createPluginRegistry([memoryNotifierPlugin]));
    expect(options.rules?.map((rule) => `${rule.type}:${rule.id}`)).toEqual([
      'consecutiveFailures:consecutive-failures-3',
      'failureRatio:failure-ratio-3-of-5',
      'failureRatio:ratio-window',
      'latencyAbove:latency-p99-above-500ms',
      'successRateBelow:success-rate-below-0.99',
      'metricThreshold:metric-audit_score',
      'certificateExpiry:certificate-expiry-21d',
    ]);
    const monitor = createMonitor(options);
    expect(monitor.alerts.maintenanceWindows().map((window) => window.name)).toEqual(['backups']);
    expect(monitor.alerts.referencedNotifiers().map((reference) => reference.id)).toEqual(['pager', 'telegram', 'pager']);
    await monitor.stop();
  });

  it.each([
    [{ rules: [{ type: 'nope' }] }, 'rules[0].type', /expected one of/],
    [{ rules: [{ type: 'predicate', id: 'x' }] }, 'rules[0].type', /expected one of/],
    [{ rules: [{ type: 'latencyAbove' }] }, 'rules[0].thresholdMs', /number/],
    [{ rules: [{ type: 'consecutiveFailures' }, { type: 'consecutiveFailures', failures: 0 }] }, 'rules[1].failures', />=1|too small/i],
    [{ rules: [{ type: 'failureRatio', failures: 2 }] }, 'rules[0].of', /exactly one of of/],
    [{ rules: [{ type: 'consecutiveFailures', colour: 'red' }] }, 'colour', /colour/],
    [{ rules: [{ type: 'consecutiveFailures', for: 'soon' }] }, 'rules[0].for', /duration/],
    [{ alerting: { maintenance: [{ cron: '0 25 * * *', duration: '1h' }] } }, 'alerting.maintenance[0].cron', /cron/],
    [{ alerting: { maintenance: [{ cron: '0 3 * * *' }] } }, 'alerting.maintenance[0].duration', /./],
    [{ alerting: { groupWindow: 'soon' } }, 'alerting.groupWindow', /duration/],
    [{ alerting: { routes: [{ matchers: ['severity~critical'] }] } }, 'alerting.routes[0].matchers[0]', /operator/],
    [{ notifiers: [{ id: 'telegram', type: 'memory' }], alerting: { routes: [{ notifiers: ['telegram', 'slack'] }] } }, 'alerting.routes[0].notifiers[1]', /unknown notifier "slack" \(known: telegram\)/],
    [{ alerting: { escalations: [{ after: '5m', notifiers: ['pager'] }] } }, 'alerting.escalations[0].notifiers[0]', /no notifiers are configured/],
  ])('rejects %j naming %s', (input, field, message) => {
    const error = errorOf(() => parseMonitorConfig(input));
    expect(error.code).toBe('VIGIL_ERR_CONFIG');
    expect(error.message).toContain(field);
    expect(error.message).toMatch(message);
  });
});
