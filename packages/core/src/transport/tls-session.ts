import type { DetailedPeerCertificate, PeerCertificate, TLSSocket } from 'node:tls';
import type { CertificateSummary, TlsSessionSummary } from '../contracts/dialer.js';

const dayMs = 86_400_000;
const maxChainLength = 16;

/**
 * Normalises a SHA-256 fingerprint (hex with or without colons, or base64 of the 32 bytes) to
 * 64 lower-case hex digits; undefined when `pin` is neither.
 */
export function normalizeSha256Fingerprint(pin: string): string | undefined {
  const text = pin.trim();
  const hex = text.replace(/:/g, '');
  if (/^[0-9a-fA-F]{64}$/.test(hex) && (hex === text || /^([0-9a-fA-F]{2}:){31}[0-9a-fA-F]{2}$/.test(text))) return hex.toLowerCase();
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === 32) return bytes.toString('hex');
  }
  return undefined;
}

function formatName(name: Record<string, string | string[] | undefined> | undefined): string {
  if (!name) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(name)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) parts.push(`${key}=${item}`);
  }
  return parts.join(', ');
}

function isoDate(text: string): string {
  const time = Date.parse(text);
  return Number.isNaN(time) ? text : new Date(time).toISOString();
}

function summarizeCertificate(certificate: PeerCertificate): CertificateSummary {
  const summary: { -readonly [K in keyof CertificateSummary]: CertificateSummary[K] } = {
    subject: formatName(certificate.subject as unknown as Record<string, string | string[]>),
    issuer: formatName(certificate.issuer as unknown as Record<string, string | string[]>),
    validFrom: isoDate(certificate.valid_from),
    validTo: isoDate(certificate.valid_to),
    fingerprintSha256: certificate.fingerprint256,
    serialNumber: certificate.serialNumber,
  };
  if (certificate.subjectaltname) summary.subjectAltName = certificate.subjectaltname;
  return summary;
}

/** The peer's chain, leaf first; stops at a self-issued root (Node links it to itself). */
export function peerChain(socket: TLSSocket): DetailedPeerCertificate[] {
  const leaf = socket.getPeerCertificate(true);
  const chain: DetailedPeerCertificate[] = [];
  // An empty object means the server sent no certificate.
  if (!leaf || !('raw' in leaf) || leaf.raw === undefined) return chain;
  let current: DetailedPeerCertificate | undefined = leaf;
  while (current && chain.length < maxChainLength && !chain.includes(current)) {
    chain.push(current);
    const next: DetailedPeerCertificate | undefined = current.issuerCertificate;
    if (!next || next === current || next.fingerprint256 === current.fingerprint256) break;
    current = next;
  }
  return chain;
}

/** True when the leaf's SHA-256 fingerprint is one of `pins` (normalised hex). */
export function leafMatchesPins(chain: readonly PeerCertificate[], pins: ReadonlySet<string>): boolean {
  const leaf = chain[0];
  if (!leaf) return false;
  return pins.has(leaf.fingerprint256.replace(/:/g, '').toLowerCase());
}

/** Summarises a connected TLS session for results: protocol, cipher, ALPN, chain and expiry. */
export function summarizeTlsSession(
  socket: TLSSocket,
  chain: readonly PeerCertificate[],
  facts: { readonly now: number; readonly servername: string | null; readonly pinned?: boolean },
): TlsSessionSummary {
  const leaf = chain[0];
  const summary: { -readonly [K in keyof TlsSessionSummary]: TlsSessionSummary[K] } = {
    protocol: socket.getProtocol(),
    cipher: socket.getCipher()?.name ?? null,
    alpnProtocol: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : null,
    authorized: socket.authorized,
    servername: facts.servername,
    chain: chain.map(summarizeCertificate),
  };
  if (socket.authorizationError) summary.authorizationError = String(socket.authorizationError);
  if (facts.pinned !== undefined) summary.pinned = facts.pinned;
  if (leaf) {
    const validTo = Date.parse(leaf.valid_to);
    if (!Number.isNaN(validTo)) summary.daysUntilExpiry = Math.floor((validTo - facts.now) / dayMs);
  }
  return summary;
}
