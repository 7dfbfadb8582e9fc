import { VigilError, createDialer, executeCheck, createRunHistogram } from '@vigil/core';
import {
  type SmpMisbehaviour,
  type SmpTestServer,
  type SmpTestServerOptions,
  createTestCheckContext,
  findClosedPort,
  startRecordingSocksProxy,
  startSilentServer,
  startSmpTestServer,
  startSocksProxy,
  testCheck,
} from '@vigil/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSmpCheck, smpCheckPlugin } from './smp-check.js';
import type { SmpCheckOptions } from './options.js';

const zeroKeyHash = `${Buffer.alloc(32).toString('base64url')}=`;
const onionName = 'vigiltestsmpbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.onion';
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serverWith(options: SmpTestServerOptions = {}): Promise<SmpTestServer> {
  const server = await startSmpTestServer(options);
  cleanups.push(() => server.close());
  return server;
}

function run(options: SmpCheckOptions, timeoutMs = 10_000) {
  const context = createTestCheckContext({ timeoutMs });
  return createSmpCheck(options)
    .run(context)
    .then((result) => ({ result, recorded: context.recorded }));
}

function configError(options: unknown): VigilError {
  try {
    createSmpCheck(options as SmpCheckOptions);
  } catch (error) {
    expect(VigilError.hasCode(error, 'VIGIL_ERR_CONFIG'), String(error)).toBe(true);
    return error as VigilError;
  }
  throw new Error('expected a config error');
}

testCheck({
  plugin: smpCheckPlugin,
  async setup() {
    const server = await startSmpTestServer();
    const silent = await startSilentServer({ tls: true });
    const closedPort = await findClosedPort();
    return {
      up: createSmpCheck({ server: server.address }),
      down: createSmpCheck({ server: `smp://${zeroKeyHash}@127.0.0.1:${closedPort}` }),
      silent: createSmpCheck({ server: `smp://${zeroKeyHash}@127.0.0.1:${silent.port}` }),
      invalidOptions: [
        {},
        { server: 'not an address' },
        { server: `xftp://${zeroKeyHash}@127.0.0.1` },
        { server: `smp://${zeroKeyHash}@127.0.0.1`, mode: 'gossip' },
        { server: `smp://${zeroKeyHash}@127.0.0.1`, count: 0 },
        { server: `smp://${zeroKeyHash}@127.0.0.1`, randomCredentials: true },
        { server: `smp://${zeroKeyHash}@${onionName}` },
        { server: `smp://${zeroKeyHash}@127.0.0.1`, onion: 'require', proxy: true },
        { server: `smp://${zeroKeyHash}@127.0.0.1`, versions: { min: 12, max: 8 } },
        { server: `smp://${zeroKeyHash}@127.0.0.1`, interval: '1m' },
      ],
      async teardown() {
        await server.close();
        await silent.close();
      },
    };
  },
});

