import { type KeyObject, createHash, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, sign, verify } from 'node:crypto';
import { hsalsa, xsalsa20poly1305 } from '@noble/ciphers/salsa';
import { malformed } from './encoding.js';

// XSalsa20-Poly1305 ("crypto_box"/"secretbox") is not in OpenSSL, hence node:crypto lacks it;
// @noble/ciphers (audited, no dependencies) provides it. Everything else is node:crypto.

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32-byte key follows (doc §4.1). */
export const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
/** DER prefix of an X25519 SubjectPublicKeyInfo; the 32-byte key follows (doc §3.2). */
export const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export interface KeyPair {
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

export function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

export function sha512(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha512');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

export function generateEd25519KeyPair(): KeyPair {
  return generateKeyPairSync('ed25519');
}

export function generateX25519KeyPair(): KeyPair {
  return generateKeyPairSync('x25519');
}

/** An Ed25519 key pair from a 32-byte seed (test vectors). */
export function ed25519KeyPairFromSeed(seed: Uint8Array): KeyPair {
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** An X25519 key pair from a 32-byte private scalar (test vectors). */
export function x25519KeyPairFromPrivate(secret: Uint8Array): KeyPair {
  const privateKey = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, secret]), format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** The X.509 SubjectPublicKeyInfo DER the protocol sends keys as (44 bytes for Ed25519/X25519). */
export function encodePublicKey(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/** Parses an SPKI DER of the expected type; malformed input is a `probe_error`. */
export function decodePublicKey(der: Uint8Array, type: 'x25519' | 'ed25519', what: string): KeyObject {
  const prefix = type === 'x25519' ? X25519_SPKI_PREFIX : ED25519_SPKI_PREFIX;
  if (der.length !== 44 || !Buffer.from(der.subarray(0, 12)).equals(prefix)) throw malformed(`${what}: not an ${type} public key`);
  try {
    return createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  } catch {
    throw malformed(`${what}: not an ${type} public key`);
  }
}

/** Raw X25519 shared secret (32 bytes). */
export function x25519(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  return diffieHellman({ privateKey, publicKey });
}

/** Ed25519 / Ed448 signature (no pre-hash). */
export function signBytes(privateKey: KeyObject, data: Uint8Array): Buffer {
  return sign(null, data, privateKey);
}

export function verifySignature(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify(null, data, publicKey, signature);
  } catch {
    return false;
  }
}

const SIGMA = new Uint32Array(new Uint8Array(Buffer.from('expand 32-byte k', 'latin1')).buffer);

function littleEndianWords(bytes: Uint8Array): Uint32Array {
  // A copy, so the view is aligned whatever the offset of `bytes` in its buffer.
  const copy = new Uint8Array(bytes);
  const words = new Uint32Array(copy.length / 4);
  const view = new DataView(copy.buffer);
  for (let index = 0; index < words.length; index += 1) words[index] = view.getUint32(index * 4, true);
  return words;
}

/** HSalsa20(key, 0^16): the NaCl `crypto_box_beforenm` step that turns a shared key into the secretbox key. */
function hsalsaKey(key: Uint8Array): Uint8Array {
  if (key.length !== 32) throw malformed(`a crypto_box key is 32 bytes, got ${key.length}`);
  const output = new Uint32Array(8);
  hsalsa(SIGMA, littleEndianWords(key), new Uint32Array(4), output);
  const bytes = new Uint8Array(32);
  const view = new DataView(bytes.buffer);
  for (let index = 0; index < 8; index += 1) view.setUint32(index * 4, output[index] as number, true);
  return bytes;
}

/**
 * The protocol's `cryptoBox(key, nonce, message)` (doc §3.4, §5.4): NaCl secretbox under
 * HSalsa20(key, 0^16), output tag first. With `key` = raw X25519(a, B) this equals `nacl.box`.
 */
export function cryptoBox(key: Uint8Array, nonce: Uint8Array, message: Uint8Array): Buffer {
  if (nonce.length !== 24) throw malformed(`a crypto_box nonce is 24 bytes, got ${nonce.length}`);
  return Buffer.from(xsalsa20poly1305(hsalsaKey(key), nonce).encrypt(message));
}

/** Opens a `cryptoBox`; undefined when the tag does not verify (corrupted or wrong key). */
export function cryptoBoxOpen(key: Uint8Array, nonce: Uint8Array, boxed: Uint8Array): Buffer | undefined {
  if (nonce.length !== 24 || boxed.length < 16) return undefined;
  try {
    return Buffer.from(xsalsa20poly1305(hsalsaKey(key), nonce).decrypt(boxed));
  } catch {
    return undefined;
  }
}

/** HKDF-SHA512 with node:crypto. */
export function hkdfSha512(salt: Uint8Array, inputKey: Uint8Array, info: string, length: number): Buffer {
  return Buffer.from(hkdfSync('sha512', inputKey, salt, Buffer.from(info, 'latin1'), length));
}
