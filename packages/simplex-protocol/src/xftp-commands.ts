import { ByteReader, ascii, malformed, shortString, word32 } from './encoding.js';

// XFTP commands and responses (doc §5.3).

/** Chunk sizes an XFTP server accepts (doc §5.3). */
export const xftpChunkSizes: readonly number[] = Object.freeze([65_536, 262_144, 1_048_576, 4_194_304]);

export interface NewFileOptions {
  /** Sender Ed25519 public key, SPKI DER. */
  readonly senderKey: Buffer;
  readonly size: number;
  /** SHA-256 of the chunk. */
  readonly digest: Buffer;
  /** Recipient Ed25519 public keys, SPKI DER (1..255). */
  readonly recipientKeys: readonly Buffer[];
  readonly password?: string;
}

/** `FNEW sstr(sndKey) w32(size) sstr(digest) count sstr(rcvKey)… Maybe(sstr(password))`. */
export function encodeNewFile(options: NewFileOptions): Buffer {
  if (options.recipientKeys.length < 1 || options.recipientKeys.length > 255) throw malformed('FNEW needs 1..255 recipient keys');
  return Buffer.concat([
    ascii('FNEW '),
    shortString(options.senderKey),
    word32(options.size),
    shortString(options.digest),
    Buffer.from([options.recipientKeys.length]),
    ...options.recipientKeys.map((key) => shortString(key)),
    options.password === undefined ? ascii('0') : Buffer.concat([ascii('1'), shortString(ascii(options.password))]),
  ]);
}

export function encodePutFile(): Buffer {
  return ascii('FPUT');
}

/** `FGET sstr(X25519 SPKI)`: the key the server encrypts the chunk to. */
export function encodeGetFile(dhKey: Buffer): Buffer {
  return Buffer.concat([ascii('FGET '), shortString(dhKey)]);
}

export function encodeDeleteFile(): Buffer {
  return ascii('FDEL');
}

export function encodeXftpPing(): Buffer {
  return ascii('PING');
}

export type XftpResponse =
  | { readonly type: 'PONG' }
  | { readonly type: 'OK' }
  | { readonly type: 'SIDS'; readonly senderId: Buffer; readonly recipientIds: readonly Buffer[] }
  | { readonly type: 'FILE'; readonly serverDhKey: Buffer; readonly nonce: Buffer }
  | { readonly type: 'ERR'; readonly error: string }
  | { readonly type: 'other'; readonly tag: string };

/** Parses an XFTP response command. */
export function parseXftpResponse(command: Buffer): XftpResponse {
  const space = command.indexOf(0x20);
  const tag = (space < 0 ? command : command.subarray(0, space)).toString('latin1');
  if (!/^[A-Z_]{2,8}$/.test(tag)) throw malformed('an XFTP response without a command tag');
  const rest = new ByteReader(space < 0 ? Buffer.alloc(0) : command.subarray(space + 1));
  switch (tag) {
    case 'PONG':
    case 'OK':
      return { type: tag };
    case 'ERR': {
      const text = rest.rest().toString('latin1');
      if (!/^[A-Z_]+( [\x20-\x7e]*)?$/.test(text)) throw malformed('ERR without a readable error code');
      return { type: 'ERR', error: text };
    }
    case 'SIDS': {
      const senderId = Buffer.from(rest.shortString('SIDS sender id'));
      const count = rest.byte('SIDS recipient count');
      if (count === 0) throw malformed('SIDS without recipient ids');
      const recipientIds: Buffer[] = [];
      for (let index = 0; index < count; index += 1) recipientIds.push(Buffer.from(rest.shortString('SIDS recipient id')));
      return { type: 'SIDS', senderId, recipientIds };
    }
    case 'FILE': {
      const serverDhKey = Buffer.from(rest.shortString('FILE server DH key'));
      const nonce = Buffer.from(rest.take(24, 'FILE nonce'));
      return { type: 'FILE', serverDhKey, nonce };
    }
    default:
      return { type: 'other', tag };
  }
}
