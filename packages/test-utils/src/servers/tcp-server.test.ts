import net, { type Socket } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { findClosedPort, startSilentServer, startTcpServer } from './tcp-server.js';

function connect(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function nextData(socket: Socket): Promise<string> {
  return new Promise((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString())));
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));
}

describe('startTcpServer', () => {
  it('listens on a free loopback port and sends a banner', async () => {
    const server = await startTcpServer({ banner: '220 ready\r\n' });
    try {
      expect(server.host).toBe('127.0.0.1');
      expect(server.port).toBeGreaterThan(0);
      expect(server.url).toBe(`tcp://127.0.0.1:${server.port}`);
      const socket = await connect(server.host, server.port);
      expect(await nextData(socket)).toBe('220 ready\r\n');
      expect(server.connectionsAccepted).toBe(1);
      expect(server.connectionsOpen).toBe(1);
      socket.destroy();
      await vi.waitFor(() => expect(server.connectionsClosed).toBe(1));
      expect(server.connectionsOpen).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('echoes, counts bytes, and can end after the banner', async () => {
    const echo = await startTcpServer({ echo: true });
    const oneShot = await startTcpServer({ banner: 'bye', closeAfterBanner: true });
    try {
      const socket = await connect(echo.host, echo.port);
      socket.write('ping');
      expect(await nextData(socket)).toBe('ping');
      expect(echo.bytesReceived).toBe(4);
      socket.destroy();
      const other = await connect(oneShot.host, oneShot.port);
      expect(await nextData(other)).toBe('bye');
      await closed(other);
    } finally {
      await echo.close();
      await oneShot.close();
    }
  });

  it('hands connections to onConnection and listens on ::1 when asked', async () => {
    const server = await startTcpServer({ host: '::1', onConnection: (socket) => socket.end('custom') });
    try {
      expect(server.url).toBe(`tcp://[::1]:${server.port}`);
      const socket = await connect('::1', server.port);
      expect(await nextData(socket)).toBe('custom');
    } finally {
      await server.close();
    }
  });

  it('closes open connections on close, and close is idempotent', async () => {
    const server = await startTcpServer();
    const socket = await connect(server.host, server.port);
    await vi.waitFor(() => expect(server.connectionsOpen).toBe(1));
    const first = server.close();
    expect(server.close()).toBe(first);
    await first;
    await closed(socket);
    expect(server.connectionsClosed).toBe(1);
    await expect(connect(server.host, server.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('startSilentServer', () => {
  it('accepts, never answers, and sees the client close', async () => {
    const server = await startSilentServer({ tls: true });
    try {
      expect(server.url).toBe(`tls://127.0.0.1:${server.port}`);
      const socket = await connect(server.host, server.port);
      let received = false;
      socket.on('data', () => {
        received = true;
      });
      socket.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x00]));
      await vi.waitFor(() => expect(server.clientHellosReceived).toBe(1));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(received).toBe(false);
      expect(server.connectionsClosed).toBe(0);
      socket.destroy();
      await vi.waitFor(() => expect(server.connectionsClosed).toBe(1));
    } finally {
      await server.close();
    }
  });

  it('does not count plain data as a ClientHello', async () => {
    const server = await startSilentServer();
    try {
      const socket = await connect(server.host, server.port);
      socket.write('GET / HTTP/1.0\r\n\r\n');
      await vi.waitFor(() => expect(server.bytesReceived).toBeGreaterThan(0));
      expect(server.clientHellosReceived).toBe(0);
      socket.destroy();
    } finally {
      await server.close();
    }
  });
});

describe('findClosedPort', () => {
  it('returns a port where connecting is refused', async () => {
    const port = await findClosedPort();
    await expect(connect('127.0.0.1', port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
