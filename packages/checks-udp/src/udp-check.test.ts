import dgram from 'node:dgram';
import { VigilError, createDialer, createRunHistogram, executeCheck } from '@vigil/core';
import { cleanupAfterEach, createTestCheckContext, testCheck } from '@vigil/test-utils';
import { describe, expect, it } from 'vitest';
import { decodeEscapes } from './index.js';
import { createUdpCheck, udpCheckPlugin } from './udp-check.js';

interface UdpServer {
  readonly host: string;
  readonly port: number;
  /** Datagrams received, in order. */
  readonly received: Buffer[];
  close(): Promise<void>;
}

/** A real UDP server on loopback: `reply` decides what to answer to each datagram (nothing when it returns undefined). */
async function startUdpServer(options: { host?: '127.0.0.1' | '::1'; reply?: (message: Buffer) => readonly Buffer[] | undefined } = {}): Promise<UdpServer> {
  const host = options.host ?? '127.0.0.1';
  const socket = dgram.createSocket(host === '::1' ? 'udp6' : 'udp4');
  const received: Buffer[] = [];
  socket.on('message', (message, remote) => {
    received.push(message);
    for (const answer of options.reply?.(message) ?? []) socket.send(answer, remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  const { port } = socket.address();
  return { host, port, received, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}

const echo = (message: Buffer): readonly Buffer[] => [Buffer.concat([Buffer.from('echo:'), message])];

/** A free UDP port nobody listens on: bound once, then released. */
async function findClosedUdpPort(host: '127.0.0.1' | '::1' = '127.0.0.1'): Promise<number> {
  const server = await startUdpServer({ host });
  await server.close();
  return server.port;
}

const { closeLater } = cleanupAfterEach();
async function server(options: Parameters<typeof startUdpServer>[0]): Promise<UdpServer> {
  return closeLater(await startUdpServer(options));
}

testCheck({
  plugin: udpCheckPlugin,
  async setup() {
    const echoServer = await startUdpServer({ reply: echo });
    const silentServer = await startUdpServer();
    const closedPort = await findClosedUdpPort();
    return {
      up: createUdpCheck({ host: echoServer.host, port: echoServer.port, send: 'ping', expect: '^echo:ping$' }),
      down: createUdpCheck({ host: '127.0.0.1', port: closedPort, send: 'ping' }),
      silent: createUdpCheck({ host: silentServer.host, port: silentServer.port, send: 'ping' }),
      invalidOptions: [
        { port: 53 },
        { host: '127.0.0.1', port: 0 },
        { host: '127.0.0.1', port: 53, send: 'a', sendHex: '00' },
        { host: '127.0.0.1', port: 53, send: '\\q' },
        { host: '127.0.0.1', port: 53, expect: '(' },
        { host: '127.0.0.1', port: 53, silence: 'up' },
        { host: '127.0.0.1', port: 53, silence: 'up', replyTimeoutMs: 100, expect: 'x' },
        { host: '127.0.0.1', port: 53, send: 'x'.repeat(70_000) },
        { host: '127.0.0.1', port: 53, interval: '30s' },
      ],
      async teardown() {
        await echoServer.close();
        await silentServer.close();
      },
    };
  },
});

describe('a port that answers', () => {
  it('is up with what it replied, the bytes, and a firstByte phase', async () => {
    const target = await server({ reply: echo });
    const check = createUdpCheck({ host: target.host, port: target.port, send: 'hello\\n' });
    expect(check.target).toBe(`127.0.0.1:${target.port}`);
    const result = await check.run(createTestCheckContext());
    expect(result).toMatchObject({
      status: 'up',
      reason: 'ok',
      details: { answer: 'replied', address: '127.0.0.1', bytesSent: 6, bytesReceived: 11, reply: 'echo:hello\n' },
    });
    expect(result.phases?.firstByte).toBeGreaterThanOrEqual(0);
    expect(result.phases?.total).toBe(result.durationMs);
    expect(target.received.map((message) => message.toString())).toEqual(['hello\n']);
  });

  it('sends hex payloads and an empty datagram by default', async () => {
    const target = await server({ reply: echo });
    expect((await createUdpCheck({ host: target.host, port: target.port, sendHex: 'de ad be ef' }).run(createTestCheckContext())).status).toBe('up');
    expect((await createUdpCheck({ host: target.host, port: target.port }).run(createTestCheckContext())).status).toBe('up');
    expect(target.received.map((message) => message.toString('hex'))).toEqual(['deadbeef', '']);
  });

  it('works over IPv6 and resolves names (with a dns phase)', async () => {
    const target = await server({ host: '::1', reply: echo });
    const v6 = await createUdpCheck({ host: '::1', port: target.port, send: 'six' }).run(createTestCheckContext());
    expect(v6).toMatchObject({ status: 'up', details: { address: '::1', reply: 'echo:six' } });
    const v4 = await server({ reply: echo });
    const named = await createUdpCheck({ host: 'localhost', port: v4.port, family: 4, send: 'name' }).run(createTestCheckContext());
    expect(named).toMatchObject({ status: 'up', details: { address: '127.0.0.1' } });
    expect(named.phases?.dns).toBeGreaterThanOrEqual(0);
  });

  it('takes the first matching datagram among several', async () => {
    const target = await server({ reply: () => [Buffer.from('noise'), Buffer.from('PONG 42')] });
    const result = await createUdpCheck({ host: target.host, port: target.port, send: 'PING', expect: /^PONG \d+$/g }).run(createTestCheckContext());
    expect(result).toMatchObject({ status: 'up', details: { reply: 'PONG 42' } });
  });

  it('a reply that does not match is assertion_failed with what was seen, without waiting for the timeout', async () => {
    const target = await server({ reply: () => [Buffer.from('ERR unknown command')] });
    const check = createUdpCheck({ host: target.host, port: target.port, send: 'PING', expect: '^PONG', replyIdleMs: 50 });
    const { record } = await executeCheck(check, { checkId: 'udp', timeoutMs: 20_000, dialer: createDialer(), histogramFactory: createRunHistogram });
    expect(record).toMatchObject({ status: 'down', reason: 'assertion_failed', details: { answer: 'replied', reply: 'ERR unknown command', datagrams: 1 } });
    expect(record.message).toContain('"ERR unknown command"');
    expect(record.durationMs).toBeLessThan(10_000);
  });
});

describe('a closed port', () => {
  it('is down / connection_refused with answer refused (ICMP port unreachable), IPv4 and IPv6', async () => {
    for (const host of ['127.0.0.1', '::1'] as const) {
      const port = await findClosedUdpPort(host);
      const result = await createUdpCheck({ host, port, send: 'x' }).run(createTestCheckContext());
      expect(result).toMatchObject({ status: 'down', reason: 'connection_refused', details: { answer: 'refused', code: 'ECONNREFUSED' } });
      expect(result.message).toMatch(/ICMP port unreachable/);
    }
  });

  it('is refused even with silence: up (refusal is not silence)', async () => {
    const port = await findClosedUdpPort();
    const result = await createUdpCheck({ host: '127.0.0.1', port, silence: 'up', replyTimeoutMs: 5_000 }).run(createTestCheckContext());
    expect(result).toMatchObject({ status: 'down', reason: 'connection_refused' });
  });
});

describe('a silent port', () => {
  it('times out through the runtime with answer silent', async () => {
    const target = await server({});
    const check = createUdpCheck({ host: target.host, port: target.port, send: 'anyone?' });
    const { record } = await executeCheck(check, { checkId: 'udp', timeoutMs: 300, dialer: createDialer(), histogramFactory: createRunHistogram });
    expect(record).toMatchObject({ status: 'down', reason: 'timeout', details: { answer: 'silent' } });
    expect(record.message).toMatch(/no reply within the 300 ms timeout/);
    expect(target.received).toHaveLength(1);
  });

  it('replyTimeoutMs ends the wait before the run timeout; silence: up makes that healthy', async () => {
    const target = await server({});
    const down = await createUdpCheck({ host: target.host, port: target.port, replyTimeoutMs: 100 }).run(createTestCheckContext({ timeoutMs: 20_000 }));
    expect(down).toMatchObject({ status: 'down', reason: 'timeout', details: { answer: 'silent' } });
    expect(down.message).toMatch(/no reply within 100 ms/);
    const up = await createUdpCheck({ host: target.host, port: target.port, replyTimeoutMs: 100, silence: 'up' }).run(createTestCheckContext({ timeoutMs: 20_000 }));
    expect(up).toMatchObject({ status: 'up', reason: 'ok', details: { answer: 'silent' } });
  });

  it('is unknown / aborted when the monitor stops', async () => {
    const target = await server({});
    const controller = new AbortController();
    const pending = createUdpCheck({ host: target.host, port: target.port }).run(createTestCheckContext({ signal: controller.signal }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort(new VigilError('VIGIL_ERR_ABORTED', 'monitor stopped', { reason: 'aborted' }));
    expect(await pending).toMatchObject({ status: 'unknown', reason: 'aborted' });
  });
});

describe('options', () => {
  it('decodes escapes and rejects unknown ones', () => {
    expect(decodeEscapes('a\\r\\n\\t\\0\\\\\\x41')?.toString('latin1')).toBe('a\r\n\t\0\\A');
    expect(decodeEscapes('\\x4')).toBeUndefined();
    expect(decodeEscapes('\\q')).toBeUndefined();
  });
});
