import { type KeyObject, X509Certificate } from 'node:crypto';
import { ByteReader, ascii, malformed, shortString, word16 } from './encoding.js';
import { X25519_SPKI_PREFIX, decodePublicKey, sha256, verifySignature } from './crypto.js';

/** An inclusive protocol version range. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

/** SMP versions this client speaks: 6 (oldest servers accept) to 18 (current; doc §3.1). */
export const smpClientVersions: VersionRange = Object.freeze({ min: 6, max: 18 });
/** XFTP versions this client speaks (doc §4.3). */
export const xftpClientVersions: VersionRange = Object.freeze({ min: 1, max: 3 });

/** SMP version thresholds that change the wire format (doc §3.1). */
export const smpVersions = Object.freeze({
  /** Session id implied in transmissions; hello carries the chain and the signed X25519 key. */
  impliedSessionId: 7,
  /** SKEY; NEW sends "sender may secure" as a Bool. */
  senderSecures: 9,
  /** Blocks encrypted when the client sent its X25519 key. */
  blockEncryption: 11,
  /** `ERR BLOCKED` instead of `ERR AUTH`. */
  blockedError: 12,
  /** Client hello carries proxyServer. */
  proxyServerFlag: 14,
  /** NEW carries Maybe QueueReqData; IDS queueMode + linkId. */
  shortLinks: 15,
  /** Client hello carries clientService; signed transmissions a service-signature slot; SUB answers SOK. */
  serviceCertificates: 16,
  /** NEW carries Maybe NewNtfCreds; IDS serverNtfCreds. */
  newNotifierCredentials: 17,
});

/** The highest version both ranges contain, or undefined when they do not intersect (doc §3.3). */
export function negotiateVersion(server: VersionRange, client: VersionRange): number | undefined {
  const max = Math.min(server.max, client.max);
  return max >= Math.max(server.min, client.min) ? max : undefined;
}

/** The signed X25519 key of a server hello: `SEQUENCE { obj, AlgorithmIdentifier, BIT STRING }` (doc §3.2). */
export interface SignedServerKey {
  /** The exact bytes of the signed object (the signature covers them). */
  readonly signedBytes: Buffer;
  readonly algorithm: 'ed25519' | 'ed448';
  readonly signature: Buffer;
  /** The X25519 public key as SPKI DER (44 bytes). */
  readonly publicKeyDer: Buffer;
}

export interface ServerHello {
  readonly versions: VersionRange;
  readonly sessionId: Buffer;
  /** Certificate DERs, leaf first (SMP v >= 7, XFTP). */
  readonly certificates: readonly Buffer[] | undefined;
  readonly signedKey: SignedServerKey | undefined;
}

interface DerElement {
  readonly tag: number;
  /** The whole element, tag and length included. */
  readonly raw: Buffer;
  readonly content: Buffer;
}

/** Reads one DER TLV at the reader's position. */
function readDer(reader: ByteReader, what: string): DerElement {
  const start = reader.position;
  const tag = reader.byte(`${what} tag`);
  let length = reader.byte(`${what} length`);
  if (length & 0x80) {
    const lengthBytes = length & 0x7f;
    if (lengthBytes === 0 || lengthBytes > 3) throw malformed(`${what}: unsupported DER length`);
    length = 0;
    for (let index = 0; index < lengthBytes; index += 1) length = length * 256 + reader.byte(`${what} length`);
  }
  const content = reader.take(length, what);
  return { tag, raw: reader.slice(start, reader.position), content };
}

const ED25519_OID = Buffer.from('06032b6570', 'hex');
const ED448_OID = Buffer.from('06032b6571', 'hex');

/**
 * Parses the DER of the hello's signed X25519 key. The object is the 44-byte X25519 SPKI,
 * possibly wrapped in one more SEQUENCE (doc §3.2, open point 2): both forms are accepted, and
 * the signature is checked over the raw bytes of the first element, whatever its form.
 */
