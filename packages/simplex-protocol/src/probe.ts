import type { TLSSocket } from 'node:tls';
import {
  type CheckContext,
  type CheckStatus,
  type DialResult,
  type DialTimings,
  type ReasonCode,
  type TlsDialOptions,
  VigilError,
  abortReasonCode,
  classifyNetworkError,
  redactText,
} from '@vigil/core';
import { redactServerAddresses } from './address.js';
import { unpad } from './encoding.js';
import { type IdentityCache, type IdentityProblem, type ServerHello, type VerifiedIdentity, type VersionRange, negotiateVersion, verifyServerIdentity } from './handshake.js';
import type { SimplexTransportPlan } from './transport-options.js';

// Probe plumbing shared by the SMP and XFTP checks: one failure type that carries the reason
// code and the failing step, the status each reason means (doc §6.2), the dial, and the
// handshake steps both clients take the same way.

/** A probe outcome other than success, with the step that failed. Caught by the check and turned into data. */
export class ProbeFailure extends Error {
  constructor(
    readonly reason: ReasonCode,
    readonly step: string,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'ProbeFailure';
  }
}

/** The status a reason means (doc §6.2): `restricted`, `degraded`, `blocked` are warnings; `identity_mismatch` is always down. */
export function statusForReason(reason: ReasonCode): CheckStatus {
  switch (reason) {
    case 'ok':
      return 'up';
    case 'restricted':
    case 'degraded':
    case 'blocked':
      return 'degraded';
    case 'aborted':
    case 'config_error':
      return 'unknown';
    default:
      return 'down';
  }
}

/** Turns anything caught while probing into a ProbeFailure; unknown errors become `probe_error`. */
export function toProbeFailure(error: unknown, step: string, signal: AbortSignal): ProbeFailure {
  if (error instanceof ProbeFailure) return error;
  if (signal.aborted) return abortFailure(signal, step);
  if (VigilError.isInstance(error) && error.reason === 'probe_error') return new ProbeFailure('probe_error', step, `${step}: ${error.message.replace(/^\[[a-z-]+\] /, '')}`);
  const message = redactServerAddresses(redactText(error instanceof Error ? error.message : String(error)));
  return new ProbeFailure('probe_error', step, `${step}: ${message}`);
}

/** The failure of a run aborted while `step` was under way: `timeout` at the run's deadline, else `aborted`. */
export function abortFailure(signal: AbortSignal, step: string): ProbeFailure {
  const reason = abortReasonCode(signal.reason);
  return new ProbeFailure(reason, step, `${reason === 'timeout' ? 'the run timed out' : 'aborted'} during ${step}`);
}

// One frozen options object per protocol: the dialer caches its TLS context per options object.
const tlsOptionsByAlpn: Readonly<Record<string, TlsDialOptions>> = Object.freeze({
  'smp/1': Object.freeze({ servername: false, alpn: Object.freeze(['smp/1']), verify: false }),
  'xftp/1': Object.freeze({ servername: false, alpn: Object.freeze(['xftp/1']), verify: false }),
});

/** No SNI (doc §2.3), the protocol's ALPN (§2.2); the chain is verified by the probe itself (§2.4). */
function tlsOptionsFor(alpn: string): TlsDialOptions {
  return tlsOptionsByAlpn[alpn] ?? { servername: false, alpn: [alpn], verify: false };
}

const unreachableReasons: ReadonlySet<ReasonCode> = new Set(['connection_refused', 'dns_error', 'network_unreachable', 'proxy_error', 'connection_reset', 'timeout']);

/**
 * Dials the server with TLS (ALPN `alpn`, no SNI, chain checked by the probe itself) through the
 * plan's proxy, bounded by the connect timeout. Failures become `unreachable` (TCP, DNS, SOCKS,
 * connect timeout) or `tls_error`, with the dial phase and the original reason in the details.
 */
export async function dialSimplex(context: CheckContext, plan: SimplexTransportPlan, alpn: string): Promise<DialResult & { readonly socket: TLSSocket }> {
  const connectTimeout = AbortSignal.timeout(plan.connectTimeoutMs);
  const signal = AbortSignal.any([context.signal, connectTimeout]);
  try {
    const dialed = await context.dialer.connect({
      host: plan.host,
      port: plan.port,
      signal,
      tls: tlsOptionsFor(alpn),
      proxy: plan.proxy ?? false,
      onion: plan.onion,
      family: plan.family,
      keepAlive: plan.keepAlive,
    });
    return dialed as DialResult & { readonly socket: TLSSocket };
  } catch (error) {
    const classified = classifyNetworkError(error);
    const phase = classified.phase ?? 'connect';
    const details = { ...classified.details, phase, cause: classified.reason };
    if (context.signal.aborted) {
      const reason = classified.reason === 'aborted' ? 'aborted' : 'timeout';
      return Promise.reject(new ProbeFailure(reason, 'connect', redactText(classified.message.replace(/^\[core\] /, '')), details));
    }
    if (connectTimeout.aborted) {
      return Promise.reject(new ProbeFailure('unreachable', 'connect', `no connection within the ${plan.connectTimeoutMs} ms connect timeout (stuck in the ${phase} phase)`, details));
    }
    if (classified.reason === 'config_error') return Promise.reject(new ProbeFailure('config_error', 'connect', redactText(classified.message.replace(/^\[core\] /, '')), details));
    const reason: ReasonCode = phase === 'tls' ? 'tls_error' : unreachableReasons.has(classified.reason) ? 'unreachable' : classified.reason;
    return Promise.reject(new ProbeFailure(reason, 'connect', redactText(classified.message.replace(/^\[core\] /, '')), details));
  }
}

