import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findClosedPort } from '@vigil/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { createCapturingIo } from '../test-io.js';

async function vigil(args: string[]) {
  const capture = createCapturingIo();
  const code = await main(args, capture.io);
  return { code, stdout: capture.stdout, stderr: capture.stderr };
}

describe('vigil check dns', () => {
  let dnsmasq: ChildProcess;
  let directory: string;
  let port: number;
  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'vigil-cli-dns-'));
    await chmod(directory, 0o755);
    const hosts = path.join(directory, 'hosts');
    await writeFile(hosts, '127.0.0.10 example.test\n', { mode: 0o644 });
    port = await findClosedPort();
    // Debian's dnsmasq on loopback, serving only the hosts file: never forwards anywhere.
    dnsmasq = spawn(
      'dnsmasq',
      ['--no-daemon', '--conf-file=/dev/null', '--pid-file=', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts', `--addn-hosts=${hosts}`, '--mx-host=example.test,mail.example.test,10', '--local=/example.test/'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    await new Promise<void>((resolve, reject) => {
      dnsmasq.stderr?.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes(`read ${hosts}`)) resolve();
      });
      dnsmasq.once('exit', () => reject(new Error(`dnsmasq exited: ${log}`)));
      dnsmasq.once('error', reject);
    });
  });
  afterAll(async () => {
    if (dnsmasq && dnsmasq.exitCode === null) {
      const exited = new Promise((resolve) => dnsmasq.once('exit', resolve));
      dnsmasq.kill('SIGTERM');
      await exited;
    }
    await rm(directory, { recursive: true, force: true });
  });

  it('--server 127.0.0.1:<port> --json: exit 0 with the answers and the query time', async () => {
    const { code, stdout, stderr } = await vigil(['check', 'dns', 'example.test', '--server', `127.0.0.1:${port}`, '--json']);
    expect(code, stderr).toBe(0);
    const summary = JSON.parse(stdout) as { phases: Record<string, number> } & Record<string, unknown>;
    expect(summary).toMatchObject({ check: 'dns', status: 'up', reason: 'ok', samples: 1, ok: 1, details: { rcode: 'NOERROR', answers: [{ type: 'A', data: '127.0.0.10' }] } });
    expect(summary.phases.udp).toBeGreaterThanOrEqual(0);
  });

  it('NXDOMAIN exits 2 with dns_error; --expect-rcode NXDOMAIN makes it OK', async () => {
    const missing = await vigil(['check', 'dns', 'missing.example.test', '--server', `127.0.0.1:${port}`, '--json']);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ status: 'down', reason: 'dns_error', details: { rcode: 'NXDOMAIN' } });
    expect((await vigil(['check', 'dns', 'missing.example.test', '--server', `127.0.0.1:${port}`, '--expect-rcode', 'nxdomain'])).code).toBe(0);
  });

  it('--type MX --tcp --expect-answer', async () => {
    const good = await vigil(['check', 'dns', 'example.test', '--type', 'mx', '--tcp', '--server', `127.0.0.1:${port}`, '--expect-answer', '10 mail.example.test', '--json']);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ details: { transport: 'tcp' } });
    const bad = await vigil(['check', 'dns', 'example.test', '--type', 'MX', '--server', `127.0.0.1:${port}`, '--expect-answer', '20 other.example.test', '--json']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ reason: 'assertion_failed' });
  });

  it('a server given by name exits 3', async () => {
    const { code, stderr } = await vigil(['check', 'dns', 'example.test', '--server', 'dns.example.org']);
    expect(code).toBe(3);
    expect(stderr).toMatch(/server/);
  });
});
