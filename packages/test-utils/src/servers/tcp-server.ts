import net, { type Socket } from 'node:net';
import { type ConnectionCounters, ConnectionTracker, type LoopbackHost, closer, hostPort, withCounters, listen } from './connections.js';

export interface LocalServer extends ConnectionCounters {
  readonly host: LoopbackHost;
  readonly port: number;
  /** Stops listening and destroys every open connection; idempotent. */
  close(): Promise<void>;
}

export interface TcpServerOptions {
  /** Default `127.0.0.1`. */
  readonly host?: LoopbackHost;
  /** Handles each connection; when set, `banner` and `echo` are ignored. */
  readonly onConnection?: (socket: Socket) => void;
  /** Sent as soon as a client connects (like SMTP or SSH greetings). */
  readonly banner?: string | Buffer;
  /** Writes back whatever the client sends. */
  readonly echo?: boolean;
  /** Ends the connection after the banner. */
  readonly closeAfterBanner?: boolean;
}

export interface TcpServer extends LocalServer {
  /** `tcp://host:port`. */
  readonly url: string;
  /** Bytes received from all clients. */
  readonly bytesReceived: number;
}

/** Starts a TCP server on a free loopback port: a banner, an echo, or your own handler. */
export async function startTcpServer(options: TcpServerOptions = {}): Promise<TcpServer> {
  const host = options.host ?? '127.0.0.1';
  const tracker = new ConnectionTracker();
  let bytesReceived = 0;
  const server = net.createServer((socket) => {
    tracker.track(socket);
    socket.on('data', (chunk: Buffer) => {
      bytesReceived += chunk.length;
    });
    if (options.onConnection) {
      options.onConnection(socket);
      return;
    }
    if (options.banner !== undefined) {
      if (options.closeAfterBanner) socket.end(options.banner);
      else socket.write(options.banner);
    }
    if (options.echo) socket.on('data', (chunk: Buffer) => socket.write(chunk));
  });
  const port = await listen(server, host);
  return withCounters({ host, port, url: `tcp://${hostPort(host, port)}`, close: closer(server, tracker) }, tracker, {
    bytesReceived: () => bytesReceived,
  });
}

export interface SilentServerOptions {
  readonly host?: LoopbackHost;
  /** Stands in for a TLS server: also counts the ClientHellos received (and still never answers). */
  readonly tls?: boolean;
}

export interface SilentServer extends LocalServer {
  readonly url: string;
  /** Connections whose first byte was a TLS handshake record (0x16): the client started TLS. */
  readonly clientHellosReceived: number;
  readonly bytesReceived: number;
}

/**
 * Starts a server that accepts connections and never sends a byte: the way to test timeouts
 * without leaving the machine. `connectionsClosed` shows whether the client closed its socket.
 */
export async function startSilentServer(options: SilentServerOptions = {}): Promise<SilentServer> {
  const host = options.host ?? '127.0.0.1';
  const tracker = new ConnectionTracker();
  let clientHellosReceived = 0;
  let bytesReceived = 0;
  const server = net.createServer((socket) => {
    tracker.track(socket);
    let first = true;
    socket.on('data', (chunk: Buffer) => {
      bytesReceived += chunk.length;
      if (first && chunk[0] === 0x16) clientHellosReceived += 1;
      first = false;
    });
  });
  const port = await listen(server, host);
  return withCounters({ host, port, url: `${options.tls ? 'tls' : 'tcp'}://${hostPort(host, port)}`, close: closer(server, tracker) }, tracker, {
    clientHellosReceived: () => clientHellosReceived,
    bytesReceived: () => bytesReceived,
  });
}

/**
 * Returns a loopback port with nothing listening (connecting to it is refused): binds port 0,
 * notes the port and closes again.
 */
export async function findClosedPort(options: { readonly host?: LoopbackHost } = {}): Promise<number> {
  const server = net.createServer();
  const port = await listen(server, options.host ?? '127.0.0.1');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

