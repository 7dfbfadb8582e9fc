import dns from 'node:dns';
import net, { isIP, type Socket } from 'node:net';
import tls, { type ConnectionOptions, type SecureContext, type TLSSocket } from 'node:tls';
import { SocksClient } from 'socks';
import type { DialOptions, DialResult, DialTimings, Dialer, ProxyOptions, TlsDialOptions, TlsSessionSummary } from '../contracts/dialer.js';
import { VigilError, describeError } from '../errors/vigil-error.js';
import { type Clock, systemClock } from '../util/clock.js';
import { redactText } from '../util/redact.js';
import { type DialPhase, type NetworkErrorClassification, abortReasonCode, classifyNetworkError, classifySocksReply } from './classify-error.js';
import { isOnionHost } from './onion.js';
import { formatProxyUrl, proxyCredentials } from './proxy.js';
import { leafMatchesPins, normalizeSha256Fingerprint, peerChain, summarizeTlsSession } from './tls-session.js';

/** `dns.lookup`, or anything with its callback signature (tests, custom resolvers). */
export type LookupFunction = typeof dns.lookup;

export interface CreateDialerOptions {
  /** Times the phases; default the system clock. */
  readonly clock?: Clock;
  /** The proxy every connection uses unless its options say otherwise (`proxy: false` for direct). */
  readonly proxy?: ProxyOptions;
  /** Name resolution for direct connections (and proxy names); default `dns.lookup`. */
  readonly lookup?: LookupFunction;
}

// The socks package arms its own timer and cannot clear it after the handshake; the caller's
// signal is the real limit, so this is only a backstop, short enough not to retain sockets long.
const socksBackstopTimeoutMs = 120_000;

const phaseLabels: Readonly<Record<DialPhase, string>> = {
  dns: 'the DNS lookup',
  connect: 'the TCP connect',
  proxy: 'the SOCKS5 handshake',
  tls: 'the TLS handshake',
};

// Shared, never mutated: one allocation per process instead of one per connect.
const lookupAnyFamily = Object.freeze({ family: 0 });
const lookupIpv4 = Object.freeze({ family: 4 });
const lookupIpv6 = Object.freeze({ family: 6 });
const ignoreError = (): void => {};

// Socket listeners are shared functions that find their attempt on the socket, so a dial
// allocates no listener closures (the benchmark compares against a bare net.connect loop).
const attemptKey = Symbol('vigil.dialAttempt');
type AttemptSocket = (Socket | TLSSocket) & { [attemptKey]?: DialAttempt };

function onSocketConnect(this: AttemptSocket): void {
  this[attemptKey]?.connected();
}

function onSocketError(this: AttemptSocket, error: Error): void {
  this[attemptKey]?.failed(error);
}

function onProxySocketData(this: AttemptSocket, chunk: Buffer): void {
  this[attemptKey]?.proxyData(chunk);
}

interface DialerInternals {
  readonly clock: Clock;
  readonly lookup: LookupFunction;
  readonly defaultProxy: ProxyOptions | undefined;
  secureContextFor(options: TlsDialOptions): SecureContext;
  pinSetFor(pins: readonly string[]): ReadonlySet<string>;
}

