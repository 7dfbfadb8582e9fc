import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';

/** A local service the demo monitors. */
export interface DemoService {
  readonly name: string;
  readonly port: number;
  close(): Promise<void>;
}

function listen(server: Server, sockets: Set<Socket>): Promise<number> {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
}

/** An HTTP API that answers 200 with a small, variable delay. */
export async function startApiService(): Promise<DemoService> {
  const sockets = new Set<Socket>();
  const server = createHttpServer((_request, response) => {
    setTimeout(() => response.end('{"status":"ok"}\n'), Math.random() * 15);
  });
  const port = await listen(server, sockets);
  return { name: 'api', port, close: closer(server, sockets) };
}

/** A line-based service with a banner, like SMTP or SSH. */
export async function startBannerService(): Promise<DemoService> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.write('220 demo.vigil.test ESMTP ready\r\n');
  });
  const port = await listen(server, sockets);
  return { name: 'mail', port, close: closer(server, sockets) };
}

/** A service that goes away for 20 s every minute, so the demo shows an alert and a recovery. */
export async function startFlakyService(): Promise<DemoService & { readonly up: boolean }> {
  const sockets = new Set<Socket>();
  let server = createServer((socket) => socket.on('error', () => {}));
  const port = await listen(server, sockets);
  let up = true;
  let closed = false;
  const toggle = async (): Promise<void> => {
    if (closed) return;
    if (up) {
      await closer(server, sockets)();
      up = false;
    } else {
      server = createServer((socket) => socket.on('error', () => {}));
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
      server.on('connection', (socket: Socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      up = true;
    }
  };
  const downTimer = setInterval(() => void toggle().then(() => setTimeout(() => void toggle(), 20_000).unref()), 60_000);
  downTimer.unref();
  return {
    name: 'flaky',
    port,
    get up() {
      return up;
    },
    async close() {
      closed = true;
      clearInterval(downTimer);
      if (up) await closer(server, sockets)();
    },
  };
}
