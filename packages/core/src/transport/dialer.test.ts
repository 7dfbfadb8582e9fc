import { getEventListeners } from 'node:events';
import type { Socket } from 'node:net';
import {
  type GeneratedCertificate,
  cleanupAfterEach,
  findClosedPort,
  generateCertificate,
  startRecordingSocksProxy,
  startSilentServer,
  startSocksProxy,
  startTcpServer,
  startTlsServer,
} from '@vigil/test-utils';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DialOptions, DialResult, TlsDialOptions } from '../contracts/dialer.js';
import { VigilError } from '../errors/vigil-error.js';
import { createDialer } from './dialer.js';
import type { LookupFunction } from './dialer.js';

const onionName = 'vigiltestaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.onion';
const cleanups = cleanupAfterEach();
const { closeLater } = cleanups;

/** Dials and registers the socket to be destroyed after the test. */
async function dial(options: DialOptions, dialer = createDialer()): Promise<DialResult> {
  const result = await dialer.connect(options);
  result.socket.on('error', () => {});
  cleanups.defer(() => {
    result.socket.destroy();
  });
  return result;
}

/** The VigilError a dial rejects with. */
async function dialError(options: DialOptions, dialer = createDialer()): Promise<VigilError> {
  try {
    const result = await dialer.connect(options);
    result.socket.destroy();
  } catch (error) {
    expect(VigilError.hasCode(error, 'VIGIL_ERR_DIAL'), String(error)).toBe(true);
    return error as VigilError;
  }
  throw new Error('expected the dial to fail');
}

function readOnce(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8')));
    socket.once('error', reject);
  });
}

/** A lookup that answers only for the names given, so tests never query a real resolver. */
function staticLookup(names: Record<string, string>, calls: string[] = []): LookupFunction {
  const lookup = (hostname: string, _options: unknown, callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void): void => {
    calls.push(hostname);
    const address = names[hostname];
    setImmediate(() => {
      if (address === undefined) callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      else callback(null, address, address.includes(':') ? 6 : 4);
    });
  };
  return lookup as unknown as LookupFunction;
}

let certificateAuthority: GeneratedCertificate;
let leaf: GeneratedCertificate;
let selfSigned: GeneratedCertificate;

beforeAll(async () => {
  certificateAuthority = await generateCertificate({ certificateAuthority: true });
  leaf = await generateCertificate({ issuer: certificateAuthority, altNames: ['localhost', 'vigil.test', '127.0.0.1'] });
  selfSigned = await generateCertificate();
});