describe('liveness (mode ping)', () => {
  let ed25519: SmpTestServer;
  let ed448: SmpTestServer;
  beforeAll(async () => {
    [ed25519, ed448] = await Promise.all([startSmpTestServer({ keyType: 'ed25519' }), startSmpTestServer({ keyType: 'ed448' })]);
  });
  afterAll(async () => {
    await Promise.all([ed25519.close(), ed448.close()]);
  });

  it('count 5: five PONGs on one connection, RTT samples in the histogram, handshake facts in details', async () => {
    const { result, recorded } = await run({ server: ed25519.address, count: 5 });
    expect(result).toMatchObject({
      status: 'up',
      reason: 'ok',
      details: {
        mode: 'ping',
        smp: { version: 18, serverVersions: { min: 6, max: 18 }, blockEncryption: true },
        tls: { version: 'TLSv1.3', cipher: 'TLS_CHACHA20_POLY1305_SHA256', alpn: 'smp/1', chainLength: 2, signatureAlgorithm: 'ed25519' },
      },
    });
    expect(result.message).toMatch(/5\/5 PONGs \(SMP v18, TLSv1\.3\)/);
    expect(recorded.filter((metric) => metric.type === 'histogram' && metric.name === 'rtt')).toHaveLength(5);
    expect(recorded.find((metric) => metric.name === 'sent')?.value).toBe(5);
    for (const phase of ['connect', 'tls', 'handshake', 'ping', 'total']) expect(result.phases?.[phase]).toBeGreaterThanOrEqual(0);
    expect(Date.parse((result.details?.tls as { leafNotAfter: string }).leafNotAfter)).toBeGreaterThan(Date.now());
    // One connection for all five pings; the server saw no SNI and our X25519 key.
    expect(ed25519.hellos.at(-1)).toMatchObject({ version: 18, keyHashMatched: true, sentKey: true, alpn: 'smp/1', servername: false });
  });

  it('verifies an Ed448 chain and the Ed448-signed hello key', async () => {
    const { result } = await run({ server: ed448.address });
    expect(result).toMatchObject({ status: 'up', details: { tls: { signatureAlgorithm: 'ed448', chainLength: 2 } } });
  });

  it('runs through the executor and feeds the rtt histogram summary', async () => {
    const { record } = await executeCheck(createSmpCheck({ server: ed25519.address, count: 3 }), {
      checkId: 'smp',
      timeoutMs: 10_000,
      dialer: createDialer(),
      histogramFactory: createRunHistogram,
    });
    expect(record.status).toBe('up');
    const rtt = record.metrics.find((metric) => metric.type === 'histogram' && metric.name === 'rtt');
    expect(rtt).toMatchObject({ type: 'histogram', count: 3, unit: 'ms' });
  });

  it.each([
    [{ min: 6, max: 6 }, 6, false],
    [{ min: 6, max: 10 }, 10, false],
    [{ min: 6, max: 14 }, 14, true],
    [{ min: 6, max: 16 }, 16, true],
  ])('negotiates with a server of versions %j: v%i, block encryption %s', async (versions, expected, encrypted) => {
    const server = await serverWith({ versions });
    const { result } = await run({ server: server.address, count: 2 });
    expect(result).toMatchObject({ status: 'up', details: { smp: { version: expected, serverVersions: versions, blockEncryption: encrypted } } });
  });

  it('intervalMs spaces PINGs without piling abort listeners on the run signal', async () => {
    const controller = new AbortController();
    let added = 0;
    let removed = 0;
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<typeof add>) => {
      added += 1;
      add(...args);
    }) as typeof add;
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      removed += 1;
      remove(...args);
    }) as typeof remove;
    const result = await createSmpCheck({ server: ed25519.address, count: 6, intervalMs: 5 }).run(createTestCheckContext({ signal }));
    expect(result.status).toBe('up');
    expect(added - removed).toBeLessThanOrEqual(1);
  });

  it('offers only the configured client versions, and works without block encryption', async () => {
    const { result } = await run({ server: ed25519.address, versions: { min: 6, max: 12 }, blockEncryption: false });
    expect(result).toMatchObject({ status: 'up', details: { smp: { version: 12, blockEncryption: false } } });
    expect(ed25519.hellos.at(-1)).toMatchObject({ version: 12, sentKey: false });
  });

  it('a server range that does not meet ours is incompatible_version, with both ranges', async () => {
    const server = await serverWith({ versions: { min: 19, max: 21 } });
    const { result } = await run({ server: server.address });
    expect(result).toMatchObject({ status: 'down', reason: 'incompatible_version', details: { step: 'hello', serverVersions: { min: 19, max: 21 } } });
  });
});

