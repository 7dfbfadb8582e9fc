import {
  type CheckContext,
  type HistogramSummary,
  VigilError,
  createDialer,
  createPluginRegistry,
  executeCheck,
  silentLogger,
  systemClock,
} from '@vigil/core';
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
  testCheck,
} from '@vigil/test-utils';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeEscapes } from './index.js';
import { createTcpCheck, tcpCheckPlugin } from './tcp-check.js';

const dayMs = 86_400_000;
const onionName = 'vigiltestbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.onion';
const { closeLater } = cleanupAfterEach();

interface RecordedGauge {
  readonly name: string;
  readonly value: number;
}

/** A run context with a real dialer and a timeout; records the gauges the check reports. */
function contextFor(options: { timeoutMs?: number; signal?: AbortSignal } = {}): CheckContext & { gauges: RecordedGauge[] } {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const gauges: RecordedGauge[] = [];
  return {
    checkId: 'tcp-test',
    tags: {},
    signal: options.signal ?? AbortSignal.timeout(timeoutMs),
    timeoutMs,
    attempt: 1,
    dialer: createDialer(),
    clock: systemClock,
    logger: silentLogger,
    gauges,
    metrics: {
      gauge: (name, value) => void gauges.push({ name, value }),
      counter: () => {},
      histogram: () => {},
    },
  };
}

/** Until the metrics engine is wired in, runs need only a histogram that summarises nothing. */
const trivialHistogramFactory: Parameters<typeof executeCheck>[1]['histogramFactory'] = (name, unit) => ({
  record() {},
  summarize(): HistogramSummary {
    return { type: 'histogram', name, unit, count: 0, min: 0, max: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, jitter: 0, snapshot: '' };
  },
});

function configError(create: () => unknown): VigilError {
  try {
    create();
  } catch (error) {
    expect(VigilError.hasCode(error, 'VIGIL_ERR_CONFIG'), String(error)).toBe(true);
    return error as VigilError;
  }
  throw new Error('expected a config error');
}

testCheck({
  plugin: tcpCheckPlugin,
  async setup() {
    const open = await startTcpServer({ banner: 'ready\r\n' });
    const silent = await startSilentServer({ tls: true });
    const closedPort = await findClosedPort();
    return {
      up: createTcpCheck({ host: open.host, port: open.port }),
      down: createTcpCheck({ host: '127.0.0.1', port: closedPort }),
      silent: createTcpCheck({ host: silent.host, port: silent.port, tls: { verify: false } }),
      invalidOptions: [
        { port: 0 },
        { host: '127.0.0.1', port: 70_000 },
        { host: '127.0.0.1', port: 80, tls: { pinSha256: ['not-a-fingerprint'] } },
        { host: '127.0.0.1', port: 80, send: 'a', sendHex: '00' },
        { host: '127.0.0.1', port: 80, expect: '(' },
        { host: '127.0.0.1', port: 80, proxy: 'http://127.0.0.1:8080' },
        { host: '127.0.0.1', port: 80, randomCredentials: true },
        { host: '127.0.0.1', port: 80, interval: '30s' },
      ],
      async teardown() {
        await open.close();
        await silent.close();
      },
    };
  },
});

let certificateAuthority: GeneratedCertificate;
let validLeaf: GeneratedCertificate;

beforeAll(async () => {
  certificateAuthority = await generateCertificate({ certificateAuthority: true });
  validLeaf = await generateCertificate({ issuer: certificateAuthority });
});

async function leafExpiringIn(days: number): Promise<GeneratedCertificate> {
  return generateCertificate({ issuer: certificateAuthority, notBefore: new Date(Date.now() - 30 * dayMs), notAfter: new Date(Date.now() + days * dayMs) });
}