export function parseSignedServerKey(der: Buffer): SignedServerKey {
  const outer = readDer(new ByteReader(der), 'signed key');
  if (outer.tag !== 0x30) throw malformed('signed key: not a DER SEQUENCE');
  const inner = new ByteReader(outer.content);
  const objectStart = inner.position;
  const object = readDer(inner, 'signed key object');
  const signedBytes = outer.content.subarray(objectStart, inner.position);
  const algorithmElement = readDer(inner, 'signed key algorithm');
  const signatureElement = readDer(inner, 'signed key signature');
  if (algorithmElement.tag !== 0x30) throw malformed('signed key: the algorithm is not a SEQUENCE');
  const algorithmOid = algorithmElement.content.subarray(0, 5);
  const algorithm = algorithmOid.equals(ED25519_OID) ? 'ed25519' : algorithmOid.equals(ED448_OID) ? 'ed448' : undefined;
  if (algorithm === undefined) throw malformed('signed key: the signature algorithm is neither Ed25519 nor Ed448');
  if (signatureElement.tag !== 0x03 || signatureElement.content[0] !== 0) throw malformed('signed key: the signature is not a BIT STRING');
  const signature = signatureElement.content.subarray(1);
  if (object.tag !== 0x30) throw malformed('signed key: the signed object is not a SEQUENCE');
  // Bare: the object is the SPKI itself; wrapped: the SPKI is the object's only content.
  const publicKeyDer = object.raw.length === 44 ? object.raw : object.content;
  if (publicKeyDer.length !== 44 || !publicKeyDer.subarray(0, 12).equals(X25519_SPKI_PREFIX)) throw malformed('signed key: the signed object is not an X25519 public key');
  return { signedBytes: Buffer.from(signedBytes), algorithm, signature: Buffer.from(signature), publicKeyDer: Buffer.from(publicKeyDer) };
}

function readCertificates(reader: ByteReader, protocol: string): Buffer[] {
  const count = reader.byte(`${protocol} hello certificate count`);
  const certificates: Buffer[] = [];
  for (let index = 0; index < count; index += 1) certificates.push(Buffer.from(reader.largeString(`${protocol} hello certificate ${index + 1}`)));
  return certificates;
}

/**
 * Decodes the content of an SMP server hello block (doc §3.2): version range, session id, and
 * from v7 the certificate chain and the signed X25519 key. Trailing bytes are ignored.
 */
export function decodeSmpServerHello(content: Buffer): ServerHello {
  const reader = new ByteReader(content);
  const min = reader.word16('SMP hello min version');
  const max = reader.word16('SMP hello max version');
  if (min > max || min === 0) throw malformed(`SMP hello: invalid version range ${min}-${max}`);
  const sessionId = Buffer.from(reader.shortString('SMP hello session id'));
  if (sessionId.length === 0) throw malformed('SMP hello: empty session id');
  if (max < 7) return { versions: { min, max }, sessionId, certificates: undefined, signedKey: undefined };
  const certificates = readCertificates(reader, 'SMP');
  const signedKey = parseSignedServerKey(Buffer.from(reader.largeString('SMP hello signed key')));
  return { versions: { min, max }, sessionId, certificates, signedKey };
}

/** Decodes the content of an XFTP server hello (doc §4.3). */
export function decodeXftpServerHello(content: Buffer): ServerHello {
  const reader = new ByteReader(content);
  const min = reader.word16('XFTP hello min version');
  const max = reader.word16('XFTP hello max version');
  if (min > max || min === 0) throw malformed(`XFTP hello: invalid version range ${min}-${max}`);
  const sessionId = Buffer.from(reader.shortString('XFTP hello session id'));
  if (sessionId.length === 0) throw malformed('XFTP hello: empty session id');
  const certificates = readCertificates(reader, 'XFTP');
  const signedKey = parseSignedServerKey(Buffer.from(reader.largeString('XFTP hello signed key')));
  return { versions: { min, max }, sessionId, certificates, signedKey };
}

export interface SmpClientHelloOptions {
  readonly version: number;
  readonly keyHash: Buffer;
  /** The client's X25519 public key (SPKI DER); sent from v7, enables block encryption from v11. */
  readonly clientKey?: Buffer;
}

