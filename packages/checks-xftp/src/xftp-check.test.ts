import { VigilError } from '@vigil/core';
import {
  type XftpMisbehaviour,
  type XftpTestServer,
  type XftpTestServerOptions,
  createTestCheckContext,
  findClosedPort,
  startRecordingSocksProxy,
  startSilentServer,
  startSocksProxy,
  startXftpTestServer,
  testCheck,
} from '@vigil/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { XftpCheckOptions } from './options.js';
import { createXftpCheck, xftpCheckPlugin } from './xftp-check.js';

const zeroKeyHash = `${Buffer.alloc(32).toString('base64url')}=`;
const onionName = 'vigiltestxftpbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.onion';
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serverWith(options: XftpTestServerOptions = {}): Promise<XftpTestServer> {
  const server = await startXftpTestServer(options);
  cleanups.push(() => server.close());
  return server;
}

async function run(options: XftpCheckOptions, timeoutMs = 10_000) {
  const context = createTestCheckContext({ timeoutMs });
  const result = await createXftpCheck(options).run(context);
  return { result, recorded: context.recorded };
}

testCheck({
  plugin: xftpCheckPlugin,
  async setup() {
    const server = await startXftpTestServer();
    const silent = await startSilentServer({ tls: true });
    const closedPort = await findClosedPort();
    return {
      up: createXftpCheck({ server: server.address }),
      down: createXftpCheck({ server: `xftp://${zeroKeyHash}@127.0.0.1:${closedPort}` }),
      silent: createXftpCheck({ server: `xftp://${zeroKeyHash}@127.0.0.1:${silent.port}` }),
      invalidOptions: [
        {},
        { server: `smp://${zeroKeyHash}@127.0.0.1` },
        { server: `xftp://${zeroKeyHash}@127.0.0.1`, mode: 'delivery' },
        { server: `xftp://${zeroKeyHash}@127.0.0.1`, versions: { min: 1, max: 4 } },
        { server: `xftp://${zeroKeyHash}@${onionName}` },
        { server: `xftp://${zeroKeyHash}@127.0.0.1`, randomCredentials: true },
      ],
      async teardown() {
        await server.close();
        await silent.close();
      },
    };
  },
});

describe('XFTP liveness (mode ping)', () => {
  it('Ed25519 and Ed448 relays: handshake over HTTP/2 with ALPN xftp/1 and no SNI, PONGs with RTTs', async () => {
    for (const keyType of ['ed25519', 'ed448'] as const) {
      const server = await serverWith({ keyType });
      const { result, recorded } = await run({ server: server.address, count: 3 });
      expect(result).toMatchObject({
        status: 'up',
        reason: 'ok',
        details: { xftp: { version: 3, serverVersions: { min: 1, max: 3 } }, tls: { alpn: 'xftp/1', chainLength: 2, signatureAlgorithm: keyType, version: 'TLSv1.3' } },
      });
      expect(recorded.filter((metric) => metric.name === 'rtt')).toHaveLength(3);
      expect(server.clients).toEqual([{ alpn: 'xftp/1', servername: false }]);
      expect(server.commands).toEqual(['PING', 'PING', 'PING']);
    }
  });

  it('negotiates down to the server maximum, and fails a range that does not meet ours', async () => {
    const old = await serverWith({ versions: { min: 1, max: 1 } });
    expect((await run({ server: old.address })).result).toMatchObject({ status: 'up', details: { xftp: { version: 1 } } });
    const future = await serverWith({ versions: { min: 4, max: 5 } });
    expect((await run({ server: future.address })).result).toMatchObject({ status: 'down', reason: 'incompatible_version', details: { step: 'hello' } });
  });

  const cases: Array<[XftpMisbehaviour, string, string]> = [
    ['wrong-identity', 'identity_mismatch', 'tls identity'],
    ['forged-key-signature', 'identity_mismatch', 'hello identity'],
    ['session-mismatch', 'session_mismatch', 'hello'],
    ['silent', 'unresponsive', 'hello'],
    ['garbage-hello', 'probe_error', 'hello'],
    ['reject-handshake', 'probe_error', 'handshake'],
    ['never-answer', 'unresponsive', 'ping'],
    ['garbage-block', 'probe_error', 'ping'],
    ['truncated-block', 'probe_error', 'ping'],
  ];
  it.each(cases)('%s: down / %s at step %s', async (misbehaviour, reason, step) => {
    const server = await serverWith({ misbehaviour });
    const { result } = await run({ server: server.address, protocolTimeoutMs: 1_500 });
    expect(result).toMatchObject({ status: 'down', reason, details: { step } });
  });
});

