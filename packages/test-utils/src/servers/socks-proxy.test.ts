import { createDialer } from '@vigil/core';
import { describe, expect, it } from 'vitest';
import { startRecordingSocksProxy } from './recording-socks-proxy.js';
import { startSocksProxy } from './socks-proxy.js';
import { findClosedPort, startTcpServer } from './tcp-server.js';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startSocksProxy (microsocks)', () => {
  it('starts microsocks on a free port, relays, and stops it on close', async () => {
    const target = await startTcpServer({ banner: 'relayed' });
    const proxy = await startSocksProxy();
    try {
      expect(proxy.url).toBe(`socks5h://127.0.0.1:${proxy.port}`);
      expect(isRunning(proxy.pid)).toBe(true);
      const { socket } = await createDialer().connect({ host: '127.0.0.1', port: target.port, proxy: proxy.proxy });
      const text = await new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString())));
      socket.destroy();
      expect(text).toBe('relayed');
    } finally {
      await proxy.close();
      await target.close();
    }
    expect(isRunning(proxy.pid)).toBe(false);
    await proxy.close();
  });

  it('passes credentials to microsocks and into its proxy options', async () => {
    const proxy = await startSocksProxy({ username: 'alice', password: 'wonderland' });
    try {
      expect(proxy.proxy).toEqual({ host: '127.0.0.1', port: proxy.port, username: 'alice', password: 'wonderland' });
      const error = await createDialer()
        .connect({ host: '127.0.0.1', port: 1, proxy: { host: proxy.host, port: proxy.port, username: 'alice', password: 'nope' } })
        .catch((reason: unknown) => reason);
      expect(error).toMatchObject({ reason: 'proxy_error' });
    } finally {
      await proxy.close();
    }
  });

  it('refuses a closed destination with SOCKS5 reply 0x05', async () => {
    const proxy = await startSocksProxy();
    try {
      const error = await createDialer()
        .connect({ host: '127.0.0.1', port: await findClosedPort(), proxy: proxy.proxy })
        .catch((reason: unknown) => reason);
      expect(error).toMatchObject({ reason: 'proxy_error', details: { socksReply: 5 } });
    } finally {
      await proxy.close();
    }
  });

  it('says clearly when the binary is missing', async () => {
    await expect(startSocksProxy({ command: 'vigil-no-such-microsocks' })).rejects.toThrow(/vigil-no-such-microsocks is not installed.*apt-get install microsocks/);
  });
});

describe('startRecordingSocksProxy', () => {
  it('records offered methods and credentials, and checks required ones', async () => {
    const target = await startTcpServer({ banner: 'x' });
    const proxy = await startRecordingSocksProxy({ requireAuth: { username: 'user', password: 'pass' } });
    try {
      const dialer = createDialer();
      const { socket } = await dialer.connect({ host: '127.0.0.1', port: target.port, proxy: proxy.proxy });
      socket.destroy();
      const refused = await dialer.connect({ host: '127.0.0.1', port: target.port, proxy: { ...proxy.proxy, password: 'wrong' } }).catch((reason: unknown) => reason);
      expect(refused).toMatchObject({ reason: 'proxy_error' });
      expect(proxy.requests).toEqual([{ methods: [0x00, 0x02], username: 'user', password: 'pass', host: '127.0.0.1', port: target.port, addressType: 1, reply: 0 }]);
    } finally {
      await proxy.close();
      await target.close();
    }
  });

  it('refuses non-loopback destinations without resolving them', async () => {
    const proxy = await startRecordingSocksProxy();
    try {
      const error = await createDialer().connect({ host: 'example.org', port: 443, proxy: proxy.proxy }).catch((reason: unknown) => reason);
      expect(error).toMatchObject({ reason: 'proxy_error', details: { socksReply: 2 } });
      expect(proxy.requests[0]).toMatchObject({ host: 'example.org', addressType: 3, reply: 2 });
    } finally {
      await proxy.close();
    }
  });
});
