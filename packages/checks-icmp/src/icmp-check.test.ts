import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { type HistogramSummary, VigilError, createDialer, createRunHistogram, executeCheck } from '@vigil/core';
import { createTestCheckContext, testCheck } from '@vigil/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquirePinger, selectIcmpBackend } from './backend.js';
import { createIcmpCheck, icmpCheckPlugin } from './icmp-check.js';
import { type PacketDrop, canDropPackets, dropEchoRequests, packetDropSkipReason } from './testing/packet-drop.js';

const root = canDropPackets();
let drop: PacketDrop | undefined;

beforeAll(async () => {
  if (root) drop = await dropEchoRequests();
});
afterAll(async () => {
  await drop?.remove();
});

const invalidOptions = [
  {},
  { host: '127.0.0.1', count: 0 },
  { host: '127.0.0.1', payloadSize: -1 },
  { host: '127.0.0.1', backend: 'carrier-pigeon' },
  { host: '127.0.0.1', lossWarnPercent: 50, lossCriticalPercent: 20 },
  { host: '127.0.0.1', echoTimeoutMs: 0 },
  { host: '127.0.0.1', interval: '30s' },
];

if (root) {
  testCheck({
    plugin: icmpCheckPlugin,
    async setup() {
      // The suite's beforeAll runs before the file's; this one needs its own drop rule.
      const own = await dropEchoRequests();
      return {
        up: createIcmpCheck({ host: '127.0.0.1', count: 2, intervalMs: 10 }),
        down: createIcmpCheck({ host: own.address, count: 2, intervalMs: 10, echoTimeoutMs: 200 }),
        silent: createIcmpCheck({ host: own.address, count: 1, echoTimeoutMs: 60_000 }),
        invalidOptions,
        teardown: () => own.remove(),
      };
    },
  });
} else {
  describe.skip(`check conformance: icmp (${packetDropSkipReason})`, () => {
    it('needs root', () => {});
  });
}

describe('echoes on loopback', () => {
  it.each([
    ['raw', '127.0.0.1'],
    ['raw', '::1'],
    ['fping', '127.0.0.1'],
    ['fping', '::1'],
    ['ping', '127.0.0.1'],
    ['ping', '::1'],
  ] as const)('backend %s to %s: every echo answered, one rtt sample each', async (backend, host) => {
    if (backend === 'raw' && !root) return;
    const check = createIcmpCheck({ host, count: 5, intervalMs: 10, backend });
    try {
      const context = createTestCheckContext();
      const result = await check.run(context);
      expect(result, result.message).toMatchObject({ status: 'up', reason: 'ok', details: { backend, address: host, sent: 5, received: 5, lossPercent: 0 } });
      const rtts = context.recorded.filter((metric) => metric.type === 'histogram' && metric.name === 'rtt');
      expect(rtts).toHaveLength(5);
      expect(rtts.every((metric) => metric.value > 0 && metric.options?.unit === 'ms')).toBe(true);
      expect(context.recorded).toContainEqual(expect.objectContaining({ type: 'counter', name: 'sent', value: 5 }));
      const statistics = result.details?.rtt as { min: number; avg: number; max: number; stddev: number };
      expect(statistics.min).toBeLessThanOrEqual(statistics.avg);
      expect(statistics.avg).toBeLessThanOrEqual(statistics.max);
      expect(result.message).toMatch(/5\/5 replies, rtt min\/avg\/max\/stddev = /);
    } finally {
      await check.shutdown?.();
    }
  });

  it('resolves names, with a dns phase', async () => {
    const check = createIcmpCheck({ host: 'localhost', family: 4, count: 1, backend: root ? 'auto' : 'fping' });
    const result = await check.run(createTestCheckContext());
    await check.shutdown?.();
    expect(result).toMatchObject({ status: 'up', details: { address: '127.0.0.1' } });
    expect(result.phases?.dns).toBeGreaterThanOrEqual(0);
  });

  it('through the runtime, the result carries the rtt histogram summary and the sent counter', async () => {
    const check = createIcmpCheck({ host: '127.0.0.1', count: 8, intervalMs: 5, backend: root ? 'raw' : 'fping' });
    const { record } = await executeCheck(check, { checkId: 'icmp', timeoutMs: 10_000, dialer: createDialer(), histogramFactory: createRunHistogram });
    await check.shutdown?.();
    const histogram = record.metrics.find((metric): metric is HistogramSummary => metric.type === 'histogram' && metric.name === 'rtt');
    expect(histogram).toMatchObject({ count: 8, unit: 'ms' });
    expect(histogram?.p50).toBeGreaterThan(0);
    expect(record.metrics).toContainEqual(expect.objectContaining({ type: 'counter', name: 'sent', value: 8 }));
    expect(record.metrics).toContainEqual(expect.objectContaining({ type: 'gauge', name: 'loss', value: 0 }));
  });
});

