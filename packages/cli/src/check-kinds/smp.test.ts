import { startSmpTestServer, startSocksProxy, startXftpTestServer } from '@vigil/test-utils';
import type { SmpMisbehaviour, SmpTestServer, SocksProxy, XftpTestServer } from '@vigil/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { createCapturingIo } from '../test-io.js';

async function vigil(args: string[]) {
  const capture = createCapturingIo();
  const code = await main(args, capture.io);
  return { code, stdout: capture.stdout, stderr: capture.stderr };
}

function summaryOf(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('vigil check smp / xftp', () => {
  let smp: SmpTestServer;
  let restricted: SmpTestServer;
  let wrongIdentity: SmpTestServer;
  let xftp: XftpTestServer;
  let proxy: SocksProxy;
  beforeAll(async () => {
    [smp, restricted, wrongIdentity, xftp, proxy] = await Promise.all([
      startSmpTestServer(),
      startSmpTestServer({ password: 'queue-password' }),
      startSmpTestServer({ misbehaviour: 'wrong-identity' }),
      startXftpTestServer(),
      startSocksProxy(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([smp.close(), restricted.close(), wrongIdentity.close(), xftp.close(), proxy.close()]);
  });

  it('smp --count 20 --json: exit 0, 20 PONGs on one connection summarised as RTT percentiles', async () => {
    const { code, stdout } = await vigil(['check', 'smp', smp.address, '--count', '20', '--interval', '0', '--json']);
    expect(code).toBe(0);
    const summary = summaryOf(stdout);
    expect(summary).toMatchObject({ check: 'smp', status: 'up', reason: 'ok', samples: 20, ok: 20, failed: 0, details: { smp: { version: 18 } } });
    for (const key of ['p50', 'p95', 'p99', 'max', 'jitter']) expect(typeof summary[key]).toBe('number');
    expect(smp.connectionsAccepted).toBe(1);
  });

  it('smp through microsocks with --proxy; a Nagios line without --json', async () => {
    const { code, stdout } = await vigil(['check', 'smp', smp.address, '--proxy', proxy.url]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^SMP OK - 127\.0\.0\.1:\d+: ok in /);
  });

  it('smp --mode delivery: exit 0, the delivery time as the summary, the body verified', async () => {
    const { code, stdout } = await vigil(['check', 'smp', smp.address, '--mode', 'delivery', '--count', '3', '--interval', '0', '--json']);
    expect(code).toBe(0);
    expect(summaryOf(stdout)).toMatchObject({ status: 'up', samples: 3, ok: 3, details: { bodyVerified: true } });
    expect(typeof summaryOf(stdout).p50).toBe('number');
  });

  it('smp --mode queue without the password: exit 1 (WARNING), restricted, no password in the output', async () => {
    const withPassword = await vigil(['check', 'smp', restricted.address, '--mode', 'queue', '--json']);
    expect(withPassword.code).toBe(0);
    const address = restricted.address.replace(':queue-password@', '@');
    const { code, stdout } = await vigil(['check', 'smp', address, '--mode', 'queue', '--json']);
    expect(code).toBe(1);
    expect(summaryOf(stdout)).toMatchObject({ status: 'degraded', reason: 'restricted' });
    expect(withPassword.stdout + stdout).not.toContain('queue-password');
  });

  it('smp with a changed server identity: exit 2 (CRITICAL), identity_mismatch', async () => {
    const { code, stdout } = await vigil(['check', 'smp', wrongIdentity.address, '--json']);
    expect(code).toBe(2);
    expect(summaryOf(stdout)).toMatchObject({ status: 'down', reason: 'identity_mismatch' });
  });

  it('xftp --mode file: exit 0; xftp ping --count 5', async () => {
    const file = await vigil(['check', 'xftp', xftp.address, '--mode', 'file', '--json']);
    expect(file.code).toBe(0);
    expect(summaryOf(file.stdout)).toMatchObject({ check: 'xftp', status: 'up', samples: 1, ok: 1, details: { fileVerified: true } });
    const ping = await vigil(['check', 'xftp', xftp.address, '--count', '5', '--interval', '0', '--json']);
    expect(ping.code).toBe(0);
    expect(summaryOf(ping.stdout)).toMatchObject({ samples: 5, ok: 5 });
  });

  it('malformed addresses and modes exit 3 (UNKNOWN) with the problem named', async () => {
    const badAddress = await vigil(['check', 'smp', 'smp://short@127.0.0.1']);
    expect(badAddress.code).toBe(3);
    expect(badAddress.stderr).toMatch(/server: the key hash/);
    const badMode = await vigil(['check', 'smp', smp.address, '--mode', 'gossip']);
    expect(badMode.code).toBe(3);
    expect(badMode.stderr).toMatch(/mode/);
    const wrongScheme = await vigil(['check', 'xftp', smp.address]);
    expect(wrongScheme.code).toBe(3);
    expect(wrongScheme.stderr).toMatch(/xftp:\/\//);
  });

  const misbehaviours: Array<[SmpMisbehaviour, string]> = [
    ['wrong-identity', 'identity_mismatch'],
    ['forged-key-signature', 'identity_mismatch'],
    ['session-mismatch', 'session_mismatch'],
    ['close-after-hello', 'incompatible_version'],
    ['silent', 'unresponsive'],
    ['never-answer', 'unresponsive'],
    ['garbage-hello', 'probe_error'],
    ['truncated-hello', 'probe_error'],
    ['garbage-block', 'probe_error'],
    ['truncated-block', 'probe_error'],
  ];
  it.each(misbehaviours)('a relay misbehaving with %s: exit 2 (CRITICAL), reason %s', async (misbehaviour, reason) => {
    const server = await startSmpTestServer({ misbehaviour });
    try {
      const { code, stdout } = await vigil(['check', 'smp', server.address, '--protocol-timeout', '1500ms', '--json']);
      expect(code).toBe(2);
      expect(summaryOf(stdout)).toMatchObject({ status: 'down', reason });
    } finally {
      await server.close();
    }
  });

  it('a corrupted message body in delivery mode: exit 2, integrity_error', async () => {
    const server = await startSmpTestServer({ misbehaviour: 'corrupt-message-body' });
    try {
      const { code, stdout } = await vigil(['check', 'smp', server.address, '--mode', 'delivery', '--json']);
      expect(code).toBe(2);
      expect(summaryOf(stdout)).toMatchObject({ status: 'down', reason: 'integrity_error' });
    } finally {
      await server.close();
    }
  });
});