describe('plain TCP', () => {
  it('reports an open port as up with connect and total phases, and closes its socket', async () => {
    const server = closeLater(await startTcpServer());
    const check = createTcpCheck({ host: server.host, port: server.port });
    expect(check.target).toBe(`127.0.0.1:${server.port}`);
    const result = await check.run(contextFor());
    expect(result).toMatchObject({ status: 'up', reason: 'ok', details: { host: '127.0.0.1', port: server.port, remoteAddress: '127.0.0.1' } });
    expect(Object.keys(result.phases ?? {}).sort()).toEqual(['connect', 'total']);
    expect(result.phases?.total).toBe(result.durationMs);
    await vi.waitFor(() => expect(server.connectionsClosed).toBe(1));
  });

  it('adds a dns phase for names', async () => {
    const server = closeLater(await startTcpServer());
    const result = await createTcpCheck({ host: 'localhost', port: server.port, family: 4 }).run(contextFor());
    expect(result.status).toBe('up');
    expect(result.phases?.dns).toBeGreaterThanOrEqual(0);
  });

  it('reports a closed port as down / connection_refused', async () => {
    const port = await findClosedPort();
    const result = await createTcpCheck({ host: '127.0.0.1', port }).run(contextFor());
    expect(result).toMatchObject({ status: 'down', reason: 'connection_refused', details: { phase: 'connect', code: 'ECONNREFUSED' } });
    expect(result.message).toBe(`dial 127.0.0.1:${port}: connection refused (ECONNREFUSED)`);
  });

  it('reports an aborted run as unknown / aborted', async () => {
    const server = closeLater(await startSilentServer({ tls: true }));
    const controller = new AbortController();
    const pending = createTcpCheck({ host: server.host, port: server.port, tls: true }).run(contextFor({ signal: controller.signal }));
    await vi.waitFor(() => expect(server.clientHellosReceived).toBe(1));
    controller.abort();
    expect(await pending).toMatchObject({ status: 'unknown', reason: 'aborted' });
  });

  it('accepts keepAlive', async () => {
    const server = closeLater(await startTcpServer());
    expect((await createTcpCheck({ host: server.host, port: server.port, keepAlive: { idleMs: 10_000 } }).run(contextFor())).status).toBe('up');
    expect((await createTcpCheck({ host: server.host, port: server.port, keepAlive: true }).run(contextFor())).status).toBe('up');
  });
});

describe('timeouts through the runtime', () => {
  it('times out against a silent TLS server and closes the connection', async () => {
    const server = closeLater(await startSilentServer({ tls: true }));
    const check = createTcpCheck({ host: server.host, port: server.port, tls: true });
    const { record } = await executeCheck(check, { checkId: 'silent', timeoutMs: 500, dialer: createDialer(), histogramFactory: trivialHistogramFactory });
    expect(record).toMatchObject({ status: 'down', reason: 'timeout', checkType: 'tcp', target: `127.0.0.1:${server.port}` });
    expect(record.message).toMatch(/timed out during the TLS handshake/);
    expect(record.details).toMatchObject({ phase: 'tls' });
    expect(record.durationMs).toBeGreaterThanOrEqual(450);
    expect(server.clientHellosReceived).toBe(1);
    await vi.waitFor(() => expect(server.connectionsClosed).toBe(1));
  });

  it('times out waiting for an expected reply and says what it saw', async () => {
    const server = closeLater(await startTcpServer({ banner: 'partial' }));
    // An idle window longer than the timeout: the run ends by its timeout.
    const check = createTcpCheck({ host: server.host, port: server.port, expect: '^complete', replyIdleMs: 60_000 });
    const { record } = await executeCheck(check, { checkId: 'slow', timeoutMs: 500, dialer: createDialer(), histogramFactory: trivialHistogramFactory });
    expect(record).toMatchObject({ status: 'down', reason: 'timeout', details: { reply: 'partial', bytesReceived: 7 } });
    expect(record.message).toContain('got "partial"');
    await vi.waitFor(() => expect(server.connectionsClosed).toBe(1));
  });

  it('times out against a server that accepts and never answers the expected reply', async () => {
    const server = closeLater(await startSilentServer());
    const check = createTcpCheck({ host: server.host, port: server.port, expect: '^220' });
    const { record } = await executeCheck(check, { checkId: 'mute', timeoutMs: 500, dialer: createDialer(), histogramFactory: trivialHistogramFactory });
    expect(record).toMatchObject({ status: 'down', reason: 'timeout', details: { bytesReceived: 0 } });
    expect(record.message).toContain('got nothing');
  });
});

