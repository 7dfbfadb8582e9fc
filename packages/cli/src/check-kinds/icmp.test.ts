import { decodeSnapshot } from '@vigil/core';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { createCapturingIo } from '../test-io.js';

async function vigil(args: string[]) {
  const capture = createCapturingIo();
  const code = await main(args, capture.io);
  return { code, stdout: capture.stdout, stderr: capture.stderr };
}

describe('vigil check icmp', () => {
  it('--count 20 --json: one run of 20 echoes, summarised from the rtt histogram and the sent counter', async () => {
    const { code, stdout, stderr } = await vigil(['check', 'icmp', '127.0.0.1', '--count', '20', '--interval', '5ms', '--json']);
    expect(code, stderr).toBe(0);
    const summary = JSON.parse(stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ check: 'icmp', target: '127.0.0.1', status: 'up', reason: 'ok', samples: 20, ok: 20, failed: 0, lossPercent: 0, reasons: { ok: 1 } });
    for (const key of ['min', 'mean', 'p50', 'p90', 'p95', 'p99', 'max', 'stddev', 'jitter']) expect(typeof summary[key], key).toBe('number');
    expect(summary.min as number).toBeLessThanOrEqual(summary.p50 as number);
    expect(decodeSnapshot(summary.snapshot as string).totalCount).toBe(20);
    expect(summary.details).toMatchObject({ sent: 20, received: 20 });
  });

  it('IPv6 with brackets, a payload size and a forced backend', async () => {
    const { code, stdout } = await vigil(['check', 'icmp', '[::1]', '--count', '3', '--interval', '10ms', '--size', '100', '--backend', 'fping', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ target: '::1', samples: 3, ok: 3, details: { backend: 'fping' } });
  });

  it('prints a Nagios line with loss and percentiles', async () => {
    const { code, stdout } = await vigil(['check', 'icmp', '127.0.0.1', '--count', '3', '--interval', '10ms']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ICMP OK - 127\.0\.0\.1: 3\/3 ok, p50 .* \| .*loss=0%;;;0;100/);
  });

  it('bad flags exit 3 naming the problem', async () => {
    const badBackend = await vigil(['check', 'icmp', '127.0.0.1', '--backend', 'carrier-pigeon']);
    expect(badBackend.code).toBe(3);
    expect(badBackend.stderr).toMatch(/backend/);
    const badSize = await vigil(['check', 'icmp', '127.0.0.1', '--size', 'big']);
    expect(badSize.code).toBe(3);
    expect(badSize.stderr).toMatch(/--size: expected an integer/);
  });
});
