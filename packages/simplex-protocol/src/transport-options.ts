import { type KeepAliveOptions, type OnionMode, type ProxyOptions, VigilError, chooseHost, formatProxyUrl, parseProxyUrl, proxyUrlSchema } from '@vigil/core';
import { z } from 'zod';
import { type ServerAddress, type SimplexScheme, defaultPorts, parseServerAddress } from './address.js';

// Per-server transport settings shared by the SMP and XFTP checks, with the SimpleX clients'
// defaults (simplexmq `defaultNetworkConfig`, doc §6.2 and §9).

/** Where Tor listens by default (doc §9): `proxy: true` means this. */
export const DEFAULT_SOCKS_PROXY: ProxyOptions = Object.freeze({ host: '127.0.0.1', port: 9050 });

/** The SimpleX clients' timeouts: interactive for direct connections, background over a proxy. */
export const simplexTimeoutDefaults = Object.freeze({
  direct: Object.freeze({ connectTimeoutMs: 15_000, protocolTimeoutMs: 10_000 }),
  proxied: Object.freeze({ connectTimeoutMs: 45_000, protocolTimeoutMs: 30_000 }),
  timeoutPerKbMs: 5,
  /** TCP_KEEPIDLE of the clients (30 s); their KEEPINTVL 15 s and KEEPCNT 4 cannot be set from Node 20. */
  keepAliveIdleMs: 30_000,
});

const proxyObjectSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535),
  username: z.string().max(255).optional(),
  password: z.string().max(255).optional(),
});

/** The zod shape of the transport options; each check spreads it into its own schema. */
export const simplexTransportOptionsShape = {
  /** SOCKS5 proxy: `true` for Tor at 127.0.0.1:9050, a `socks5://` URL, or `{ host, port, username?, password? }`. */
  proxy: z.union([z.boolean(), proxyUrlSchema, proxyObjectSchema]).optional(),
  /** Host choice: `prefer` the `.onion` host when proxied, `require` it, or `never` use it. */
  onion: z.enum(['never', 'prefer', 'require']).default('prefer'),
  /** A fresh random SOCKS username/password per connection (Tor IsolateSOCKSAuth: one circuit per probe). */
  randomCredentials: z.boolean().default(false),
  /** TCP connect (with SOCKS and TLS) timeout; default 15 s direct, 45 s through a proxy. */
  connectTimeoutMs: z.number().int().min(1).max(600_000).optional(),
  /** Wait for each reply this long; default 10 s direct, 30 s through a proxy. */
  protocolTimeoutMs: z.number().int().min(1).max(600_000).optional(),
  /** Extra time per KiB transferred (file chunks), as the clients allow; default 5 ms. */
  timeoutPerKbMs: z.number().min(0).max(60_000).default(5),
  /** TCP keepalive idle time (TCP_KEEPIDLE), default 30 s; `false` to turn keepalive off. */
  keepAlive: z.union([z.literal(false), z.strictObject({ idleMs: z.number().int().min(1_000).max(86_400_000) })]).default({ idleMs: 30_000 }),
  /** Force IPv4 or IPv6 for local name lookups. */
  family: z.union([z.literal(4), z.literal(6)]).optional(),
};

/** The parsed transport options (defaults applied). */
export interface SimplexTransportOptions {
  readonly proxy?: boolean | string | { readonly host: string; readonly port: number; readonly username?: string; readonly password?: string } | undefined;
  readonly onion: OnionMode;
  readonly randomCredentials: boolean;
  readonly connectTimeoutMs?: number | undefined;
  readonly protocolTimeoutMs?: number | undefined;
  readonly timeoutPerKbMs: number;
  readonly keepAlive: false | { readonly idleMs: number };
  readonly family?: 4 | 6 | undefined;
}

/** Everything a connection needs, resolved once per check instance. */
export interface SimplexTransportPlan {
  readonly address: ServerAddress;
  readonly host: string;
  readonly port: number;
  readonly proxy: ProxyOptions | undefined;
  readonly onion: OnionMode;
  readonly family: 4 | 6 | undefined;
  readonly keepAlive: KeepAliveOptions | undefined;
  readonly connectTimeoutMs: number;
  readonly protocolTimeoutMs: number;
  readonly timeoutPerKbMs: number;
  /** The proxy as a redacted URL, for details. */
  readonly proxyLabel: string | undefined;
}

function configError(source: string, path: string, message: string): VigilError {
  return new VigilError('VIGIL_ERR_CONFIG', `[${source}] invalid options: ${path}: ${message}`, { path, reason: 'config_error' });
}

/**
 * Parses the address and resolves host, port, proxy and timeouts. Throws `VIGIL_ERR_CONFIG`
 * (naming `server`, `proxy` or `onion`) for a bad address or when no host fits the onion mode.
 */
export function resolveTransportPlan(source: string, scheme: SimplexScheme, server: string, options: SimplexTransportOptions): SimplexTransportPlan {
  let address: ServerAddress;
  try {
    address = parseServerAddress(server, scheme);
  } catch (error) {
    throw configError(source, 'server', (error as Error).message.replace(/^\[simplex-protocol\] /, ''));
  }
  let proxy: ProxyOptions | undefined;
  if (options.proxy === true) proxy = DEFAULT_SOCKS_PROXY;
  else if (typeof options.proxy === 'string') proxy = parseProxyUrl(options.proxy, 'proxy');
  else if (typeof options.proxy === 'object') proxy = Object.freeze({ ...options.proxy });
  if (options.randomCredentials) {
    if (!proxy) throw configError(source, 'randomCredentials', 'needs a proxy');
    proxy = Object.freeze({ ...proxy, randomCredentials: true });
  }
  let host: string;
  try {
    host = chooseHost(address.hosts, { onion: options.onion, proxied: proxy !== undefined });
  } catch (error) {
    throw configError(source, 'onion', (error as Error).message.replace(/^\[core\] /, ''));
  }
  const timeouts = proxy ? simplexTimeoutDefaults.proxied : simplexTimeoutDefaults.direct;
  return Object.freeze({
    address,
    host,
    port: address.port ?? defaultPorts[scheme],
    proxy,
    onion: options.onion,
    family: options.family,
    keepAlive: options.keepAlive === false ? undefined : Object.freeze({ idleMs: options.keepAlive.idleMs }),
    connectTimeoutMs: options.connectTimeoutMs ?? timeouts.connectTimeoutMs,
    protocolTimeoutMs: options.protocolTimeoutMs ?? timeouts.protocolTimeoutMs,
    timeoutPerKbMs: options.timeoutPerKbMs,
    proxyLabel: proxy ? formatProxyUrl(proxy) : undefined,
  });
}
