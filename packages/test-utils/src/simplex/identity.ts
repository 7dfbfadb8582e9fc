import { createHash } from 'node:crypto';
import { generateEd25519KeyPair, largeString, shortString, signBytes, word16 } from '@vigil/simplex-protocol';
import type { KeyObject } from 'node:crypto';
import { type GeneratedCertificate, generateCertificate } from '../servers/certificates.js';

// Server identity and hello encoding for the SimpleX test servers, written from
// shared/docs/simplex-protocol.md §1.2 (identity = SHA-256 of the CA certificate's DER),
// §2.4 (what the client verifies) and §3.2 / §4.3 (server hello layout).

export type SimplexKeyType = 'ed25519' | 'ed448';

/** A server identity as `smp-server init` makes it: an offline CA and a TLS leaf it signs (doc §1.2). */
export interface SimplexTestIdentity {
  readonly keyType: SimplexKeyType;
  readonly certificateAuthority: GeneratedCertificate;
  readonly leaf: GeneratedCertificate;
  /** SHA-256 of the CA certificate's DER: the keyHash of the server address. */
  readonly keyHash: Buffer;
  /** keyHash in base64url with `=`, as addresses print it. */
  readonly keyHashText: string;
}

/** Generates a 2-certificate chain (CA + leaf) with Ed25519 or Ed448 keys, as real servers have. */
export async function generateSimplexIdentity(options: { readonly keyType?: SimplexKeyType } = {}): Promise<SimplexTestIdentity> {
  const keyType = options.keyType ?? 'ed25519';
  const certificateAuthority = await generateCertificate({ keyType, certificateAuthority: true, commonName: 'SMP server CA', notAfter: new Date(Date.now() + 3_650 * 86_400_000) });
  const leaf = await generateCertificate({ keyType, issuer: certificateAuthority, commonName: 'server', altNames: [] });
  const keyHash = createHash('sha256').update(certificateAuthority.certificateDer).digest();
  return Object.freeze({ keyType, certificateAuthority, leaf, keyHash, keyHashText: `${keyHash.toString('base64url')}=` });
}

const algorithmIdentifiers: Readonly<Record<SimplexKeyType, Buffer>> = {
  ed25519: Buffer.from('300506032b6570', 'hex'),
  ed448: Buffer.from('300506032b6571', 'hex'),
};

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  if (length < 0x100) return Buffer.from([0x81, length]);
  return Buffer.from([0x82, length >> 8, length & 0xff]);
}

function derSequence(content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x30]), derLength(content.length), content]);
}

/**
 * The hello's signed X25519 key (doc §3.2): `SEQUENCE { SEQUENCE { X25519 SPKI }, AlgorithmIdentifier,
 * BIT STRING(signature) }`, the signature over the wrapped object by `signingKey` (the TLS leaf's key).
 */
export function encodeSignedServerKey(x25519PublicKeyDer: Buffer, signingKey: KeyObject, keyType: SimplexKeyType): Buffer {
  const object = derSequence(x25519PublicKeyDer);
  const signature = signBytes(signingKey, object);
  const bitString = Buffer.concat([Buffer.from([0x03]), derLength(signature.length + 1), Buffer.from([0]), signature]);
  return derSequence(Buffer.concat([object, algorithmIdentifiers[keyType], bitString]));
}

/** A key signed by an unrelated Ed25519 key: what a man in the middle without the leaf key could send. */
export function encodeForgedServerKey(x25519PublicKeyDer: Buffer): Buffer {
  return encodeSignedServerKey(x25519PublicKeyDer, generateEd25519KeyPair().privateKey, 'ed25519');
}

export interface ServerHelloFields {
  readonly min: number;
  readonly max: number;
  readonly sessionId: Buffer;
  /** Certificate DERs, leaf first; sent for SMP max >= 7 and always for XFTP. */
  readonly certificates: readonly Buffer[];
  readonly signedKey: Buffer;
  /** XFTP only: the web identity proof slot (`00` for native clients, doc §4.3). */
  readonly xftp?: boolean;
}

/** Encodes a server hello's content (doc §3.2 for SMP, §4.3 for XFTP). */
export function encodeServerHello(fields: ServerHelloFields): Buffer {
  const parts = [word16(fields.min), word16(fields.max), shortString(fields.sessionId)];
  if (fields.xftp || fields.max >= 7) {
    parts.push(Buffer.from([fields.certificates.length]), ...fields.certificates.map((der) => largeString(der)), largeString(fields.signedKey));
    if (fields.xftp) parts.push(shortString(Buffer.alloc(0)));
  }
  return Buffer.concat(parts);
}