describe('misbehaving servers', () => {
  const cases: Array<[SmpMisbehaviour, string, string, string]> = [
    ['wrong-identity', 'down', 'identity_mismatch', 'tls identity'],
    ['forged-key-signature', 'down', 'identity_mismatch', 'hello identity'],
    ['session-mismatch', 'down', 'session_mismatch', 'hello'],
    ['close-after-hello', 'down', 'incompatible_version', 'ping'],
    ['silent', 'down', 'unresponsive', 'hello'],
    ['never-answer', 'down', 'unresponsive', 'ping'],
    ['garbage-hello', 'down', 'probe_error', 'hello'],
    ['truncated-hello', 'down', 'probe_error', 'hello'],
    ['garbage-block', 'down', 'probe_error', 'ping'],
    ['truncated-block', 'down', 'probe_error', 'ping'],
  ];
  it.each(cases)('%s: %s / %s at step %s', async (misbehaviour, status, reason, step) => {
    const server = await serverWith({ misbehaviour });
    const { result } = await run({ server: server.address, protocolTimeoutMs: 1_500 });
    expect(result.status).toBe(status);
    expect(result.reason).toBe(reason);
    expect(result.details?.step).toBe(step);
    expect(result.message).toContain(step);
  });

  it('the run timeout while waiting for a PONG is timeout at step ping; the monitor stopping is unknown / aborted', async () => {
    const server = await serverWith({ misbehaviour: 'never-answer' });
    const timedOut = await createSmpCheck({ server: server.address }).run(createTestCheckContext({ timeoutMs: 2_000 }));
    expect(timedOut).toMatchObject({ status: 'down', reason: 'timeout', details: { step: 'ping' } });
    const controller = new AbortController();
    const stopping = createSmpCheck({ server: server.address }).run(createTestCheckContext({ signal: controller.signal }));
    setTimeout(() => controller.abort(new VigilError('VIGIL_ERR_ABORTED', 'stopping', { reason: 'aborted' })), 1_000);
    expect(await stopping).toMatchObject({ status: 'unknown', reason: 'aborted' });
  });

  it('identity_mismatch names the key hash the server actually has', async () => {
    const server = await serverWith({ misbehaviour: 'wrong-identity' });
    const { result } = await run({ server: server.address });
    expect(result.details?.actualKeyHash).toBe(server.identity.keyHashText);
  });

  it('an expired leaf certificate is certificate_expired (down)', async () => {
    const { generateCertificate } = await import('@vigil/test-utils');
    const certificateAuthority = await generateCertificate({ keyType: 'ed25519', certificateAuthority: true });
    const leaf = await generateCertificate({ keyType: 'ed25519', issuer: certificateAuthority, altNames: [], notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const { createHash } = await import('node:crypto');
    const keyHash = createHash('sha256').update(certificateAuthority.certificateDer).digest();
    const server = await serverWith({ identity: { keyType: 'ed25519', certificateAuthority, leaf, keyHash, keyHashText: `${keyHash.toString('base64url')}=` } });
    const { result } = await run({ server: server.address });
    expect(result).toMatchObject({ status: 'down', reason: 'certificate_expired' });
  });
});

describe('test-server parity (mode queue)', () => {
  it('NEW, SKEY, DEL: up, and no queue is left behind', async () => {
    const server = await serverWith();
    const { result } = await run({ server: server.address, mode: 'queue' });
    expect(result).toMatchObject({ status: 'up', reason: 'ok' });
    expect(server.commands).toEqual(['NEW', 'SKEY', 'DEL']);
    expect(server.queueCount).toBe(0);
  });

  it('secures with KEY when IDS says the sender may not (contact queue), and on SMP v8', async () => {
    const contact = await serverWith({ queueMode: 'contact' });
    expect((await run({ server: contact.address, mode: 'queue' })).result.status).toBe('up');
    expect(contact.commands).toEqual(['NEW', 'KEY', 'DEL']);
    const old = await serverWith({ versions: { min: 6, max: 8 } });
    expect((await run({ server: old.address, mode: 'queue' })).result.status).toBe('up');
    expect(old.commands).toEqual(['NEW', 'KEY', 'DEL']);
  });

  it('with the password from the address: up; without it: restricted (degraded), and the password never shows', async () => {
    const server = await serverWith({ password: 'hunter2secret' });
    expect((await run({ server: server.address, mode: 'queue' })).result.status).toBe('up');
    const withoutPassword = server.address.replace(':hunter2secret@', '@');
    const { result } = await run({ server: withoutPassword, mode: 'queue' });
    expect(result).toMatchObject({ status: 'degraded', reason: 'restricted', details: { step: 'createQueue', serverError: 'AUTH' } });
    const wrongPassword = server.address.replace(':hunter2secret@', ':wrongpassword1@');
    const wrong = await run({ server: wrongPassword, mode: 'queue' });
    expect(wrong.result.reason).toBe('restricted');
    const text = JSON.stringify(wrong.result);
    expect(text).not.toContain('wrongpassword1');
    expect(text).toContain(':[redacted]@');
  });

  it.each([
    ['QUOTA', 'degraded', 'degraded'],
    ['STORE disk full', 'degraded', 'degraded'],
    ['BLOCKED reason=spam', 'degraded', 'blocked'],
    ['CMD SYNTAX', 'down', 'probe_error'],
  ])('ERR %s on NEW: %s / %s', async (newQueueError, status, reason) => {
    const server = await serverWith({ newQueueError });
    const { result } = await run({ server: server.address, mode: 'queue' });
    expect(result).toMatchObject({ status, reason, details: { step: 'createQueue' } });
  });
});

describe('delivery (mode delivery)', () => {
  it('sends on a second connection, receives on the subscribed first, verifies, acknowledges and deletes', async () => {
    const server = await serverWith({ keyType: 'ed448' });
    const { result, recorded } = await run({ server: server.address, mode: 'delivery', count: 3, messageBytes: 1_000 });
    expect(result).toMatchObject({ status: 'up', reason: 'ok', details: { bodyVerified: true } });
    expect(result.phases?.delivery).toBeGreaterThanOrEqual(0);
    expect(recorded.filter((metric) => metric.name === 'delivery_time')).toHaveLength(3);
    expect(recorded.find((metric) => metric.name === 'delivery_success_ratio')?.value).toBe(1);
    expect(server.commands).toEqual(['NEW', 'SKEY', 'SEND', 'ACK', 'SEND', 'ACK', 'SEND', 'ACK', 'DEL']);
    expect(server.connectionsAccepted).toBe(2);
    expect(server.queueCount).toBe(0);
  });

  it('works on an old server without block encryption or SKEY (v8)', async () => {
    const server = await serverWith({ versions: { min: 6, max: 8 } });
    const { result } = await run({ server: server.address, mode: 'delivery' });
    expect(result).toMatchObject({ status: 'up', details: { smp: { version: 8 } } });
  });

  it('a corrupted message body is integrity_error (down), the test queue still deleted', async () => {
    const server = await serverWith({ misbehaviour: 'corrupt-message-body' });
    const { result, recorded } = await run({ server: server.address, mode: 'delivery' });
    expect(result).toMatchObject({ status: 'down', reason: 'integrity_error', details: { step: 'decrypt' } });
    expect(recorded.find((metric) => metric.name === 'delivery_success_ratio')?.value).toBe(0);
    expect(server.queueCount).toBe(0);
  });

  it('queue creation refused for lack of a password: restricted', async () => {
    const server = await serverWith({ password: 'needed-password' });
    const { result } = await run({ server: server.address.replace(':needed-password@', '@'), mode: 'delivery' });
    expect(result).toMatchObject({ status: 'degraded', reason: 'restricted' });
  });
});

describe('transport: SOCKS5, onion hosts, unreachable servers', () => {
  it('through microsocks (an IP literal target): up, the proxy named in details', async () => {
    const server = await serverWith();
    const proxy = await startSocksProxy();
    cleanups.push(() => proxy.close());
    const { result } = await run({ server: server.address, proxy: proxy.url, mode: 'delivery' });
    expect(result).toMatchObject({ status: 'up', details: { proxy: proxy.url, remoteAddress: '127.0.0.1' } });
  });

  it('prefers the .onion host through a proxy, sends it unresolved, with random credentials per connection', async () => {
    const server = await serverWith();
    const proxy = await startRecordingSocksProxy({ route: (host) => (host === onionName ? { host: '127.0.0.1', port: server.port } : { reply: 0x02 }) });
    cleanups.push(() => proxy.close());
    const address = `smp://${server.identity.keyHashText}@relay.example.com,${onionName}:${server.port}`;
    const { result } = await run({ server: address, proxy: proxy.url, randomCredentials: true, mode: 'delivery' });
    expect(result.status).toBe('up');
    expect(createSmpCheck({ server: address, proxy: proxy.url }).target).toBe(`${onionName}:${server.port}`);
    expect(proxy.requests).toHaveLength(2);
    for (const request of proxy.requests) expect(request).toMatchObject({ host: onionName, addressType: 3, reply: 0 });
    const [first, second] = proxy.requests;
    expect(first?.username).toMatch(/^[0-9a-f]{16}$/);
    expect(first?.username).not.toBe(second?.username);
    expect(JSON.stringify(result)).not.toContain(first?.username);
  });

  it('proxy: true means Tor at 127.0.0.1:9050; without a proxy the public host is used', () => {
    const address = `smp://${zeroKeyHash}@relay.example.com,${onionName}`;
    expect(createSmpCheck({ server: address }).target).toBe('relay.example.com:5223');
    expect(createSmpCheck({ server: address, proxy: true }).target).toBe(`${onionName}:5223`);
    expect(createSmpCheck({ server: address, proxy: true, onion: 'never' }).target).toBe('relay.example.com:5223');
    expect(configError({ server: `smp://${zeroKeyHash}@${onionName}` }).message).toMatch(/onion/);
  });

  it('a refused port, and a proxy answering "onion descriptor not found", are unreachable', async () => {
    const closedPort = await findClosedPort();
    const refused = await run({ server: `smp://${zeroKeyHash}@127.0.0.1:${closedPort}` });
    expect(refused.result).toMatchObject({ status: 'down', reason: 'unreachable', details: { step: 'connect', phase: 'connect', cause: 'connection_refused' } });
    const proxy = await startRecordingSocksProxy({ route: () => ({ reply: 0xf0 }) });
    cleanups.push(() => proxy.close());
    const viaTor = await run({ server: `smp://${zeroKeyHash}@${onionName}`, proxy: proxy.url });
    expect(viaTor.result).toMatchObject({ status: 'down', reason: 'unreachable', details: { phase: 'proxy', socksReply: 0xf0 } });
  });

  it('a connect that does not finish within connectTimeoutMs is unreachable, not a run timeout', async () => {
    const silent = await startSilentServer({ tls: true });
    cleanups.push(() => silent.close());
    const { result } = await run({ server: `smp://${zeroKeyHash}@127.0.0.1:${silent.port}`, connectTimeoutMs: 300 });
    expect(result).toMatchObject({ status: 'down', reason: 'unreachable', details: { step: 'connect' } });
    // The TCP connect succeeds at once; the silent server stalls the TLS handshake.
    expect(['connect', 'tls']).toContain(result.details?.phase);
  });

  it('config errors never quote the server password', () => {
    const error = configError({ server: `smp://${zeroKeyHash}:topsecretpw@127.0.0.1`, mode: 'nope' });
    expect(error.message).not.toContain('topsecretpw');
  });
});
