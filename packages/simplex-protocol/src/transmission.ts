import type { KeyObject } from 'node:crypto';
import { BLOCK_SIZE, ByteReader, ascii, malformed, pad, shortString, unpad } from './encoding.js';
import { cryptoBox, cryptoBoxOpen, hkdfSha512, signBytes } from './crypto.js';
import { smpVersions } from './handshake.js';

/** One transmission as read off the wire (doc §4.1). */
export interface Transmission {
  /** The signature (or authenticator); empty when unsigned. */
  readonly authorization: Buffer;
  /** The session id as sent (SMP v6, XFTP); undefined when implied (SMP v >= 7). */
  readonly sessionId: Buffer | undefined;
  readonly corrId: Buffer;
  readonly entityId: Buffer;
  readonly command: Buffer;
  /** `sstr(sessionId) ‖ corrId ‖ entityId ‖ command` as the signature covers it. */
  readonly signedBytes: Buffer;
}

export interface EncodeTransmissionOptions {
  readonly sessionId: Buffer;
  readonly corrId: Buffer;
  readonly entityId: Buffer;
  readonly command: Buffer;
  /** Ed25519 private key to sign with; unsigned when absent. */
  readonly signer?: KeyObject;
}

/**
 * Encodes one SMP transmission for `version` (doc §4.1): `auth ‖ [sstr(sessionId) if v6] ‖
 * sstr(corrId) ‖ sstr(entityId) ‖ command`, the signature over `sstr(sessionId) ‖ …`, and from
 * v16 the empty service-signature slot `'0'` after a non-empty signature.
 */
export function encodeSmpTransmission(version: number, options: EncodeTransmissionOptions): Buffer {
  const body = Buffer.concat([shortString(options.corrId), shortString(options.entityId), options.command]);
  const signedBytes = Buffer.concat([shortString(options.sessionId), body]);
  let authorization: Buffer;
  if (options.signer === undefined) authorization = Buffer.from([0]);
  else {
    authorization = shortString(signBytes(options.signer, signedBytes));
    if (version >= smpVersions.serviceCertificates) authorization = Buffer.concat([authorization, ascii('0')]);
  }
  return Buffer.concat([authorization, version >= smpVersions.impliedSessionId ? body : signedBytes]);
}

/** Decodes one SMP transmission; `sessionId` is the connection's (implied from v7). */
export function decodeSmpTransmission(version: number, bytes: Buffer, sessionId: Buffer): Transmission {
  const reader = new ByteReader(bytes);
  const authorization = Buffer.from(reader.shortString('transmission authorization'));
  if (authorization.length > 0 && version >= smpVersions.serviceCertificates) {
    reader.maybe('service signature', () => reader.shortString('service signature'));
  }
  const start = reader.position;
  let sentSessionId: Buffer | undefined;
  if (version < smpVersions.impliedSessionId) sentSessionId = Buffer.from(reader.shortString('transmission session id'));
  const corrId = Buffer.from(reader.shortString('transmission correlation id'));
  const entityId = Buffer.from(reader.shortString('transmission entity id'));
  const command = Buffer.from(reader.rest());
  const signedBytes =
    version < smpVersions.impliedSessionId ? Buffer.from(bytes.subarray(start)) : Buffer.concat([shortString(sessionId), bytes.subarray(start)]);
  return { authorization, sessionId: sentSessionId, corrId, entityId, command, signedBytes };
}

/**
 * Encodes one XFTP transmission (doc §4.3): the session id is always on the wire and there is no
 * service-signature slot.
 */
export function encodeXftpTransmission(options: EncodeTransmissionOptions): Buffer {
  const signedBytes = Buffer.concat([shortString(options.sessionId), shortString(options.corrId), shortString(options.entityId), options.command]);
  const authorization = options.signer === undefined ? Buffer.from([0]) : shortString(signBytes(options.signer, signedBytes));
  return Buffer.concat([authorization, signedBytes]);
}

export function decodeXftpTransmission(bytes: Buffer): Transmission {
  const reader = new ByteReader(bytes);
  const authorization = Buffer.from(reader.shortString('transmission authorization'));
  const start = reader.position;
  const sessionId = Buffer.from(reader.shortString('transmission session id'));
  const corrId = Buffer.from(reader.shortString('transmission correlation id'));
  const entityId = Buffer.from(reader.shortString('transmission entity id'));
  const command = Buffer.from(reader.rest());
  return { authorization, sessionId, corrId, entityId, command, signedBytes: Buffer.from(bytes.subarray(start)) };
}

/** Content size inside an encrypted block: 16384 minus the 16-byte tag (doc §3.4). */
export const ENCRYPTED_CONTENT_SIZE = BLOCK_SIZE - 16;

/**
 * One direction of the per-block encryption chain (doc §3.4): each block takes the next
 * (key, nonce) from HKDF-SHA512 over the chain key, which then advances.
 */
export class BlockCipherChain {
  private chainKey: Buffer;

  constructor(initialChainKey: Buffer) {
    this.chainKey = initialChainKey;
  }

  private next(): { key: Buffer; nonce: Buffer } {
    const output = hkdfSha512(Buffer.alloc(0), this.chainKey, 'SimpleXSbChain', 88);
    this.chainKey = output.subarray(0, 32);
    return { key: output.subarray(32, 64), nonce: output.subarray(64, 88) };
  }

  /** Pads `content` to 16368 bytes and encrypts it into one 16384-byte block. */
  seal(content: Buffer): Buffer {
    const { key, nonce } = this.next();
    return cryptoBox(key, nonce, pad(content, ENCRYPTED_CONTENT_SIZE));
  }

  /** Decrypts one block and returns its unpadded content. */
  open(block: Buffer): Buffer {
    const { key, nonce } = this.next();
    const plain = cryptoBoxOpen(key, nonce, block);
    if (plain === undefined) throw malformed('a block failed to decrypt (wrong key, corrupted or not encrypted)');
    return unpad(plain);
  }
}

/**
 * The two chains of an encrypted SMP session (doc §3.4): HKDF-SHA512(salt = sessionId,
 * ikm = X25519 secret, info = "SimpleXSbChainInit", 64 bytes); the first half starts the
 * server-to-client chain, the second the client-to-server chain.
 */
export function createBlockChains(sharedSecret: Buffer, sessionId: Buffer): { readonly serverToClient: BlockCipherChain; readonly clientToServer: BlockCipherChain } {
  const keys = hkdfSha512(sessionId, sharedSecret, 'SimpleXSbChainInit', 64);
  return { serverToClient: new BlockCipherChain(keys.subarray(0, 32)), clientToServer: new BlockCipherChain(keys.subarray(32, 64)) };
}
