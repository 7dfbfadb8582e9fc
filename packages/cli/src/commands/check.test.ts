import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSnapshot } from '@vigil/core';
import { findClosedPort, startSilentServer, startTcpServer } from '@vigil/test-utils';
import type { SilentServer, TcpServer } from '@vigil/test-utils';
import { main } from '../main.js';
import { createCapturingIo } from '../test-io.js';

const repositoryRoot = path.resolve(import.meta.dirname, '../../../..');

async function vigil(args: string[]) {
  const capture = createCapturingIo();
  const code = await main(args, capture.io);
  return { code, stdout: capture.stdout, stderr: capture.stderr };
}

describe('vigil check tcp', () => {
  let open: TcpServer;
  let silentTls: SilentServer;
  let closedPort: number;
  beforeAll(async () => {
    open = await startTcpServer({ banner: 'SSH-2.0-vigil-test\r\n' });
    silentTls = await startSilentServer();
    closedPort = await findClosedPort();
  });
  afterAll(async () => {
    await open.close();
    await silentTls.close();
  });

  it('--count 100 --json: exit 0 with percentiles and a decodable HDR snapshot', async () => {
    const { code, stdout } = await vigil(['check', 'tcp', `127.0.0.1:${open.port}`, '--count', '100', '--interval', '0', '--json']);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ status: 'up', reason: 'ok', samples: 100, ok: 100, failed: 0 });
    for (const key of ['p50', 'p90', 'p95', 'p99', 'max', 'jitter', 'durationMs']) expect(typeof summary[key]).toBe('number');
    expect(summary.p50 as number).toBeLessThanOrEqual(summary.p99 as number);
    expect(summary.p99 as number).toBeLessThanOrEqual((summary.max as number) + 0.01);
    expect(decodeSnapshot(summary.snapshot as string).totalCount).toBe(100);
  });

  it('a closed port: exit 2 with reason connection_refused', async () => {
    const { code, stdout } = await vigil(['check', 'tcp', `127.0.0.1:${closedPort}`, '--json']);
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'down', reason: 'connection_refused' });
  });

  it('a silent TLS server with --timeout 500: exit 2, reason timeout, within about a second', async () => {
    const started = performance.now();
    const { code, stdout } = await vigil(['check', 'tcp', `127.0.0.1:${silentTls.port}`, '--tls', '--timeout', '500', '--json']);
    const elapsed = performance.now() - started;
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'down', reason: 'timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(480);
    // Generous margin for loaded CI machines; the point is "not the default 10 s timeout".
    expect(elapsed).toBeLessThan(5_000);
  });

  it('send/expect: a matching banner is up, a mismatch is down with what was seen', async () => {
    const ok = await vigil(['check', 'tcp', `127.0.0.1:${open.port}`, '--expect', '^SSH-2\\.0', '--json']);
    expect(ok.code).toBe(0);
    const mismatch = await vigil(['check', 'tcp', `127.0.0.1:${open.port}`, '--expect', '^HTTP/1', '--json']);
    expect(mismatch.code).toBe(2);
    const summary = JSON.parse(mismatch.stdout) as { reason: string; message: string };
    expect(summary.reason).toBe('assertion_failed');
    expect(summary.message).toContain('SSH-2.0');
  });

  it('prints a Nagios line without --json', async () => {
    const { code, stdout } = await vigil(['check', 'tcp', `127.0.0.1:${open.port}`]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^TCP OK - 127\.0\.0\.1:\d+: ok in [\d.]+m?s \| time=[\d.]+ms;;;0/);
  });

  it('bad input exits 3 (UNKNOWN) with a message naming the problem', async () => {
    expect((await vigil(['check', 'tcp', 'no-port-here'])).stderr).toMatch(/target: expected host:port/);
    expect((await vigil(['check', 'tcp', '127.0.0.1:1', '--count', 'many'])).code).toBe(3);
    expect((await vigil(['check', 'gopher', 'x'])).stderr).toMatch(/unknown kind "gopher"/);
    const badFlag = await vigil(['check', 'tcp', '127.0.0.1:1', '--frobnicate']);
    expect(badFlag.code).toBe(3);
    expect(badFlag.stderr).toMatch(/frobnicate/);
    const badTimeout = await vigil(['check', 'tcp', '127.0.0.1:1', '--timeout', 'soon']);
    expect(badTimeout.code).toBe(3);
    expect(badTimeout.stderr).toMatch(/timeout/);
  });

  it('works as a real process: the bin exits with the Nagios code', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--conditions=@vigil/source', '--import', 'tsx', 'packages/cli/src/bin.ts', ...args], { cwd: repositoryRoot });
        let stdout = '';
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
        });
        child.on('error', reject);
        child.on('exit', (code) => resolve({ code, stdout }));
      });
    const good = await run(['check', 'tcp', `127.0.0.1:${open.port}`, '--json']);
    expect(good.code).toBe(0);
    const bad = await run(['check', 'tcp', `127.0.0.1:${closedPort}`, '--json']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).reason).toBe('connection_refused');
  });
});