/** Encodes the content of the SMP client hello (doc §3.3). */
export function encodeSmpClientHello(options: SmpClientHelloOptions): Buffer {
  const parts: Buffer[] = [word16(options.version), shortString(options.keyHash)];
  if (options.clientKey !== undefined && options.version >= smpVersions.impliedSessionId) parts.push(shortString(options.clientKey));
  if (options.version >= smpVersions.proxyServerFlag) parts.push(ascii('F'));
  if (options.version >= smpVersions.serviceCertificates) parts.push(ascii('0'));
  return Buffer.concat(parts);
}

/** Encodes the content of the XFTP client handshake: `w16(v) ‖ sstr(keyHash)` (doc §4.3). */
export function encodeXftpClientHello(options: { readonly version: number; readonly keyHash: Buffer }): Buffer {
  return Buffer.concat([word16(options.version), shortString(options.keyHash)]);
}

/** Why a server's identity did not verify; each maps to a check reason code. */
export type IdentityProblem =
  | { readonly kind: 'chain_length'; readonly message: string }
  | { readonly kind: 'leaf_mismatch'; readonly message: string }
  | { readonly kind: 'key_hash_mismatch'; readonly message: string; readonly actualKeyHash: string }
  | { readonly kind: 'chain_invalid'; readonly message: string }
  | { readonly kind: 'expired'; readonly message: string; readonly notAfter: string }
  | { readonly kind: 'signature_invalid'; readonly message: string };

export interface VerifiedIdentity {
  /** The server's X25519 key from the hello (for block encryption), when it sent one. */
  readonly serverKey: KeyObject | undefined;
  readonly chainLength: number;
  readonly leafNotAfter: string;
  readonly identityNotAfter: string;
  readonly signatureAlgorithm: 'ed25519' | 'ed448' | undefined;
}

export interface VerifyIdentityOptions {
  /** Certificate DERs leaf first: from the hello, or from the TLS session (SMP v6). */
  readonly certificates: readonly Buffer[];
  readonly keyHash: Buffer;
  /** The DER of the TLS peer's leaf certificate. */
  readonly tlsLeaf: Buffer;
  readonly signedKey: SignedServerKey | undefined;
  /** 2..4 for SMP; exactly 2 for XFTP (doc §1.2). */
  readonly allowedChainLengths: readonly number[];
  readonly now: number;
  /** Remembers chains that verified, so a check probing the same server skips re-parsing them. */
  readonly cache?: IdentityCache;
}

/** A chain that verified: its validity window and what the signed-key check needs. */
interface VerifiedChain {
  readonly notBefore: number;
  readonly notAfter: number;
  readonly leafKey: KeyObject;
  readonly leafNotAfter: string;
  readonly identityNotAfter: string;
}

/**
 * Chains that verified, by their bytes. Parsing and verifying X.509 costs milliseconds per run
 * while a server's chain changes rarely; the signed key (fresh per connection) is always checked.
 * One per check instance; it holds at most a few chains.
 */
export class IdentityCache {
  private readonly chains = new Map<string, VerifiedChain>();

  /** The verified chain with exactly these bytes, if it is valid at `now`. */
  get(certificates: readonly Buffer[], now: number): VerifiedChain | undefined {
    const chain = this.chains.get(IdentityCache.key(certificates));
    return chain && now >= chain.notBefore && now <= chain.notAfter ? chain : undefined;
  }

  set(certificates: readonly Buffer[], chain: VerifiedChain): void {
    if (this.chains.size >= 8) this.chains.clear();
    this.chains.set(IdentityCache.key(certificates), chain);
  }

  private static key(certificates: readonly Buffer[]): string {
    return sha256(...certificates.flatMap((der) => [Buffer.from([der.length >> 16, der.length >> 8, der.length & 0xff]), der])).toString('hex');
  }
}

function parseCertificate(der: Buffer, index: number): X509Certificate | IdentityProblem {
  try {
    return new X509Certificate(der);
  } catch {
    return { kind: 'chain_invalid', message: `certificate ${index + 1} of the chain does not parse` };
  }
}