describe('TLS', () => {
  it('reports TLS facts and phases for a verified chain', async () => {
    const server = closeLater(await startTlsServer({ certificate: validLeaf, alpn: ['h2'] }));
    const context = contextFor();
    const result = await createTcpCheck({ host: 'localhost', port: server.port, tls: { ca: certificateAuthority.certificatePem, alpn: ['h2'] } }).run(context);
    expect(result).toMatchObject({
      status: 'up',
      reason: 'ok',
      details: {
        tls: {
          protocol: 'TLSv1.3',
          alpnProtocol: 'h2',
          authorized: true,
          servername: 'localhost',
          chainLength: 2,
          fingerprintSha256: validLeaf.fingerprintSha256,
          leafNotAfter: new Date(Math.floor(validLeaf.notAfter.getTime() / 1000) * 1000).toISOString(),
        },
      },
    });
    expect(Object.keys(result.phases ?? {}).sort()).toEqual(['connect', 'dns', 'tls', 'total']);
    const tls = (result.details as { tls: { daysUntilExpiry: number; cipher: string } }).tls;
    expect(tls.daysUntilExpiry).toBeGreaterThanOrEqual(29);
    expect(tls.cipher).toMatch(/^TLS_/);
    expect(context.gauges).toEqual([{ name: 'tls_certificate_days_until_expiry', value: tls.daysUntilExpiry }]);
    // The check closes gracefully: the server sees a completed handshake, not a failed one.
    await vi.waitFor(() => expect(server.handshakes).toHaveLength(1));
    expect(server.handshakeFailures).toBe(0);
  });

  it('reports a handshake with a plain TCP server as tls_error', async () => {
    const server = closeLater(await startTcpServer({ banner: 'SSH-2.0-OpenSSH_9.2\r\n' }));
    const result = await createTcpCheck({ host: server.host, port: server.port, tls: true }).run(contextFor());
    expect(result).toMatchObject({ status: 'down', reason: 'tls_error', details: { phase: 'tls' } });
  });

  it('reports a TLS version mismatch as tls_error', async () => {
    const server = closeLater(await startTlsServer({ certificate: validLeaf, maxVersion: 'TLSv1.2' }));
    const result = await createTcpCheck({ host: 'localhost', port: server.port, tls: { ca: certificateAuthority.certificatePem, minVersion: 'TLSv1.3' } }).run(contextFor());
    expect(result).toMatchObject({ status: 'down', reason: 'tls_error' });
  });

  it('reports an expired certificate as certificate_expired, verified or not', async () => {
    const expired = await generateCertificate({ issuer: certificateAuthority, notBefore: new Date(Date.now() - 40 * dayMs), notAfter: new Date(Date.now() - dayMs) });
    const server = closeLater(await startTlsServer({ certificate: expired }));
    const verified = await createTcpCheck({ host: 'localhost', port: server.port, tls: { ca: certificateAuthority.certificatePem } }).run(contextFor());
    expect(verified).toMatchObject({ status: 'down', reason: 'certificate_expired' });
    const unverified = await createTcpCheck({ host: 'localhost', port: server.port, tls: { verify: false } }).run(contextFor());
    expect(unverified).toMatchObject({ status: 'down', reason: 'certificate_expired', details: { tls: { authorized: false } } });
    expect(unverified.message).toMatch(/expired on/);
  });

  it.each([
    { days: 10, options: {}, status: 'degraded' },
    { days: 2, options: {}, status: 'down' },
    { days: 10, options: { expiryWarnDays: 7, expiryCriticalDays: 1 }, status: 'up' },
    { days: 20, options: { expiryWarnDays: 30, expiryCriticalDays: 21 }, status: 'down' },
  ])('reports a certificate expiring in $days days with $options as $status', async ({ days, options, status }) => {
    const server = closeLater(await startTlsServer({ certificate: await leafExpiringIn(days) }));
    const result = await createTcpCheck({ host: 'localhost', port: server.port, tls: { ca: certificateAuthority.certificatePem, ...options } }).run(contextFor());
    expect(result.status).toBe(status);
    expect(result.reason).toBe(status === 'up' ? 'ok' : 'certificate_expiring');
  });

  it('accepts a matching pin and rejects a wrong one with identity_mismatch', async () => {
    const selfSigned = await generateCertificate();
    const server = closeLater(await startTlsServer({ certificate: selfSigned }));
    const pinned = await createTcpCheck({ host: '127.0.0.1', port: server.port, tls: { pinSha256: selfSigned.fingerprintSha256 } }).run(contextFor());
    expect(pinned).toMatchObject({ status: 'up', details: { tls: { pinned: true, authorized: false } } });
    const wrong = await createTcpCheck({ host: '127.0.0.1', port: server.port, tls: { pinSha256: ['ab'.repeat(32)] } }).run(contextFor());
    expect(wrong).toMatchObject({ status: 'down', reason: 'identity_mismatch', details: { phase: 'tls', fingerprintSha256: selfSigned.fingerprintSha256 } });
  });

  it('sends no SNI when servername is false', async () => {
    const server = closeLater(await startTlsServer({ certificate: validLeaf }));
    const result = await createTcpCheck({ host: 'localhost', port: server.port, tls: { servername: false, ca: certificateAuthority.certificatePem } }).run(contextFor());
    expect(result).toMatchObject({ status: 'up', details: { tls: { servername: null } } });
    await vi.waitFor(() => expect(server.handshakes[0]?.servername).toBe(false));
  });
});