/** The certificate DERs the TLS peer sent, leaf first (Node links them through `issuerCertificate`). */
export function tlsPeerChain(socket: TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  let certificate = socket.getPeerCertificate(true);
  while (certificate && certificate.raw && chain.length < 8) {
    if (chain.some((der) => der.equals(certificate.raw))) break;
    chain.push(certificate.raw);
    certificate = certificate.issuerCertificate;
  }
  return chain;
}

/** Maps an identity problem to a failure: `certificate_expired` for validity, else `identity_mismatch`. */
export function identityFailure(problem: IdentityProblem, step: string): ProbeFailure {
  if (problem.kind === 'expired') return new ProbeFailure('certificate_expired', step, `${step}: ${problem.message}`, { notAfter: problem.notAfter });
  const details: Record<string, unknown> = { identityProblem: problem.kind };
  if (problem.kind === 'key_hash_mismatch') details.actualKeyHash = problem.actualKeyHash;
  return new ProbeFailure('identity_mismatch', step, `${step}: ${problem.message}`, details);
}

/** Facts about an SMP or XFTP session, for results. */
export interface SimplexSessionFacts {
  readonly version: number;
  readonly serverVersions: VersionRange;
  readonly identity: VerifiedIdentity;
  readonly tlsVersion: string | null;
  readonly tlsCipher: string | null;
  readonly alpn: string | null;
  readonly timings: DialTimings;
  /** Milliseconds from TLS established to the end of the hello exchange (hello read, verified, answered). */
  readonly handshakeMs: number;
  readonly remoteAddress: string | undefined;
}

/** The TLS version, cipher and ALPN the connection negotiated, for the session facts. */
export function tlsConnectionFacts(socket: TLSSocket): Pick<SimplexSessionFacts, 'tlsVersion' | 'tlsCipher' | 'alpn'> {
  return {
    tlsVersion: socket.getProtocol(),
    tlsCipher: socket.getCipher()?.name ?? null,
    alpn: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : null,
  };
}

/** Decodes a padded server hello block with the protocol's decoder; one that does not parse fails the `hello` step. */
export function parseServerHello(block: Buffer, decode: (content: Buffer) => ServerHello): ServerHello {
  try {
    return decode(unpad(block));
  } catch (error) {
    throw new ProbeFailure('probe_error', 'hello', `hello: the server hello does not parse (${(error as Error).message.replace(/^\[[a-z-]+\] /, '')})`);
  }
}

/** What `verifyTlsIdentity` needs: the connection, the address's key hash and the protocol's chain lengths. */
export interface TlsIdentityOptions {
  readonly socket: TLSSocket;
  readonly keyHash: Buffer;
  /** 2..4 for SMP; exactly 2 for XFTP (doc §1.2). */
  readonly allowedChainLengths: readonly number[];
  readonly now: number;
  readonly identityCache?: IdentityCache | undefined;
}

/**
 * Pins the chain TLS presented to the address's key hash (doc §2.4), as the official clients'
 * TLS hook does before the hello is trusted; fails the `tls identity` step. Returns the TLS leaf
 * too, which the hello's own chain must start with.
 */
export function verifyTlsIdentity(options: TlsIdentityOptions): { readonly identity: VerifiedIdentity; readonly tlsLeaf: Buffer } {
  const tlsChain = tlsPeerChain(options.socket);
  const tlsLeaf = tlsChain[0] ?? Buffer.alloc(0);
  const verified = verifyServerIdentity({
    certificates: tlsChain,
    keyHash: options.keyHash,
    tlsLeaf,
    signedKey: undefined,
    allowedChainLengths: options.allowedChainLengths,
    now: options.now,
    ...(options.identityCache ? { cache: options.identityCache } : {}),
  });
  if (!verified.ok) throw identityFailure(verified.problem, 'tls identity');
  return { identity: verified.identity, tlsLeaf };
}

/** The highest version the server's hello and this client share; none fails the `hello` step as `incompatible_version`. */
export function negotiateHelloVersion(protocol: 'SMP' | 'XFTP', server: VersionRange, client: VersionRange): number {
  const version = negotiateVersion(server, client);
  if (version === undefined) {
    throw new ProbeFailure('incompatible_version', 'hello', `hello: the server speaks ${protocol} ${server.min}-${server.max}, this client ${client.min}-${client.max}`, {
      serverVersions: server,
      clientVersions: client,
    });
  }
  return version;
}

