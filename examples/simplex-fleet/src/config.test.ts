// The example config must load exactly as `vigil run` loads it: parsed by the core's config
// loader and every check built by the CLI's plugin registry. Nothing here touches the network.
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { loadMonitorConfig, monitorOptionsFromConfig } from '@vigil/core';
import { createBuiltinRegistry } from '@vigil/cli';
import { describe, expect, it } from 'vitest';

const configFile = path.resolve(import.meta.dirname, '../vigil.yaml');
const zeroKeyHash = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

describe('examples/simplex-fleet/vigil.yaml', () => {
  it('loads with the CLI registry: 10 SMP relays and 1 XFTP relay, liveness every minute, delivery every 15 minutes', async () => {
    const { config } = await loadMonitorConfig(configFile, { env: {} });
    const options = monitorOptionsFromConfig(config, createBuiltinRegistry());
    const checks = options.checks ?? [];
    expect(checks).toHaveLength(22);
    const smp = config.checks.filter((check) => check.type === 'smp');
    const xftp = config.checks.filter((check) => check.type === 'xftp');
    expect(smp).toHaveLength(20);
    expect(xftp).toHaveLength(2);
    const relays = new Set(config.checks.map((check) => check.tags?.relay));
    expect(relays.size).toBe(11);
    for (const check of config.checks) {
      const mode = (check as { mode?: string }).mode;
      expect(check.interval, check.id).toBe(mode === 'ping' ? '1m' : '15m');
      expect((check as { proxy?: unknown }).proxy).toBe(true);
      expect((check as { randomCredentials?: unknown }).randomCredentials).toBe(true);
    }
    expect(smp.filter((check) => (check as { mode?: string }).mode === 'delivery')).toHaveLength(10);
    expect(xftp.map((check) => (check as { mode?: string }).mode).sort()).toEqual(['file', 'ping']);
    // Through Tor the onion host of each address is the one dialled (port defaults 5223 / 443).
    for (const check of checks) expect(check.check.target, check.id).toMatch(/^fakeonion[a-z0-9]+\.onion:(5223|443)$/);
    expect(checks.find((check) => check.id === 'xftp-01-file')?.check.target).toMatch(/:443$/);
    // No sinks: the CLI's default store. Rules validated by their own schemas.
    expect(config.sinks).toEqual([]);
    expect(options.rules).toHaveLength(3);
  });

  it('uses only clearly fake addresses, and keeps the notifiers commented out until they exist', async () => {
    const text = await readFile(configFile, 'utf8');
    const servers = [...text.matchAll(/server: (\S+)/g)].map((match) => match[1] as string);
    expect(servers).toHaveLength(22);
    for (const server of servers) {
      expect(server).toMatch(new RegExp(`^(smp|xftp)://${zeroKeyHash}@[a-z0-9]+\\.example\\.invalid,fakeonion[a-z0-9]+\\.onion$`));
    }
    expect(text).toMatch(/^# notifiers:$/m);
    expect(text).toMatch(/^#\s+type: telegram$/m);
    expect(text).toMatch(/^#\s+type: webhook$/m);
  });
});