describe('direct TCP', () => {
  it('connects to an IP without a DNS phase and hands over a usable socket', async () => {
    const server = closeLater(await startTcpServer({ banner: 'hello\r\n' }));
    const result = await dial({ host: server.host, port: server.port });
    expect(await readOnce(result.socket)).toBe('hello\r\n');
    expect(result.timings.dns).toBeUndefined();
    expect(result.timings.connect).toBeGreaterThanOrEqual(0);
    expect(result.timings.total).toBeGreaterThanOrEqual(result.timings.connect);
    expect(result.remoteAddress).toBe('127.0.0.1');
    expect(result.tls).toBeUndefined();
  });

  it('connects over IPv6 loopback, with or without brackets', async () => {
    const server = closeLater(await startTcpServer({ host: '::1', banner: 'six' }));
    for (const host of ['::1', '[::1]']) {
      const result = await dial({ host, port: server.port });
      expect(await readOnce(result.socket)).toBe('six');
      expect(result.remoteAddress).toBe('::1');
    }
    const error = await dialError({ host: '[::1]', port: await findClosedPort({ host: '::1' }) });
    expect(error.message).toMatch(/^\[core\] dial \[::1\]:\d+: connection refused/);
  });

  it('hands over the socket without its own listeners', async () => {
    const server = closeLater(await startTcpServer());
    const { socket } = await createDialer().connect({ host: server.host, port: server.port, signal: new AbortController().signal });
    cleanups.defer(() => {
      socket.destroy();
    });
    expect([socket.listenerCount('error'), socket.listenerCount('connect'), socket.listenerCount('data')]).toEqual([0, 0, 0]);
  });

  it('times the lookup of a name separately and connects to the address found', async () => {
    const server = closeLater(await startTcpServer({ banner: 'x' }));
    const calls: string[] = [];
    const dialer = createDialer({ lookup: staticLookup({ 'vigil.test': '127.0.0.1' }, calls) });
    const result = await dial({ host: 'vigil.test', port: server.port }, dialer);
    expect(calls).toEqual(['vigil.test']);
    expect(result.timings.dns).toBeGreaterThanOrEqual(0);
    expect(result.remoteAddress).toBe('127.0.0.1');
    expect(server.connectionsAccepted).toBe(1);
  });

  it('uses dns.lookup by default (localhost from /etc/hosts)', async () => {
    const server = closeLater(await startTcpServer({ banner: 'x' }));
    const result = await dial({ host: 'localhost', port: server.port, family: 4 });
    expect(result.timings.dns).toBeGreaterThanOrEqual(0);
    expect(result.remoteAddress).toBe('127.0.0.1');
  });

  it('rejects a name that does not resolve with dns_error in the dns phase', async () => {
    const error = await dialError({ host: 'missing.test', port: 80 }, createDialer({ lookup: staticLookup({}) }));
    expect(error.reason).toBe('dns_error');
    expect(error.details).toMatchObject({ phase: 'dns', code: 'ENOTFOUND' });
    expect(error.message).toMatch(/^\[core\] dial missing\.test:80: name not found \(ENOTFOUND\)/);
  });

  it('rejects a closed port with connection_refused in the connect phase', async () => {
    const port = await findClosedPort();
    const error = await dialError({ host: '127.0.0.1', port });
    expect(error.reason).toBe('connection_refused');
    expect(error.details).toMatchObject({ phase: 'connect', code: 'ECONNREFUSED' });
  });

  it('rejects bad ports and empty hosts as config errors without connecting', async () => {
    expect((await dialError({ host: '127.0.0.1', port: 0 })).reason).toBe('config_error');
    expect((await dialError({ host: '127.0.0.1', port: 70_000 })).reason).toBe('config_error');
    expect((await dialError({ host: '', port: 80 })).reason).toBe('config_error');
  });

  it('applies keepalive and noDelay options without failing the connect', async () => {
    const server = closeLater(await startTcpServer({ banner: 'k' }));
    const result = await dial({ host: server.host, port: server.port, keepAlive: { idleMs: 30_000 }, noDelay: false });
    expect(await readOnce(result.socket)).toBe('k');
  });
});

