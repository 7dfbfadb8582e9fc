import type { Server } from 'node:net';
import type { Socket } from 'node:net';

/** Loopback addresses the local servers may bind; tests never listen on anything else. */
export type LoopbackHost = '127.0.0.1' | '::1';

/** Counters every local server exposes. */
export interface ConnectionCounters {
  /** Connections accepted so far. */
  readonly connectionsAccepted: number;
  /** Connections still open. */
  readonly connectionsOpen: number;
  /** Connections that have closed (by either side). */
  readonly connectionsClosed: number;
}

/** Counts a server's connections and destroys the ones still open when the server closes. */
export class ConnectionTracker {
  // Each open socket with a promise that settles once its `close` was counted.
  private readonly sockets = new Map<Socket, Promise<void>>();
  accepted = 0;
  closed = 0;

  get open(): number {
    return this.sockets.size;
  }

  track(socket: Socket): void {
    this.accepted += 1;
    // Clients reset connections on purpose in tests; that is not a server failure.
    socket.on('error', () => {});
    const counted = new Promise<void>((resolve) => {
      socket.once('close', () => {
        this.sockets.delete(socket);
        this.closed += 1;
        resolve();
      });
    });
    this.sockets.set(socket, counted);
  }

  destroyAll(): void {
    for (const socket of this.sockets.keys()) socket.destroy();
  }

  /** Resolves once every tracked socket has closed and been counted. */
  async drained(): Promise<void> {
    await Promise.all(this.sockets.values());
  }
}

/** Listens on `host`, port 0 unless given, and returns the real port. */
export function listen(server: Server, host: LoopbackHost, port = 0): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.removeListener('error', onError);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('[test-utils] the server has no TCP address'));
      else resolve(address.port);
    });
  });
}

/** Closes `server` and destroys its open connections; the returned function is idempotent. */
export function closer(server: Server, tracker: ConnectionTracker): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      tracker.destroyAll();
      await closed;
      await tracker.drained();
    })();
    return closing;
  };
}

/** `host:port`, with brackets for IPv6. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

type LiveValues<TGetters> = { readonly [K in keyof TGetters]: TGetters[K] extends () => infer TValue ? TValue : never };

/** Adds live, read-only counters (the tracker's, plus `extra` getters) to a server handle. */
export function withCounters<TBase extends object, TGetters extends Record<string, () => unknown> = Record<never, never>>(
  base: TBase,
  tracker: ConnectionTracker,
  extra?: TGetters,
): TBase & ConnectionCounters & LiveValues<TGetters> {
  const getters: Record<string, () => unknown> = {
    connectionsAccepted: () => tracker.accepted,
    connectionsOpen: () => tracker.open,
    connectionsClosed: () => tracker.closed,
    ...extra,
  };
  for (const [key, get] of Object.entries(getters)) Object.defineProperty(base, key, { get, enumerable: true });
  return base as TBase & ConnectionCounters & LiveValues<TGetters>;
}