describe('send and expect', () => {
  it('matches a banner and times the first byte', async () => {
    const server = closeLater(await startTcpServer({ banner: '220 mail.example.test ESMTP ready\r\n' }));
    const result = await createTcpCheck({ host: server.host, port: server.port, expect: '^220 ' }).run(contextFor());
    expect(result).toMatchObject({ status: 'up', reason: 'ok', details: { reply: '220 mail.example.test ESMTP ready\r\n' } });
    expect(result.phases?.firstByte).toBeGreaterThanOrEqual(0);
    await vi.waitFor(() => expect(server.connectionsClosed).toBe(1));
  });

  it('reports a wrong banner from a server that stays connected as assertion_failed once the reply goes quiet', async () => {
    const server = closeLater(await startTcpServer({ banner: 'SSH-2.0-OpenSSH_9.2\r\n' }));
    const result = await createTcpCheck({ host: server.host, port: server.port, expect: '^HTTP/1', replyIdleMs: 100 }).run(contextFor({ timeoutMs: 60_000 }));
    expect(result).toMatchObject({ status: 'down', reason: 'assertion_failed', details: { reply: 'SSH-2.0-OpenSSH_9.2\r\n' } });
    expect(result.message).toContain('no further data for 100 ms');
  });

  it('keeps reading a reply that arrives in pieces', async () => {
    const server = closeLater(
      await startTcpServer({
        onConnection: (socket) => {
          socket.write('220-mail.example.test\r\n');
          setTimeout(() => socket.write('220 ESMTP ready\r\n'), 50);
        },
      }),
    );
    const result = await createTcpCheck({ host: server.host, port: server.port, expect: /^220 ESMTP/m, replyIdleMs: 5_000 }).run(contextFor());
    expect(result).toMatchObject({ status: 'up', details: { reply: '220-mail.example.test\r\n220 ESMTP ready\r\n' } });
  });

  it('reports a banner that does not match as assertion_failed, with what was seen', async () => {
    const server = closeLater(await startTcpServer({ banner: 'SSH-2.0-OpenSSH_9.2\r\n', closeAfterBanner: true }));
    const result = await createTcpCheck({ host: server.host, port: server.port, expect: /^220 /i }).run(contextFor());
    expect(result).toMatchObject({ status: 'down', reason: 'assertion_failed', details: { reply: 'SSH-2.0-OpenSSH_9.2\r\n' } });
    expect(result.message).toContain('expected a reply matching /^220 /i');
    expect(result.message).toContain('"SSH-2.0-OpenSSH_9.2\\r\\n"');
  });

  it('sends escaped text and matches the echo', async () => {
    const server = closeLater(await startTcpServer({ echo: true }));
    const result = await createTcpCheck({ host: server.host, port: server.port, send: 'PING\\r\\n', expect: 'PING\\r\\n$' }).run(contextFor());
    expect(result.status).toBe('up');
    expect(server.bytesReceived).toBe(6);
  });

  it('sends hex bytes', async () => {
    const server = closeLater(await startTcpServer({ echo: true }));
    const result = await createTcpCheck({ host: server.host, port: server.port, sendHex: '50 49 4e 47', expect: '^PING$' }).run(contextFor());
    expect(result.status).toBe('up');
  });

  it('sends without expecting a reply', async () => {
    const server = closeLater(await startTcpServer());
    const result = await createTcpCheck({ host: server.host, port: server.port, send: 'QUIT\\r\\n' }).run(contextFor());
    expect(result.status).toBe('up');
    await vi.waitFor(() => expect(server.bytesReceived).toBe(6));
  });

  it('stops at the read limit and truncates what it shows', async () => {
    const server = closeLater(await startTcpServer({ banner: 'a'.repeat(10_000) }));
    const result = await createTcpCheck({ host: server.host, port: server.port, expect: 'b', readLimitBytes: 500 }).run(contextFor());
    expect(result).toMatchObject({ status: 'down', reason: 'assertion_failed', details: { bytesReceived: 500 } });
    expect(result.message).toMatch(/500-byte limit/);
    expect(result.message).toContain('(500 chars)');
    expect((result.message ?? '').length).toBeLessThan(400);
  });

  it('expects over TLS', async () => {
    const server = closeLater(await startTlsServer({ certificate: validLeaf, banner: '* OK IMAP4rev1 ready\r\n' }));
    const result = await createTcpCheck({ host: 'localhost', port: server.port, tls: { ca: certificateAuthority.certificatePem }, expect: '^\\* OK' }).run(contextFor());
    expect(result.status).toBe('up');
    expect(result.phases?.firstByte).toBeGreaterThanOrEqual(0);
  });
});

