import net, { type Socket } from 'node:net';
import type { ProxyOptions } from '@vigil/core';
import { ConnectionTracker, type LoopbackHost, closer, hostPort, withCounters, listen } from './connections.js';
import type { LocalServer } from './tcp-server.js';

/** One CONNECT request as the proxy received it. */
export interface SocksRequestRecord {
  /** The authentication methods the client offered (0x00 none, 0x02 username/password). */
  readonly methods: readonly number[];
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** The destination exactly as sent: a name (address type 3) stays a name. */
  readonly host: string;
  readonly port: number;
  /** 1 IPv4, 3 domain name, 4 IPv6. */
  readonly addressType: number;
  /** The reply code sent back. */
  readonly reply: number;
}

/** Where a CONNECT goes: a loopback address, or a SOCKS5 reply code to refuse with. */
export type SocksRoute = { readonly host: LoopbackHost | 'localhost'; readonly port: number } | { readonly reply: number };

export interface RecordingSocksProxyOptions {
  readonly host?: LoopbackHost;
  /**
   * Decides each CONNECT. Default: loopback IPs and `localhost` pass through unchanged, anything
   * else is refused with 0x02 (not allowed) — this proxy never resolves names or leaves the machine.
   */
  readonly route?: (host: string, port: number) => SocksRoute;
  /** Offer only username/password authentication, and accept only these credentials when given. */
  readonly requireAuth?: boolean | { readonly username: string; readonly password: string };
}

export interface RecordingSocksProxy extends LocalServer {
  readonly url: string;
  readonly proxy: ProxyOptions;
  readonly requests: readonly SocksRequestRecord[];
}

const loopbackHosts = new Set(['127.0.0.1', '::1', 'localhost']);

function defaultRoute(host: string, port: number): SocksRoute {
  return loopbackHosts.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host) ? { host: host === '::1' ? '::1' : host === 'localhost' ? 'localhost' : '127.0.0.1', port } : { reply: 0x02 };
}

function replyPacket(code: number, port = 0): Buffer {
  const packet = Buffer.from([0x05, code, 0x00, 0x01, 127, 0, 0, 1, 0, 0]);
  packet.writeUInt16BE(port, 8);
  return packet;
}

function readIpv6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let index = 0; index < 16; index += 2) groups.push(bytes.readUInt16BE(index).toString(16));
  // The URL parser prints IPv6 in its canonical compressed form (`[::1]`).
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