describe('abort', () => {
  it('rejects with timeout when the signal aborts with a timeout reason, and closes the socket', async () => {
    const server = closeLater(await startSilentServer({ tls: true }));
    const controller = new AbortController();
    const pending = dialError({ host: server.host, port: server.port, signal: controller.signal, tls: { verify: false } });
    await vi.waitFor(() => expect(server.clientHellosReceived).toBe(1));
    controller.abort(new VigilError('VIGIL_ERR_TIMEOUT', '[core] check timed out after 500 ms', { reason: 'timeout' }));
    const error = await pending;
    expect(error.reason).toBe('timeout');
    expect(error.details).toMatchObject({ phase: 'tls' });
    expect(error.message).toMatch(/timed out during the TLS handshake/);
    await vi.waitFor(() => expect(server.connectionsClosed).toBe(1));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects with aborted for a plain abort, during the lookup', async () => {
    const controller = new AbortController();
    const neverAnswers = (() => {}) as unknown as LookupFunction;
    const pending = dialError({ host: 'slow.test', port: 80, signal: controller.signal }, createDialer({ lookup: neverAnswers }));
    controller.abort();
    const error = await pending;
    expect(error.reason).toBe('aborted');
    expect(error.details).toMatchObject({ phase: 'dns' });
  });

  it('maps AbortSignal.timeout to timeout', async () => {
    const server = closeLater(await startSilentServer({ tls: true }));
    const error = await dialError({ host: server.host, port: server.port, signal: AbortSignal.timeout(200), tls: { verify: false } });
    expect(error.reason).toBe('timeout');
    await vi.waitFor(() => expect(server.connectionsClosed).toBe(1));
  });

  it('does not connect at all when the signal is already aborted', async () => {
    const server = closeLater(await startTcpServer());
    const controller = new AbortController();
    controller.abort(new VigilError('VIGIL_ERR_ABORTED', 'stop', { reason: 'aborted' }));
    const error = await dialError({ host: server.host, port: server.port, signal: controller.signal });
    expect(error.reason).toBe('aborted');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.connectionsAccepted).toBe(0);
  });

  it('leaves no abort listener behind after a successful dial', async () => {
    const server = closeLater(await startTcpServer());
    const controller = new AbortController();
    await dial({ host: server.host, port: server.port, signal: controller.signal });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('onion names', () => {
  it('refuses .onion without a proxy with config_error, never resolving it locally', async () => {
    const calls: string[] = [];
    const error = await dialError({ host: onionName, port: 443 }, createDialer({ lookup: staticLookup({}, calls) }));
    expect(error.reason).toBe('config_error');
    expect(error.message).toMatch(/SOCKS5 proxy/);
    expect(calls).toEqual([]);
  });

  it('honours onion: never and onion: require', async () => {
    const proxy = { host: '127.0.0.1', port: 9 };
    expect((await dialError({ host: onionName, port: 443, proxy, onion: 'never' })).reason).toBe('config_error');
    expect((await dialError({ host: 'example.test', port: 443, proxy, onion: 'require' })).reason).toBe('config_error');
  });
});

describe('TLS', () => {
  it('verifies a CA-signed chain and summarises the session', async () => {
    const server = closeLater(await startTlsServer({ certificate: leaf, alpn: ['h2', 'http/1.1'] }));
    const result = await dial({ host: 'localhost', port: server.port, tls: { ca: certificateAuthority.certificatePem, alpn: ['h2'] } });
    const tls = result.tls;
    expect(tls).toBeDefined();
    expect(tls?.authorized).toBe(true);
    expect(tls?.protocol).toBe('TLSv1.3');
    expect(tls?.alpnProtocol).toBe('h2');
    expect(tls?.cipher).toMatch(/^TLS_/);
    expect(tls?.servername).toBe('localhost');
    expect(tls?.chain.map((certificate) => certificate.fingerprintSha256)).toEqual([leaf.fingerprintSha256, certificateAuthority.fingerprintSha256]);
    expect(tls?.chain[0]?.subject).toContain('CN=localhost');
    expect(tls?.chain[0]?.validTo).toBe(new Date(Math.floor(leaf.notAfter.getTime() / 1000) * 1000).toISOString());
    expect(tls?.daysUntilExpiry).toBeGreaterThanOrEqual(29);
    expect(tls?.daysUntilExpiry).toBeLessThanOrEqual(30);
    expect(result.timings.tls).toBeGreaterThan(0);
    expect(result.timings.dns).toBeGreaterThanOrEqual(0);
    // In TLS 1.3 the client finishes first; the server records its side a moment later.
    await vi.waitFor(() => expect(server.handshakes[0]).toMatchObject({ servername: 'localhost', alpnProtocol: 'h2' }));
  });

  it('sends the hostname as SNI after resolving it, a chosen servername, or none', async () => {
    const server = closeLater(await startTlsServer({ certificate: leaf }));
    const dialer = createDialer({ lookup: staticLookup({ 'vigil.test': '127.0.0.1' }) });
    const ca = certificateAuthority.certificatePem;
    await dial({ host: 'vigil.test', port: server.port, tls: { ca } }, dialer);
    await vi.waitFor(() => expect(server.handshakes).toHaveLength(1));
    await dial({ host: '127.0.0.1', port: server.port, tls: { ca, servername: 'localhost' } });
    await vi.waitFor(() => expect(server.handshakes).toHaveLength(2));
    const withoutSni = await dial({ host: '127.0.0.1', port: server.port, tls: { ca, servername: false } });
    await vi.waitFor(() => expect(server.handshakes).toHaveLength(3));
    await dial({ host: '127.0.0.1', port: server.port, tls: { ca } });
    await vi.waitFor(() => expect(server.handshakes).toHaveLength(4));
    expect(server.handshakes.map((handshake) => handshake.servername)).toEqual(['vigil.test', 'localhost', false, false]);
    expect(withoutSni.tls?.servername).toBeNull();
    // Without SNI the certificate is still checked against the host (127.0.0.1 is in its altNames).
    expect(withoutSni.tls?.authorized).toBe(true);
  });

  it('fails verification of a self-signed certificate with tls_error and closes the connection', async () => {
    const server = closeLater(await startTlsServer({ certificate: selfSigned }));
    const error = await dialError({ host: '127.0.0.1', port: server.port, tls: {} });
    expect(error.reason).toBe('tls_error');
    expect(error.details).toMatchObject({ phase: 'tls', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    await vi.waitFor(() => expect(server.connectionsClosed).toBe(1));
  });

  it('reports a host name the certificate does not cover as tls_error', async () => {
    const server = closeLater(await startTlsServer({ certificate: leaf }));
    const error = await dialError({ host: '127.0.0.1', port: server.port, tls: { ca: certificateAuthority.certificatePem, servername: 'other.test' } });
    expect(error.reason).toBe('tls_error');
    expect(error.details).toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('connects without verification when verify is false, and says the chain is not authorised', async () => {
    const server = closeLater(await startTlsServer({ certificate: selfSigned }));
    const result = await dial({ host: '127.0.0.1', port: server.port, tls: { verify: false } });
    expect(result.tls?.authorized).toBe(false);
    expect(result.tls?.authorizationError).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(result.tls?.pinned).toBeUndefined();
  });

  it('accepts a pinned leaf in any fingerprint notation instead of chain verification', async () => {
    const server = closeLater(await startTlsServer({ certificate: selfSigned }));
    const hex = selfSigned.fingerprintSha256.replace(/:/g, '');
    const base64 = Buffer.from(hex, 'hex').toString('base64');
    for (const pin of [selfSigned.fingerprintSha256, hex.toLowerCase(), base64]) {
      const result = await dial({ host: '127.0.0.1', port: server.port, tls: { pinSha256: ['00'.repeat(32), pin] } });
      expect(result.tls?.pinned).toBe(true);
      expect(result.tls?.authorized).toBe(false);
    }
  });

  it('rejects a leaf that matches no pin with identity_mismatch', async () => {
    const server = closeLater(await startTlsServer({ certificate: selfSigned }));
    const error = await dialError({ host: '127.0.0.1', port: server.port, tls: { pinSha256: ['ab'.repeat(32)] } });
    expect(error.reason).toBe('identity_mismatch');
    expect(error.details).toMatchObject({ phase: 'tls', fingerprintSha256: selfSigned.fingerprintSha256 });
    await vi.waitFor(() => expect(server.connectionsClosed).toBe(1));
  });

  it('rejects a malformed pin as config_error', async () => {
    const server = closeLater(await startTlsServer({ certificate: selfSigned }));
    const error = await dialError({ host: '127.0.0.1', port: server.port, tls: { pinSha256: ['not-a-fingerprint'] } });
    expect(error.reason).toBe('config_error');
  });

  it('reports an expired certificate as certificate_expired when verifying', async () => {
    const expired = await generateCertificate({
      issuer: certificateAuthority,
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const server = closeLater(await startTlsServer({ certificate: expired }));
    const error = await dialError({ host: 'localhost', port: server.port, tls: { ca: certificateAuthority.certificatePem } });
    expect(error.reason).toBe('certificate_expired');
    const unverified = await dial({ host: 'localhost', port: server.port, tls: { verify: false } });
    expect(unverified.tls?.daysUntilExpiry).toBeLessThan(0);
  });

  it('fails with tls_error when the versions do not overlap', async () => {
    const server = closeLater(await startTlsServer({ certificate: selfSigned, maxVersion: 'TLSv1.2' }));
    const error = await dialError({ host: '127.0.0.1', port: server.port, tls: { verify: false, minVersion: 'TLSv1.3' } });
    expect(error.reason).toBe('tls_error');
    expect(error.details).toMatchObject({ phase: 'tls' });
    const result = await dial({ host: '127.0.0.1', port: server.port, tls: { verify: false, maxVersion: 'TLSv1.2' } });
    expect(result.tls?.protocol).toBe('TLSv1.2');
  });

  it('fails with tls_error against a plain TCP server', async () => {
    const server = closeLater(await startTcpServer({ banner: 'SSH-2.0-OpenSSH_9.2\r\n' }));
    const error = await dialError({ host: '127.0.0.1', port: server.port, tls: { verify: false } });
    expect(error.reason).toBe('tls_error');
  });

  it('fails with tls_error when no ALPN protocol is shared', async () => {
    const server = closeLater(await startTlsServer({ certificate: selfSigned, alpn: ['smp/1'] }));
    const error = await dialError({ host: '127.0.0.1', port: server.port, tls: { verify: false, alpn: ['h2'] } });
    expect(error.reason).toBe('tls_error');
  });

  it('presents a client certificate for mutual TLS', async () => {
    const client = await generateCertificate({ issuer: certificateAuthority, commonName: 'vigil-client' });
    const server = closeLater(
      await startTlsServer({ certificate: leaf, requestCert: true, rejectUnauthorized: true, ca: certificateAuthority.certificatePem }),
    );
    await dial({
      host: 'localhost',
      port: server.port,
      tls: { ca: certificateAuthority.certificatePem, cert: client.certificatePem, key: client.privateKeyPem },
    });
    await vi.waitFor(() => expect(server.handshakes[0]?.clientAuthorized).toBe(true));
  });

  it.each(['ed25519', 'ed448', 'rsa'] as const)('verifies a two-certificate %s chain', async (keyType) => {
    const root = await generateCertificate({ certificateAuthority: true, keyType });
    const server = closeLater(await startTlsServer({ certificate: await generateCertificate({ issuer: root, keyType }) }));
    const result = await dial({ host: 'localhost', port: server.port, tls: { ca: root.certificatePem } });
    expect(result.tls?.authorized).toBe(true);
    expect(result.tls?.chain).toHaveLength(2);
    expect(result.tls?.chain[1]?.fingerprintSha256).toBe(root.fingerprintSha256);
  });

  it('reuses one TLS options object across many connections', async () => {
    const server = closeLater(await startTlsServer({ certificate: leaf }));
    const tlsOptions: TlsDialOptions = Object.freeze({ ca: certificateAuthority.certificatePem });
    const dialer = createDialer();
    for (let index = 0; index < 3; index += 1) {
      const result = await dial({ host: 'localhost', port: server.port, tls: tlsOptions }, dialer);
      expect(result.tls?.authorized).toBe(true);
    }
  });
});

describe('SOCKS5 through microsocks', () => {
  it('connects through a proxy without authentication and times the proxy phase', async () => {
    const target = closeLater(await startTcpServer({ banner: 'via proxy' }));
    const proxy = closeLater(await startSocksProxy());
    const result = await dial({ host: '127.0.0.1', port: target.port, proxy: proxy.proxy });
    expect(await readOnce(result.socket)).toBe('via proxy');
    expect(result.timings.proxy).toBeGreaterThanOrEqual(0);
    expect(result.timings.dns).toBeUndefined();
    expect(result.remoteAddress).toBe('127.0.0.1');
    expect(result.socket.remotePort).toBe(proxy.port);
  });

  it('authenticates with a username and password, and reports wrong ones without echoing them', async () => {
    const target = closeLater(await startTcpServer({ banner: 'auth ok' }));
    const proxy = closeLater(await startSocksProxy({ username: 'vigil', password: 'correct-horse' }));
    const result = await dial({ host: 'localhost', port: target.port, proxy: proxy.proxy });
    expect(await readOnce(result.socket)).toBe('auth ok');
    const error = await dialError({ host: '127.0.0.1', port: target.port, proxy: { ...proxy.proxy, password: 'wrong-battery' } });
    expect(error.reason).toBe('proxy_error');
    expect(error.message).toMatch(/rejected the username or password/);
    expect(JSON.stringify({ message: error.message, details: error.details, cause: String(error.cause) })).not.toMatch(/wrong-battery|correct-horse/);
    expect(error.message).toContain('socks5h://[redacted]@127.0.0.1:');
  });

  it('reports a proxy that needs credentials when none are given', async () => {
    const proxy = closeLater(await startSocksProxy({ username: 'vigil', password: 'secret-pass' }));
    const error = await dialError({ host: '127.0.0.1', port: 9, proxy: { host: proxy.host, port: proxy.port } });
    expect(error.reason).toBe('proxy_error');
    expect(error.message).toMatch(/authentication/);
  });

  it('reports the reply code when the proxy cannot reach the destination', async () => {
    const proxy = closeLater(await startSocksProxy());
    const closedPort = await findClosedPort();
    const error = await dialError({ host: '127.0.0.1', port: closedPort, proxy: proxy.proxy });
    expect(error.reason).toBe('proxy_error');
    expect(error.details).toMatchObject({ phase: 'proxy', socksReply: 5, socksReplyMessage: 'connection refused' });
    expect(error.message).toMatch(/reply 0x05 \(connection refused\)/);
  });

  it('reports an unreachable proxy as proxy_error', async () => {
    const closedPort = await findClosedPort();
    const error = await dialError({ host: '127.0.0.1', port: 80, proxy: { host: '127.0.0.1', port: closedPort } });
    expect(error.reason).toBe('proxy_error');
    expect(error.details).toMatchObject({ phase: 'connect', code: 'ECONNREFUSED' });
    expect(error.message).toMatch(/cannot reach the SOCKS5 proxy/);
  });

  it('runs TLS over the proxied connection', async () => {
    const server = closeLater(await startTlsServer({ certificate: leaf }));
    const proxy = closeLater(await startSocksProxy());
    const result = await dial({ host: 'localhost', port: server.port, proxy: proxy.proxy, tls: { ca: certificateAuthority.certificatePem } });
    expect(result.tls?.authorized).toBe(true);
    expect(result.timings.proxy).toBeGreaterThanOrEqual(0);
    expect(result.timings.tls).toBeGreaterThan(0);
    await vi.waitFor(() => expect(server.handshakes[0]?.servername).toBe('localhost'));
  });

  it('uses the dialer default proxy unless a dial says proxy: false', async () => {
    const target = closeLater(await startTcpServer({ banner: 'x' }));
    const proxy = closeLater(await startSocksProxy());
    const dialer = createDialer({ proxy: proxy.proxy });
    const proxied = await dial({ host: '127.0.0.1', port: target.port }, dialer);
    expect(proxied.timings.proxy).toBeDefined();
    expect(proxied.socket.remotePort).toBe(proxy.port);
    const direct = await dial({ host: '127.0.0.1', port: target.port, proxy: false }, dialer);
    expect(direct.timings.proxy).toBeUndefined();
    expect(direct.socket.remotePort).toBe(target.port);
  });

  it('aborts during the SOCKS5 handshake and closes the socket', async () => {
    const silentProxy = closeLater(await startSilentServer());
    const controller = new AbortController();
    const pending = dialError({ host: '127.0.0.1', port: 80, proxy: { host: silentProxy.host, port: silentProxy.port }, signal: controller.signal });
    await vi.waitFor(() => expect(silentProxy.bytesReceived).toBeGreaterThan(0));
    controller.abort(new VigilError('VIGIL_ERR_TIMEOUT', 'timeout', { reason: 'timeout' }));
    const error = await pending;
    expect(error.reason).toBe('timeout');
    expect(error.details).toMatchObject({ phase: 'proxy' });
    await vi.waitFor(() => expect(silentProxy.connectionsClosed).toBe(1));
  });
});

describe('SOCKS5 name handling and credentials (recording proxy)', () => {
  let target: Awaited<ReturnType<typeof startTcpServer>>;
  beforeAll(async () => {
    target = await startTcpServer({ banner: 'onion service' });
  });
  afterAll(async () => {
    await target.close();
  });

  it('sends .onion names to the proxy unresolved (remote resolution)', async () => {
    const proxy = closeLater(await startRecordingSocksProxy({ route: (host, port) => (host === onionName ? { host: '127.0.0.1', port: target.port } : { reply: 0x04 }) }));
    const calls: string[] = [];
    const dialer = createDialer({ lookup: staticLookup({}, calls) });
    const result = await dial({ host: onionName, port: 80, proxy: proxy.proxy }, dialer);
    expect(await readOnce(result.socket)).toBe('onion service');
    expect(calls).toEqual([]);
    expect(proxy.requests).toEqual([expect.objectContaining({ host: onionName, port: 80, addressType: 3, reply: 0 })]);
  });

  it('sends other names unresolved too', async () => {
    const proxy = closeLater(await startRecordingSocksProxy());
    await dial({ host: 'localhost', port: target.port, proxy: proxy.proxy });
    expect(proxy.requests[0]).toMatchObject({ host: 'localhost', addressType: 3 });
  });

  it('uses fresh random credentials for every connection with randomCredentials', async () => {
    const proxy = closeLater(await startRecordingSocksProxy());
    const options = { host: '127.0.0.1', port: target.port, proxy: { ...proxy.proxy, randomCredentials: true } };
    await dial(options);
    await dial(options);
    const [first, second] = proxy.requests;
    expect(first?.methods).toContain(0x02);
    expect(first?.username).toMatch(/^[0-9a-f]{16}$/);
    expect(second?.username).toMatch(/^[0-9a-f]{16}$/);
    expect(first?.username).not.toBe(second?.username);
  });

  it("reports Tor's onion-service reply codes", async () => {
    const proxy = closeLater(await startRecordingSocksProxy({ route: () => ({ reply: 0xf0 }) }));
    const error = await dialError({ host: onionName, port: 443, proxy: proxy.proxy });
    expect(error.reason).toBe('proxy_error');
    expect(error.details).toMatchObject({ socksReply: 0xf0, socksReplyMessage: 'onion service descriptor can not be found' });
  });

  it('reports the reply code after username/password authentication', async () => {
    const proxy = closeLater(await startRecordingSocksProxy({ requireAuth: { username: 'u', password: 'p' }, route: () => ({ reply: 0x02 }) }));
    const error = await dialError({ host: '127.0.0.1', port: 1, proxy: proxy.proxy });
    expect(error.details).toMatchObject({ socksReply: 2, socksReplyMessage: 'connection not allowed by ruleset' });
  });
});