describe('SOCKS5 proxies', () => {
  it('connects through microsocks with a proxy phase', async () => {
    const server = closeLater(await startTcpServer({ banner: '220 ok\r\n' }));
    const proxy = closeLater(await startSocksProxy());
    const result = await createTcpCheck({ host: '127.0.0.1', port: server.port, proxy: proxy.url, expect: '^220' }).run(contextFor());
    expect(result).toMatchObject({ status: 'up', details: { proxy: proxy.url } });
    expect(Object.keys(result.phases ?? {}).sort()).toEqual(['connect', 'firstByte', 'proxy', 'total']);
  });

  it('authenticates, and never shows the password', async () => {
    const server = closeLater(await startTcpServer());
    const proxy = closeLater(await startSocksProxy({ username: 'vigil', password: 'tor-horse-battery' }));
    const url = `socks5h://vigil:tor-horse-battery@127.0.0.1:${proxy.port}`;
    const result = await createTcpCheck({ host: 'localhost', port: server.port, proxy: url }).run(contextFor());
    expect(result.status).toBe('up');
    expect(result.phases?.proxy).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(result)).not.toContain('tor-horse-battery');
    const wrong = await createTcpCheck({ host: 'localhost', port: server.port, proxy: { ...proxy.proxy, password: 'wrong-horse' } }).run(contextFor());
    expect(wrong).toMatchObject({ status: 'down', reason: 'proxy_error' });
    expect(JSON.stringify(wrong)).not.toMatch(/wrong-horse|tor-horse-battery/);
  });

  it('works with randomCredentials through microsocks without authentication', async () => {
    const server = closeLater(await startTcpServer());
    const proxy = closeLater(await startSocksProxy());
    const result = await createTcpCheck({ host: '127.0.0.1', port: server.port, proxy: proxy.url, randomCredentials: true }).run(contextFor());
    expect(result.status).toBe('up');
    expect(result.details).toMatchObject({ proxy: `socks5h://[redacted]@127.0.0.1:${proxy.port}` });
  });

  it('reports a proxy that refuses the destination as proxy_error with the reply code', async () => {
    const proxy = closeLater(await startSocksProxy());
    const port = await findClosedPort();
    const result = await createTcpCheck({ host: '127.0.0.1', port, proxy: proxy.url }).run(contextFor());
    expect(result).toMatchObject({ status: 'down', reason: 'proxy_error', details: { phase: 'proxy', socksReply: 5, socksReplyMessage: 'connection refused' } });
    expect(result.message).toContain('reply 0x05 (connection refused)');
  });

  it('reaches a .onion host only through a proxy, which resolves it', async () => {
    const server = closeLater(await startTcpServer({ banner: 'hidden' }));
    const proxy = closeLater(await startRecordingSocksProxy({ route: (host) => (host === onionName ? { host: '127.0.0.1', port: server.port } : { reply: 0x04 }) }));
    const result = await createTcpCheck({ host: onionName, port: 80, proxy: proxy.url, randomCredentials: true, expect: 'hidden' }).run(contextFor());
    expect(result.status).toBe('up');
    expect(proxy.requests[0]).toMatchObject({ host: onionName, addressType: 3 });
    expect(proxy.requests[0]?.username).toMatch(/^[0-9a-f]{16}$/);
  });

  it('reports .onion without a proxy as config_error', async () => {
    const result = await createTcpCheck({ host: onionName, port: 80 }).run(contextFor());
    expect(result).toMatchObject({ status: 'unknown', reason: 'config_error' });
    expect(result.message).toMatch(/SOCKS5 proxy/);
  });
});