describe.skipIf(!root)(`loss (${packetDropSkipReason})`, () => {
  it.each(['raw', 'fping', 'ping'] as const)('backend %s: every echo dropped is down / packet_loss at 100 percent', async (backend) => {
    const check = createIcmpCheck({ host: drop?.address ?? '', count: 3, intervalMs: 10, echoTimeoutMs: 300, backend });
    const result = await check.run(createTestCheckContext());
    await check.shutdown?.();
    expect(result, result.message).toMatchObject({ status: 'down', reason: 'packet_loss', details: { sent: 3, received: 0, lossPercent: 100 } });
    expect(result.message).toMatch(/100% loss, 0\/3 replies/);
  });

  it.each(['raw', 'fping', 'ping'] as const)('backend %s: every second echo dropped is degraded at 50 percent, down with lossCriticalPercent 50', async (backend) => {
    const host = drop?.halfAddress ?? '';
    const degraded = createIcmpCheck({ host, count: 4, intervalMs: 20, echoTimeoutMs: 300, backend });
    const warned = await degraded.run(createTestCheckContext());
    expect(warned, warned.message).toMatchObject({ status: 'degraded', reason: 'packet_loss', details: { sent: 4, received: 2, lossPercent: 50 } });
    const strict = createIcmpCheck({ host, count: 4, intervalMs: 20, echoTimeoutMs: 300, backend, lossCriticalPercent: 50 });
    expect(await strict.run(createTestCheckContext())).toMatchObject({ status: 'down', reason: 'packet_loss' });
    await degraded.shutdown?.();
    await strict.shutdown?.();
  });

  it('IPv6: echoes of one dropped size are lost, others answered (raw)', async () => {
    const size = drop?.ipv6PayloadSize ?? 0;
    const lost = createIcmpCheck({ host: '::1', count: 2, intervalMs: 10, echoTimeoutMs: 300, payloadSize: size, backend: 'raw' });
    expect(await lost.run(createTestCheckContext())).toMatchObject({ status: 'down', reason: 'packet_loss', details: { received: 0 } });
    const fine = createIcmpCheck({ host: '::1', count: 2, intervalMs: 10, payloadSize: size + 1, backend: 'raw' });
    expect(await fine.run(createTestCheckContext())).toMatchObject({ status: 'up', details: { received: 2 } });
    await lost.shutdown?.();
    await fine.shutdown?.();
  });

  it('a run that times out while echoes are in flight is down / timeout and says how far it got', async () => {
    const check = createIcmpCheck({ host: drop?.address ?? '', count: 3, intervalMs: 50, echoTimeoutMs: 60_000, backend: 'raw' });
    const { record } = await executeCheck(check, { checkId: 'icmp', timeoutMs: 300, dialer: createDialer(), histogramFactory: createRunHistogram });
    await check.shutdown?.();
    expect(record).toMatchObject({ status: 'down', reason: 'timeout' });
    expect(record.message).toMatch(/timed out after 0\/\d replies of 3 echoes/);
  });

  it('is unknown / aborted when the monitor stops', async () => {
    const check = createIcmpCheck({ host: drop?.address ?? '', count: 1, echoTimeoutMs: 60_000, backend: 'raw' });
    const controller = new AbortController();
    const pending = check.run(createTestCheckContext({ signal: controller.signal }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort(new VigilError('VIGIL_ERR_ABORTED', 'stopped', { reason: 'aborted' }));
    expect(await pending).toMatchObject({ status: 'unknown', reason: 'aborted' });
    await check.shutdown?.();
  });
});

describe.skipIf(!root)('many targets share one socket per family', () => {
  function openDescriptors(): number {
    return readdirSync('/proc/self/fd').length;
  }

  it('1,000 checks of different loopback addresses at once open at most two more descriptors', async () => {
    const checks = Array.from({ length: 1_000 }, (_unused, index) => createIcmpCheck({ host: `127.1.${Math.floor(index / 250)}.${(index % 250) + 1}`, count: 2, intervalMs: 20, backend: 'raw' }));
    const before = openDescriptors();
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, openDescriptors());
    }, 2);
    const results = await Promise.all(checks.map((check) => check.run(createTestCheckContext({ timeoutMs: 20_000 }))));
    clearInterval(sampler);
    peak = Math.max(peak, openDescriptors());
    await Promise.all(checks.map((check) => check.shutdown?.()));
    expect(results.filter((result) => result.status === 'up')).toHaveLength(1_000);
    expect(results.every((result) => result.details?.received === 2)).toBe(true);
    expect(peak - before).toBeLessThanOrEqual(2);
  });

  it('checks share the process pinger; the last release closes it', async () => {
    const first = acquirePinger('raw');
    const second = acquirePinger('raw');
    expect(first.selection.pinger).toBeDefined();
    expect(second.selection.pinger).toBe(first.selection.pinger);
    await first.release();
    await first.release();
    const third = acquirePinger('raw');
    expect(third.selection.pinger).toBe(first.selection.pinger);
    await second.release();
    await third.release();
    const fresh = acquirePinger('raw');
    expect(fresh.selection.pinger).not.toBe(first.selection.pinger);
    await fresh.release();
  });
});

