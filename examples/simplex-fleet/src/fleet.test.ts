// The fleet config end to end, with Tor and the relays stood in for on loopback: every address
// is pointed at a local SMP or XFTP test relay (by their key hashes), `proxy: true` at a
// recording SOCKS5 proxy that, like Tor, receives the .onion names unresolved and routes them to
// the relays. Each check runs once (no splay) through the real runtime.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMonitor, loadMonitorConfig, monitorOptionsFromConfig } from '@vigil/core';
import type { ResultRecord } from '@vigil/core';
import { createBuiltinRegistry } from '@vigil/cli';
import { createMemorySink, startRecordingSocksProxy, startSmpTestServer, startXftpTestServer } from '@vigil/test-utils';
import { afterAll, describe, expect, it, vi } from 'vitest';

const configFile = path.resolve(import.meta.dirname, '../vigil.yaml');
const zeroKeyHash = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
const directory = await mkdtemp(path.join(tmpdir(), 'vigil-simplex-fleet-'));
afterAll(() => rm(directory, { recursive: true, force: true }));

describe('the simplex-fleet config against local relays behind a Tor stand-in', () => {
  it('runs all 22 checks through the runtime and SOCKS5 with .onion names: every one up', async () => {
    const [relay, files] = await Promise.all([startSmpTestServer(), startXftpTestServer()]);
    const proxy = await startRecordingSocksProxy({
      route: (host) =>
        !host.endsWith('.onion') ? { reply: 0x02 } : host.includes('xftp') ? { host: '127.0.0.1', port: files.port } : { host: '127.0.0.1', port: relay.port },
    });
    try {
      const text = (await readFile(configFile, 'utf8'))
        .replaceAll(`smp://${zeroKeyHash}@`, `smp://${relay.identity.keyHashText}@`)
        .replaceAll(`xftp://${zeroKeyHash}@`, `xftp://${files.identity.keyHashText}@`)
        .replaceAll(/^(\s+)proxy: true\b.*$/gm, `$1proxy: ${proxy.url}`)
        .replaceAll(/^(\s+)type: (smp|xftp)$/gm, '$1type: $2\n$1splay: false');
      const localConfig = path.join(directory, 'vigil.yaml');
      await writeFile(localConfig, text);
      const { config } = await loadMonitorConfig(localConfig, { env: {} });
      const sink = createMemorySink();
      const monitor = createMonitor({ ...monitorOptionsFromConfig(config, createBuiltinRegistry()), sinks: [{ id: 'memory', plugin: sink }] });
      const results: ResultRecord[] = [];
      monitor.on('check:result', (record) => void results.push(record));
      await monitor.start();
      try {
        await vi.waitFor(() => expect(results.length).toBeGreaterThanOrEqual(22), { timeout: 60_000, interval: 100 });
      } finally {
        await monitor.stop();
      }
      const failed = results.filter((record) => record.status !== 'up');
      expect(failed.map((record) => `${record.checkId}: ${record.reason} ${record.message ?? ''}`)).toEqual([]);
      expect(new Set(results.map((record) => record.checkId)).size).toBe(22);
      const delivery = results.find((record) => record.checkId === 'smp-01-delivery');
      expect(delivery?.details).toMatchObject({ bodyVerified: true });
      expect(delivery?.metrics.some((metric) => metric.name === 'delivery_time')).toBe(true);
      expect(results.find((record) => record.checkId === 'xftp-01-file')?.details).toMatchObject({ fileVerified: true });
      // Like Tor: the proxy only ever saw onion names (address type 3), each with its own random login.
      expect(proxy.requests.length).toBeGreaterThanOrEqual(32);
      for (const request of proxy.requests) expect(request).toMatchObject({ addressType: 3, reply: 0 });
      expect(proxy.requests.every((request) => request.host.endsWith('.onion'))).toBe(true);
      expect(new Set(proxy.requests.map((request) => request.username)).size).toBe(proxy.requests.length);
      expect(relay.queueCount).toBe(0);
      expect(files.fileCount).toBe(0);
    } finally {
      await Promise.all([relay.close(), files.close(), proxy.close()]);
    }
  });
});