/** Parses and verifies a chain: signatures, CA flags, validity (the costly, cacheable part). */
function verifyChain(certificates: readonly Buffer[], now: number): VerifiedChain | IdentityProblem {
  const parsed: X509Certificate[] = [];
  for (const [index, der] of certificates.entries()) {
    const certificate = parseCertificate(der, index);
    if (!(certificate instanceof X509Certificate)) return certificate;
    parsed.push(certificate);
  }
  for (let index = 0; index < parsed.length; index += 1) {
    const certificate = parsed[index] as X509Certificate;
    // The last certificate is the trust anchor: it signs itself (doc §1.2 table).
    const issuer = parsed[index + 1] ?? certificate;
    let signed = false;
    try {
      signed = certificate.verify(issuer.publicKey);
    } catch {
      signed = false;
    }
    if (!signed) return { kind: 'chain_invalid', message: `certificate ${index + 1} is not signed by certificate ${Math.min(index + 2, parsed.length)}` };
    if (index > 0 && !certificate.ca) return { kind: 'chain_invalid', message: `certificate ${index + 1} signs others but is not a CA` };
    const notBefore = Date.parse(certificate.validFrom);
    const notAfter = Date.parse(certificate.validTo);
    if (!(now >= notBefore && now <= notAfter)) {
      return { kind: 'expired', message: `certificate ${index + 1} is outside its validity (${certificate.validFrom} - ${certificate.validTo})`, notAfter: certificate.validTo };
    }
  }
  return {
    notBefore: Math.max(...parsed.map((certificate) => Date.parse(certificate.validFrom))),
    notAfter: Math.min(...parsed.map((certificate) => Date.parse(certificate.validTo))),
    leafKey: (parsed[0] as X509Certificate).publicKey,
    leafNotAfter: new Date((parsed[0] as X509Certificate).validTo).toISOString(),
    identityNotAfter: new Date((parsed[1] as X509Certificate).validTo).toISOString(),
  };
}

/**
 * Verifies a SimpleX server's identity as the official client does (doc §2.4): chain length,
 * the hello's leaf equals the TLS leaf, SHA-256(DER(chain[1])) equals keyHash, every certificate
 * is signed by the next (Ed25519/Ed448), issuers are CAs, all are within their validity period,
 * and the signed X25519 key verifies under the TLS leaf's public key.
 */
export function verifyServerIdentity(options: VerifyIdentityOptions): { ok: true; identity: VerifiedIdentity } | { ok: false; problem: IdentityProblem } {
  const { certificates } = options;
  if (!options.allowedChainLengths.includes(certificates.length)) {
    return { ok: false, problem: { kind: 'chain_length', message: `the server sent ${certificates.length} certificates; expected ${options.allowedChainLengths.join(' or ')}` } };
  }
  const leafDer = certificates[0] as Buffer;
  if (!leafDer.equals(options.tlsLeaf)) return { ok: false, problem: { kind: 'leaf_mismatch', message: 'the leaf certificate in the hello differs from the TLS certificate' } };
  const identityHash = sha256(certificates[1] as Buffer);
  if (!identityHash.equals(options.keyHash)) {
    const actualKeyHash = `${identityHash.toString('base64url')}=`;
    return { ok: false, problem: { kind: 'key_hash_mismatch', message: `the identity certificate hashes to ${actualKeyHash}, not the address's key hash`, actualKeyHash } };
  }
  let chain = options.cache?.get(certificates, options.now);
  if (chain === undefined) {
    const verified = verifyChain(certificates, options.now);
    if (!('leafKey' in verified)) return { ok: false, problem: verified };
    chain = verified;
    options.cache?.set(certificates, chain);
  }
  let serverKey: KeyObject | undefined;
  if (options.signedKey !== undefined) {
    const { leafKey } = chain;
    if (leafKey.asymmetricKeyType !== options.signedKey.algorithm || !verifySignature(leafKey, options.signedKey.signedBytes, options.signedKey.signature)) {
      return { ok: false, problem: { kind: 'signature_invalid', message: 'the X25519 key in the hello is not signed by the TLS certificate key' } };
    }
    serverKey = decodePublicKey(options.signedKey.publicKeyDer, 'x25519', 'server hello key');
  }
  return {
    ok: true,
    identity: {
      serverKey,
      chainLength: certificates.length,
      leafNotAfter: chain.leafNotAfter,
      identityNotAfter: chain.identityNotAfter,
      signatureAlgorithm: options.signedKey?.algorithm,
    },
  };
}