describe('backend selection', () => {
  it('falls back to fping with the reason when the raw-socket addon is missing, and the package still loads', () => {
    const selection = selectIcmpBackend({
      preference: 'auto',
      loadRawSocket: () => {
        throw Object.assign(new Error("Cannot find module 'raw-socket'"), { code: 'MODULE_NOT_FOUND' });
      },
    });
    expect(selection.pinger?.backend).toBe('fping');
    expect(selection.skipped[0]).toMatch(/raw socket: the optional raw-socket addon is not installed or did not build \(Cannot find module 'raw-socket'\)/);
    expect(selection.skipped[1]).toMatch(/^datagram ICMP: net\.ipv4\.ping_group_range "/);
  });

  it('finds ping when fping is not there, and nothing when neither is', () => {
    const missing = () => {
      throw new Error('no addon');
    };
    const pingOnly = selectIcmpBackend({ preference: 'ping', loadRawSocket: missing });
    expect(pingOnly.pinger?.backend).toBe('ping');
    const none = selectIcmpBackend({ preference: 'raw', loadRawSocket: missing });
    expect(none.pinger).toBeUndefined();
    expect(none.skipped).toEqual([expect.stringMatching(/^raw socket: /)]);
  });

  const unprivileged = root ? it : it.skip;
  unprivileged('for an unprivileged user: raw fails with EPERM, fping works, and forcing raw gives unknown / unsupported with the reasons', async () => {
    const repositoryRoot = path.resolve(import.meta.dirname, '../../..');
    // The child starts as root so it can read the repository wherever it is cloned (CI may clone
    // under /root), loads every module including the raw-socket addon, then drops to uid/gid
    // 65534 (nobody): no CAP_NET_RAW any more; fping and ping carry the capability themselves.
    const rawPingerFile = path.join(repositoryRoot, 'packages/checks-icmp/src/raw-pinger.ts');
    const script = `
      import { createRequire } from 'node:module';
      import { createIcmpCheck } from '@vigil/checks-icmp';
      import { createTestCheckContext } from '@vigil/test-utils';
      // Same parent file as the package's own require, so the later require hits the cache.
      try { createRequire(${JSON.stringify(rawPingerFile)})('raw-socket'); } catch {}
      process.setgid(65534);
      process.setuid(65534);
      const out = [];
      for (const backend of ['auto', 'raw']) {
        const check = createIcmpCheck({ host: '127.0.0.1', count: 2, intervalMs: 10, backend });
        const result = await check.run(createTestCheckContext());
        await check.shutdown();
        out.push({ status: result.status, reason: result.reason, message: result.message, backend: result.details?.backend, skipped: result.details?.backendSkipped });
      }
      console.log(JSON.stringify(out));
    `;
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--conditions=@vigil/source', '--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: repositoryRoot,
        env: { PATH: process.env.PATH ?? '', HOME: '/tmp', TSX_TSCONFIG_PATH: path.join(repositoryRoot, 'tsconfig.base.json') },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`child exited ${code}: ${stderr}`))));
    });
    const [auto, raw] = JSON.parse(output.trim().split('\n').at(-1) ?? '[]') as { status: string; reason: string; message: string; backend?: string; skipped?: string[] }[];
    expect(auto).toMatchObject({ status: 'up', backend: 'fping' });
    expect(auto?.skipped?.[0]).toMatch(/^raw socket: Operation not permitted \(needs root or CAP_NET_RAW\)$/);
    expect(auto?.skipped?.[1]).toMatch(/ping_group_range/);
    expect(raw).toMatchObject({ status: 'unknown', reason: 'unsupported' });
    expect(raw?.message).toMatch(/no ICMP backend works in this process: raw socket: Operation not permitted/);
  });
});