describe('XFTP file round trip (mode file)', () => {
  it('FNEW, FPUT 64 KiB, FGET, decrypt, compare, FDEL: up with per-step phases, nothing left behind', async () => {
    const server = await serverWith();
    const { result } = await run({ server: server.address, mode: 'file' });
    expect(result).toMatchObject({ status: 'up', details: { fileVerified: true, fileBytes: 65_536 } });
    for (const phase of ['createFile', 'uploadFile', 'downloadFile', 'deleteFile']) expect(result.phases?.[phase]).toBeGreaterThanOrEqual(0);
    expect(server.commands).toEqual(['FNEW', 'FPUT', 'FGET', 'FDEL']);
    expect(server.fileCount).toBe(0);
  });

  it('a server that serves other bytes: integrity_error at compareFile, the file still deleted', async () => {
    const server = await serverWith({ misbehaviour: 'corrupt-file' });
    const { result } = await run({ server: server.address, mode: 'file' });
    expect(result).toMatchObject({ status: 'down', reason: 'integrity_error', details: { step: 'compareFile' } });
    expect(server.fileCount).toBe(0);
  });

  it('password-protected uploads: with the password up, without it restricted (degraded); the password never shows', async () => {
    const server = await serverWith({ password: 'xftp-upload-pw' });
    expect((await run({ server: server.address, mode: 'file' })).result.status).toBe('up');
    const { result } = await run({ server: server.address.replace(':xftp-upload-pw@', ':not-the-pw@'), mode: 'file' });
    expect(result).toMatchObject({ status: 'degraded', reason: 'restricted', details: { step: 'createFile', serverError: 'AUTH' } });
    expect(JSON.stringify(result)).not.toContain('not-the-pw');
  });

  it('ERR QUOTA on FNEW is degraded', async () => {
    const server = await serverWith({ newFileError: 'QUOTA' });
    expect((await run({ server: server.address, mode: 'file' })).result).toMatchObject({ status: 'degraded', reason: 'degraded' });
  });
});

describe('XFTP transport', () => {
  it('through microsocks (IP literal) and through a recording proxy to an .onion host', async () => {
    const server = await serverWith();
    const microsocks = await startSocksProxy();
    cleanups.push(() => microsocks.close());
    expect((await run({ server: server.address, proxy: microsocks.url, mode: 'file' })).result).toMatchObject({ status: 'up', details: { proxy: microsocks.url } });
    const recording = await startRecordingSocksProxy({ route: (host) => (host === onionName ? { host: '127.0.0.1', port: server.port } : { reply: 0x02 }) });
    cleanups.push(() => recording.close());
    const address = `xftp://${server.identity.keyHashText}@xftp.example.com,${onionName}:${server.port}`;
    expect((await run({ server: address, proxy: recording.url, randomCredentials: true })).result.status).toBe('up');
    expect(recording.requests).toMatchObject([{ host: onionName, addressType: 3, reply: 0 }]);
    expect(recording.requests[0]?.username).toMatch(/^[0-9a-f]{16}$/);
  });

  it('default port 443, unreachable on a refused port, config errors without the password', async () => {
    expect(createXftpCheck({ server: `xftp://${zeroKeyHash}@xftp.example.com` }).target).toBe('xftp.example.com:443');
    const closedPort = await findClosedPort();
    expect((await run({ server: `xftp://${zeroKeyHash}@127.0.0.1:${closedPort}` })).result).toMatchObject({ status: 'down', reason: 'unreachable' });
    let caught: unknown;
    try {
      createXftpCheck({ server: `xftp://${zeroKeyHash}:secret-pw-1@127.0.0.1`, count: -1 });
    } catch (error) {
      caught = error;
    }
    expect(VigilError.hasCode(caught, 'VIGIL_ERR_CONFIG')).toBe(true);
    expect(String((caught as Error).message)).not.toContain('secret-pw-1');
  });
});