/** Serves one client: greeting, optional username/password, CONNECT, then relays bytes. */
function serveClient(client: Socket, options: RecordingSocksProxyOptions, requests: SocksRequestRecord[], upstreams: ConnectionTracker): void {
  let buffer = Buffer.alloc(0);
  let stage: 'greeting' | 'auth' | 'request' | 'relay' = 'greeting';
  let methods: number[] = [];
  let username: string | undefined;
  let password: string | undefined;
  const requireAuth = options.requireAuth;

  const onData = (chunk: Buffer): void => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (stage === 'greeting') {
        if (buffer.length < 2) return;
        const count = buffer[1] as number;
        if (buffer.length < 2 + count) return;
        if (buffer[0] !== 0x05) {
          client.destroy();
          return;
        }
        methods = [...buffer.subarray(2, 2 + count)];
        buffer = buffer.subarray(2 + count);
        // Like Tor, prefer username/password whenever the client offers it.
        const chosen = methods.includes(0x02) ? 0x02 : !requireAuth && methods.includes(0x00) ? 0x00 : 0xff;
        client.write(Buffer.from([0x05, chosen]));
        if (chosen === 0xff) {
          client.end();
          return;
        }
        stage = chosen === 0x02 ? 'auth' : 'request';
      } else if (stage === 'auth') {
        if (buffer.length < 2) return;
        const userLength = buffer[1] as number;
        if (buffer.length < 3 + userLength) return;
        const passwordLength = buffer[2 + userLength] as number;
        if (buffer.length < 3 + userLength + passwordLength) return;
        username = buffer.subarray(2, 2 + userLength).toString('utf8');
        password = buffer.subarray(3 + userLength, 3 + userLength + passwordLength).toString('utf8');
        buffer = buffer.subarray(3 + userLength + passwordLength);
        const accepted = typeof requireAuth !== 'object' || (requireAuth.username === username && requireAuth.password === password);
        client.write(Buffer.from([0x01, accepted ? 0x00 : 0x01]));
        if (!accepted) {
          client.end();
          return;
        }
        stage = 'request';
      } else if (stage === 'request') {
        if (buffer.length < 5) return;
        const addressType = buffer[3] as number;
        const addressLength = addressType === 0x01 ? 4 : addressType === 0x04 ? 16 : addressType === 0x03 ? 1 + (buffer[4] as number) : -1;
        if (addressLength < 0) {
          client.end(replyPacket(0x08));
          return;
        }
        if (buffer.length < 4 + addressLength + 2) return;
        const address = buffer.subarray(4, 4 + addressLength);
        const host =
          addressType === 0x01 ? [...address].join('.') : addressType === 0x04 ? readIpv6(address) : address.subarray(1).toString('utf8');
        const port = buffer.readUInt16BE(4 + addressLength);
        const command = buffer[1];
        buffer = buffer.subarray(4 + addressLength + 2);
        const route = command === 0x01 ? (options.route ?? defaultRoute)(host, port) : { reply: 0x07 };
        const record = (reply: number): void => {
          requests.push({ methods, username, password, host, port, addressType, reply });
        };
        if ('reply' in route) {
          record(route.reply);
          client.end(replyPacket(route.reply));
          return;
        }
        stage = 'relay';
        client.pause();
        const upstream = net.connect({ host: route.host, port: route.port });
        upstreams.track(upstream);
        upstream.once('connect', () => {
          record(0x00);
          client.write(replyPacket(0x00, upstream.localPort ?? 0));
          if (buffer.length > 0) upstream.write(buffer);
          client.removeListener('data', onData);
          client.pipe(upstream);
          upstream.pipe(client);
          client.resume();
          upstream.once('close', () => client.destroy());
          client.once('close', () => upstream.destroy());
        });
        upstream.once('error', (error: NodeJS.ErrnoException) => {
          if (stage !== 'relay' || upstream.readyState === 'open') return;
          const reply = error.code === 'ECONNREFUSED' ? 0x05 : error.code === 'EHOSTUNREACH' ? 0x04 : error.code === 'ENETUNREACH' ? 0x03 : 0x01;
          record(reply);
          client.end(replyPacket(reply));
        });
        return;
      } else {
        return;
      }
    }
  };
  client.on('data', onData);
}

/**
 * Starts an in-process SOCKS5 proxy on a free loopback port that records every request
 * (offered methods, credentials, destination as sent) and relays only to loopback. It never
 * resolves names, so `.onion` destinations and per-connection credentials can be tested
 * without Tor; `route` can answer with any reply code (for example Tor's 0xF0-0xF7).
 */
export async function startRecordingSocksProxy(options: RecordingSocksProxyOptions = {}): Promise<RecordingSocksProxy> {
  const host = options.host ?? '127.0.0.1';
  const tracker = new ConnectionTracker();
  const upstreams = new ConnectionTracker();
  const requests: SocksRequestRecord[] = [];
  const server = net.createServer((client) => {
    tracker.track(client);
    serveClient(client, options, requests, upstreams);
  });
  const closeServer = closer(server, tracker);
  let closing: Promise<void> | undefined;
  const port = await listen(server, host);
  const credentials = typeof options.requireAuth === 'object' ? options.requireAuth : undefined;
  return withCounters(
    {
      host,
      port,
      url: `socks5h://${hostPort(host, port)}`,
      proxy: Object.freeze<ProxyOptions>(credentials ? { host, port, username: credentials.username, password: credentials.password } : { host, port }),
      requests: requests as readonly SocksRequestRecord[],
      close: (): Promise<void> => {
        closing ??= (async () => {
          upstreams.destroyAll();
          await closeServer();
          await upstreams.drained();
        })();
        return closing;
      },
    },
    tracker,
  );
}
