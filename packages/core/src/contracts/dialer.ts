import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** Which host to use when an address lists several, and whether `.onion` is allowed. */
export type OnionMode = 'never' | 'prefer' | 'require';

/** A SOCKS5 proxy. Parse `socks5://[user:pass@]host:port` with `parseProxyUrl`. */
export interface ProxyOptions {
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  /**
   * A fresh random username/password per connection. Tor isolates circuits by SOCKS
   * credentials (IsolateSOCKSAuth), so every probe takes its own circuit.
   */
  readonly randomCredentials?: boolean;
}

/**
 * TCP keepalive. Node 20 exposes only the idle time (`socket.setKeepAlive(true, idleMs)`, applied
 * in whole seconds); the probe interval (TCP_KEEPINTVL) and count (TCP_KEEPCNT) are not settable
 * from Node 20, so they stay at the operating system's defaults and are not offered here.
 */
export interface KeepAliveOptions {
  /** Idle time before the first probe (TCP_KEEPIDLE), in milliseconds; below 1000 keeps the OS default. */
  readonly idleMs?: number;
}

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface TlsDialOptions {
  /** SNI: a name, `false` for none (SimpleX relays), default the host when it is a name. */
  readonly servername?: string | false;
  readonly alpn?: readonly string[];
  readonly minVersion?: TlsVersion;
  readonly maxVersion?: TlsVersion;
  /** Verify the chain against `ca` (or the system store). Default true. */
  readonly verify?: boolean;
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Client certificate and key for mutual TLS. */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /**
   * SHA-256 fingerprints of the leaf certificate's DER (hex, with or without colons, or base64).
   * When set, a connection whose leaf matches none fails with `identity_mismatch`, and chain
   * verification errors are tolerated (the pin is the trust anchor).
   */
  readonly pinSha256?: readonly string[];
}

export interface DialOptions {
  readonly host: string;
  readonly port: number;
  readonly signal?: AbortSignal;
  /** Wrap the connection in TLS. */
  readonly tls?: TlsDialOptions;
  /**
   * Connect through this SOCKS5 proxy (names resolved by the proxy), or `false` to connect
   * directly even when the dialer has a default proxy. Default: the dialer's proxy, if any.
   */
  readonly proxy?: ProxyOptions | false;
  /** `.onion` handling; default `prefer` (allowed through a proxy). */
  readonly onion?: OnionMode;
  /** 4 or 6 to force the address family of the local lookup (direct connections, or the proxy's name). */
  readonly family?: 4 | 6;
  readonly keepAlive?: KeepAliveOptions;
  /** Default true. */
  readonly noDelay?: boolean;
}

/** Phase timings in milliseconds; absent phases did not happen. */
export interface DialTimings {
  readonly dns?: number;
  readonly connect: number;
  readonly proxy?: number;
  readonly tls?: number;
  readonly total: number;
}

export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  readonly validFrom: string;
  readonly validTo: string;
  /** Upper-case hex with colons, as Node prints it (`AB:CD:...`). */
  readonly fingerprintSha256: string;
  readonly serialNumber: string;
  /** The subjectAltName extension as Node prints it (`DNS:example.org, IP Address:127.0.0.1`). */
  readonly subjectAltName?: string;
}

export interface TlsSessionSummary {
  readonly protocol: string | null;
  readonly cipher: string | null;
  readonly alpnProtocol: string | null;
  /** True when the chain (and the name) verified against the CA store. */
  readonly authorized: boolean;
  readonly authorizationError?: string;
  /** True when `pinSha256` was given and the leaf matched one of the pins. */
  readonly pinned?: boolean;
  /** The SNI sent, or null when none was (`servername: false`, or an IP address). */
  readonly servername: string | null;
  /** Leaf first. */
  readonly chain: readonly CertificateSummary[];
  /** Whole days until the leaf expires (negative when expired); absent when the server sent no certificate. */
  readonly daysUntilExpiry?: number;
}

export interface DialResult {
  /**
   * The connected socket, now owned by the caller: attach an `error` listener right away (the
   * dialer removed its own) and destroy or end it when done.
   */
  readonly socket: Socket | TLSSocket;
  readonly timings: DialTimings;
  /** The address connected to: the target's IP, or the proxy's for proxied connections. */
  readonly remoteAddress: string | undefined;
  readonly tls?: TlsSessionSummary;
}

/**
 * Opens TCP (and TLS) connections for every TCP-based check: direct, or through SOCKS5 with
 * remote name resolution. Failures reject with a VigilError whose `reason` is the check reason
 * code (`timeout`, `dns_error`, `connection_refused`, `tls_error`, `identity_mismatch`,
 * `proxy_error`, ...), and whose `details.phase` names the failing step.
 */
export interface Dialer {
  connect(options: DialOptions): Promise<DialResult>;
}