describe('options', () => {
  it('rejects invalid options with VIGIL_ERR_CONFIG naming the field', () => {
    const cases: Array<[unknown, string]> = [
      [{ host: '127.0.0.1', port: 0 }, 'port'],
      [{ port: 80 }, 'host'],
      [{ host: '127.0.0.1', port: 80, readLimitBytes: 0 }, 'readLimitBytes'],
      [{ host: '127.0.0.1', port: 80, send: 'bad \\q escape' }, 'send'],
      [{ host: '127.0.0.1', port: 80, sendHex: 'zz' }, 'sendHex'],
      [{ host: '127.0.0.1', port: 80, onion: 'sometimes' }, 'onion'],
      [{ host: '127.0.0.1', port: 80, randomCredentials: true }, 'randomCredentials'],
      [{ host: '127.0.0.1', port: 80, proxy: 'socks5h://127.0.0.1' }, 'proxy'],
    ];
    for (const [options, path] of cases) {
      const error = configError(() => createTcpCheck(options as never));
      expect(error.path, JSON.stringify(options)).toBe(path);
      expect(error.message).toMatch(/^\[checks-tcp\] invalid options: /);
    }
  });

  it('names nested TLS fields', () => {
    const error = configError(() => createTcpCheck({ host: 'h', port: 1, tls: { verify: true, expiryWarnDays: 2, expiryCriticalDays: 5 } }));
    expect(error.message).toContain('expiryCriticalDays');
  });

  it('never repeats a proxy password in a config error', () => {
    const error = configError(() => createTcpCheck({ host: 'h', port: 1, proxy: 'http://user:hunter2@127.0.0.1:8080' }));
    expect(error.message).not.toContain('hunter2');
    expect(JSON.stringify(error.details)).not.toContain('hunter2');
  });

  it('freezes the check and registers as the tcp plugin, which re-parses parsed options', () => {
    const check = createTcpCheck({ host: '127.0.0.1', port: 80, tls: true, proxy: 'socks5h://127.0.0.1:9050', randomCredentials: true });
    expect(Object.isFrozen(check)).toBe(true);
    expect(check.meta).toEqual({ name: '@vigil/checks-tcp', kind: 'check', type: 'tcp', coreRange: '^0.1.0' });
    const registry = createPluginRegistry([tcpCheckPlugin]);
    const created = registry.create('check', 'tcp', { host: '::1', port: 443, tls: { pinSha256: 'ab'.repeat(32) }, expect: /x/g }, 'checks[0]');
    expect(created.target).toBe('[::1]:443');
  });
});

describe('decodeEscapes', () => {
  it('decodes the supported escapes and rejects others', () => {
    expect(decodeEscapes('a\\r\\n\\t\\0\\\\\\x41')).toEqual(Buffer.from([0x61, 0x0d, 0x0a, 0x09, 0x00, 0x5c, 0x41]));
    expect(decodeEscapes('héllo')).toEqual(Buffer.from('héllo', 'utf8'));
    expect(decodeEscapes('\\x4')).toBeUndefined();
    expect(decodeEscapes('\\q')).toBeUndefined();
    expect(decodeEscapes('trailing\\')).toBeUndefined();
  });
});