function formatTarget(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

function configFailure(message: string, phase: DialPhase): NetworkErrorClassification {
  return { reason: 'config_error', message, phase };
}

/** Reads the SOCKS5 reply code from the first bytes the proxy sent (greeting, auth, reply). */
function socksReplyCode(bytes: Buffer | undefined): number | undefined {
  if (!bytes || bytes.length < 2 || bytes[0] !== 0x05) return undefined;
  let offset = 2;
  if (bytes[1] === 0x02) {
    // Username/password sub-negotiation reply: version 1, status 0 for success.
    if (bytes.length < 4 || bytes[3] !== 0x00) return undefined;
    offset = 4;
  }
  if (bytes.length < offset + 2 || bytes[offset] !== 0x05) return undefined;
  return bytes[offset + 1];
}

/**
 * One connection attempt: a small state machine driven by socket events, settled once. It is
 * its own abort listener (an object with `handleEvent`), again to avoid a closure per dial.
 */
class DialAttempt {
  private phase: DialPhase = 'dns';
  /** The target host, without the brackets an IPv6 literal may come with (`[::1]`). */
  private host = '';
  /** The IP actually connected to (the target's, or the proxy's). */
  private address: string | undefined;
  private settled = false;
  private socket: Socket | undefined;
  private tlsSocket: TLSSocket | undefined;
  private proxy: ProxyOptions | undefined;
  private proxyBytes: Buffer | undefined;
  private started = 0;
  private phaseStarted = 0;
  private dnsMs: number | undefined;
  private connectMs = 0;
  private proxyMs: number | undefined;

  constructor(
    private readonly dialer: DialerInternals,
    private readonly options: DialOptions,
    private readonly resolve: (result: DialResult) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  start(): void {
    const { options } = this;
    const { host, port, signal } = options;
    this.started = this.dialer.clock.monotonicNow();
    this.phaseStarted = this.started;
    this.proxy = options.proxy === false ? undefined : (options.proxy ?? this.dialer.defaultProxy);
    if (typeof host !== 'string' || host.length === 0) {
      this.fail(configFailure('the host is empty', 'dns'));
      return;
    }
    this.host = host.charCodeAt(0) === 0x5b && host.charCodeAt(host.length - 1) === 0x5d ? host.slice(1, -1) : host;
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      this.fail(configFailure(`the port must be an integer between 1 and 65535, got ${String(port)}`, 'connect'));
      return;
    }
    const onion = isOnionHost(host);
    const onionMode = options.onion ?? 'prefer';
    if (onion && onionMode === 'never') {
      this.fail(configFailure('.onion hosts are not allowed (onion: never)', 'dns'));
      return;
    }
    if (!onion && onionMode === 'require') {
      this.fail(configFailure('only .onion hosts are allowed (onion: require)', 'dns'));
      return;
    }
    if (onion && !this.proxy) {
      this.fail(configFailure('.onion addresses need a SOCKS5 proxy such as Tor (proxy: socks5h://127.0.0.1:9050); they are never resolved locally', 'dns'));
      return;
    }
    if (this.proxy && Buffer.byteLength(this.host) > 255) {
      this.fail(configFailure('SOCKS5 host names are limited to 255 bytes', 'proxy'));
      return;
    }
    if (signal?.aborted) {
      this.failAborted();
      return;
    }
    // No `once`: it costs more than the removal `detach` does anyway, and a late call is a no-op.
    signal?.addEventListener('abort', this);
    // Through a proxy only the proxy's own name is resolved here; the target's name goes to the proxy.
    const lookupHost = this.proxy ? this.proxy.host : this.host;
    if (isIP(lookupHost) !== 0) this.connectTo(lookupHost);
    else this.lookUp(lookupHost);
  }

  private lookUp(hostname: string): void {
    this.phase = 'dns';
    const family = this.proxy ? undefined : this.options.family;
    const lookupOptions = family === 4 ? lookupIpv4 : family === 6 ? lookupIpv6 : lookupAnyFamily;
    try {
      this.dialer.lookup(hostname, lookupOptions, (error, address) => {
        if (this.settled) return;
        if (error) {
          this.fail(this.proxyAware(classifyNetworkError(error, { phase: 'dns' })), error);
          return;
        }
        const now = this.dialer.clock.monotonicNow();
        this.dnsMs = now - this.phaseStarted;
        this.phaseStarted = now;
        this.connectTo(address);
      });
    } catch (error) {
      this.fail(this.proxyAware(classifyNetworkError(error, { phase: 'dns' })), error);
    }
  }

  private connectTo(address: string): void {
    this.phase = 'connect';
    this.address = address;
    const { options } = this;
    const keepAlive = options.keepAlive;
    const socket: AttemptSocket = net.connect({
      host: address,
      port: this.proxy ? this.proxy.port : options.port,
      noDelay: options.noDelay ?? true,
      keepAlive: keepAlive !== undefined,
      keepAliveInitialDelay: keepAlive?.idleMs ?? 0,
    });
    socket[attemptKey] = this;
    this.socket = socket;
    socket.on('error', onSocketError);
    socket.on('connect', onSocketConnect);
  }

  /** The TCP connection is up (to the target, or to the proxy). */
  connected(): void {
    if (this.settled) return;
    (this.socket as Socket).removeListener('connect', onSocketConnect);
    const now = this.dialer.clock.monotonicNow();
    this.connectMs = now - this.phaseStarted;
    this.phaseStarted = now;
    if (this.proxy) this.startProxy(this.proxy);
    else if (this.options.tls) this.startTls(this.options.tls);
    else this.succeed(this.socket as Socket, undefined);
  }

  private startProxy(proxy: ProxyOptions): void {
    this.phase = 'proxy';
    const socket = this.socket as Socket;
    const credentials = proxyCredentials(proxy);
    // Keep the first bytes the proxy sends: the socks package names reply codes 1-8 only, and
    // Tor's onion-service replies (0xF0-0xF7) say why an onion address failed.
    socket.on('data', onProxySocketData);
    SocksClient.createConnection({
      proxy: { host: proxy.host, port: proxy.port, type: 5, userId: credentials.username, password: credentials.password },
      command: 'connect',
      destination: { host: this.host, port: this.options.port },
      existing_socket: socket,
      timeout: socksBackstopTimeoutMs,
    }).then(
      () => this.proxyEstablished(),
      (error: unknown) => this.proxyFailed(error),
    );
  }

  proxyData(chunk: Buffer): void {
    if (this.proxyBytes === undefined) this.proxyBytes = chunk.subarray(0, 16);
    else if (this.proxyBytes.length < 16) this.proxyBytes = Buffer.concat([this.proxyBytes, chunk]).subarray(0, 16);
  }

  private proxyEstablished(): void {
    if (this.settled) return;
    const socket = this.socket as Socket;
    socket.removeListener('data', onProxySocketData);
    const now = this.dialer.clock.monotonicNow();
    this.proxyMs = now - this.phaseStarted;
    this.phaseStarted = now;
    if (this.options.tls) this.startTls(this.options.tls);
    else this.succeed(socket, undefined);
  }

  private proxyFailed(error: unknown): void {
    if (this.settled) return;
    const replyCode = socksReplyCode(this.proxyBytes);
    if (replyCode !== undefined && replyCode !== 0x00) this.fail(classifySocksReply(replyCode));
    else this.fail(classifyNetworkError(error, { phase: 'proxy' }));
  }

  private startTls(tlsOptions: TlsDialOptions): void {
    this.phase = 'tls';
    const { host } = this;
    let pins: ReadonlySet<string> | undefined;
    let secureContext: SecureContext;
    try {
      if (tlsOptions.pinSha256 !== undefined && tlsOptions.pinSha256.length > 0) pins = this.dialer.pinSetFor(tlsOptions.pinSha256);
      secureContext = this.dialer.secureContextFor(tlsOptions);
    } catch (error) {
      this.fail(configFailure(redactText(describeError(error)).replace(/^\[core\] /, ''), 'tls'), error);
      return;
    }
    const servername = tlsOptions.servername === false ? null : (tlsOptions.servername ?? (isIP(host) === 0 ? host.replace(/\.$/, '') : null));
    const connectOptions: ConnectionOptions = {
      socket: this.socket as Socket,
      secureContext,
      // A pin replaces chain verification: the pin is the trust anchor.
      rejectUnauthorized: (tlsOptions.verify ?? true) && pins === undefined,
      // Node checks the certificate's identity against `servername`, else `host`.
      host,
    };
    if (servername !== null) connectOptions.servername = servername;
    if (tlsOptions.alpn !== undefined && tlsOptions.alpn.length > 0) connectOptions.ALPNProtocols = tlsOptions.alpn as string[];
    let tlsSocket: TLSSocket;
    try {
      tlsSocket = tls.connect(connectOptions);
    } catch (error) {
      this.fail(classifyNetworkError(error, { phase: 'tls' }), error);
      return;
    }
    this.tlsSocket = tlsSocket;
    (tlsSocket as AttemptSocket)[attemptKey] = this;
    tlsSocket.on('error', onSocketError);
    tlsSocket.once('secureConnect', () => this.onSecureConnect(tlsSocket, servername, pins));
  }

  private onSecureConnect(tlsSocket: TLSSocket, servername: string | null, pins: ReadonlySet<string> | undefined): void {
    if (this.settled) return;
    const chain = peerChain(tlsSocket);
    const pinned = pins === undefined ? undefined : leafMatchesPins(chain, pins);
    if (pinned === false) {
      const leafFingerprint = chain[0]?.fingerprint256;
      this.fail({
        reason: 'identity_mismatch',
        message: `the leaf certificate (SHA-256 ${leafFingerprint ?? 'none'}) matches none of the ${pins?.size ?? 0} pinned fingerprints`,
        phase: 'tls',
        details: { fingerprintSha256: leafFingerprint ?? null },
      });
      return;
    }
    const summary = summarizeTlsSession(tlsSocket, chain, {
      now: this.dialer.clock.now(),
      servername,
      ...(pinned === undefined ? {} : { pinned }),
    });
    this.succeed(tlsSocket, summary);
  }

  failed(error: Error): void {
    this.fail(this.proxyAware(classifyNetworkError(error, { phase: this.phase })), error);
  }

  /** Failing to reach the proxy itself says nothing about the target: report it as a proxy failure. */
  private proxyAware(classification: NetworkErrorClassification): NetworkErrorClassification {
    if (!this.proxy || (this.phase !== 'dns' && this.phase !== 'connect') || classification.reason === 'config_error') return classification;
    return { ...classification, reason: 'proxy_error', message: `cannot reach the SOCKS5 proxy: ${classification.message}` };
  }

  /** The abort listener (EventListenerObject). */
  handleEvent(): void {
    this.failAborted();
  }

  private failAborted(): void {
    const signalReason: unknown = this.options.signal?.reason;
    const reason = abortReasonCode(signalReason);
    const elapsed = Math.round(this.dialer.clock.monotonicNow() - this.started);
    const what = reason === 'timeout' ? 'timed out' : 'aborted';
    this.fail(
      { reason, message: `${what} during ${phaseLabels[this.phase]} (after ${elapsed} ms)`, phase: this.phase, details: { elapsedMs: elapsed } },
      signalReason,
    );
  }

  private detach(): void {
    this.options.signal?.removeEventListener('abort', this);
    const socket = this.socket as AttemptSocket | undefined;
    if (socket) {
      socket[attemptKey] = undefined;
      socket.removeListener('error', onSocketError);
      socket.removeListener('connect', onSocketConnect);
      if (this.proxy) socket.removeListener('data', onProxySocketData);
    }
    const tlsSocket = this.tlsSocket as AttemptSocket | undefined;
    if (tlsSocket) {
      tlsSocket[attemptKey] = undefined;
      tlsSocket.removeListener('error', onSocketError);
    }
  }

  private succeed(socket: Socket | TLSSocket, tlsSummary: TlsSessionSummary | undefined): void {
    this.settled = true;
    this.detach();
    // Under TLS the caller listens on the TLS socket; keep a stray error of the raw one from crashing.
    if (this.tlsSocket && this.socket) this.socket.on('error', ignoreError);
    const total = this.dialer.clock.monotonicNow() - this.started;
    const timings: { -readonly [K in keyof DialTimings]: DialTimings[K] } = { connect: this.connectMs, total };
    if (this.dnsMs !== undefined) timings.dns = this.dnsMs;
    if (this.proxyMs !== undefined) timings.proxy = this.proxyMs;
    if (tlsSummary !== undefined) timings.tls = total - (this.dnsMs ?? 0) - this.connectMs - (this.proxyMs ?? 0);
    const result: { -readonly [K in keyof DialResult]: DialResult[K] } = {
      socket,
      timings,
      // Known already; asking the socket would cost a getpeername call.
      remoteAddress: this.address,
    };
    if (tlsSummary !== undefined) result.tls = tlsSummary;
    this.resolve(result);
  }

  private fail(classification: NetworkErrorClassification, cause?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.detach();
    for (const socket of [this.tlsSocket, this.socket]) {
      if (!socket) continue;
      socket.on('error', ignoreError);
      socket.destroy();
    }
    const { port } = this.options;
    const host = this.host || String(this.options.host);
    const via = this.proxy ? ` via ${formatProxyUrl(this.proxy)}` : '';
    const target = typeof port === 'number' ? formatTarget(host, port) : host;
    const phase = classification.phase ?? this.phase;
    this.reject(
      new VigilError('VIGIL_ERR_DIAL', `[core] dial ${target}${via}: ${classification.message}`, {
        reason: classification.reason,
        // Errors of the socks package carry its options (the proxy password): never keep them.
        ...(cause === undefined || phase === 'proxy' ? {} : { cause }),
        details: { ...classification.details, phase },
      }),
    );
  }
}

/**
 * Creates the dialer every TCP-based check uses: direct or SOCKS5 connections, optional TLS,
 * phase timings, and failures as `VIGIL_ERR_DIAL` VigilErrors carrying a check reason code.
 */
export function createDialer(options: CreateDialerOptions = {}): Dialer {
  const secureContexts = new WeakMap<TlsDialOptions, SecureContext>();
  const pinSets = new WeakMap<readonly string[], ReadonlySet<string>>();
  const internals: DialerInternals = {
    clock: options.clock ?? systemClock,
    lookup: options.lookup ?? dns.lookup,
    defaultProxy: options.proxy,
    // Checks pass the same frozen TLS options every run, so one context serves them all.
    secureContextFor(tlsOptions) {
      let context = secureContexts.get(tlsOptions);
      if (context === undefined) {
        const contextOptions: tls.SecureContextOptions = {};
        if (tlsOptions.ca !== undefined) contextOptions.ca = tlsOptions.ca as string | Buffer | (string | Buffer)[];
        if (tlsOptions.cert !== undefined) contextOptions.cert = tlsOptions.cert;
        if (tlsOptions.key !== undefined) contextOptions.key = tlsOptions.key;
        if (tlsOptions.minVersion !== undefined) contextOptions.minVersion = tlsOptions.minVersion;
        if (tlsOptions.maxVersion !== undefined) contextOptions.maxVersion = tlsOptions.maxVersion;
        try {
          context = tls.createSecureContext(contextOptions);
        } catch (error) {
          throw new VigilError('VIGIL_ERR_CONFIG', `invalid TLS options (ca, cert, key or versions): ${describeError(error)}`, { reason: 'config_error' });
        }
        secureContexts.set(tlsOptions, context);
      }
      return context;
    },
    pinSetFor(pins) {
      let set = pinSets.get(pins);
      if (set === undefined) {
        const normalized = new Set<string>();
        for (const pin of pins) {
          const hex = normalizeSha256Fingerprint(pin);
          if (hex === undefined) {
            throw new VigilError('VIGIL_ERR_CONFIG', 'a pinSha256 entry is not a SHA-256 fingerprint (64 hex digits, with or without colons, or base64)', {
              reason: 'config_error',
            });
          }
          normalized.add(hex);
        }
        set = normalized;
        pinSets.set(pins, set);
      }
      return set;
    },
  };
  return {
    connect(dialOptions: DialOptions): Promise<DialResult> {
      return new Promise<DialResult>((resolve, reject) => {
        new DialAttempt(internals, dialOptions, resolve, reject).start();
      });
    },
  };
}
