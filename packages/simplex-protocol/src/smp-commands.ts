import { ByteReader, ascii, malformed, shortString, unpad } from './encoding.js';
import { smpVersions } from './handshake.js';

// Client commands and server responses of SMP (doc §4.2, §5.2). Commands are ASCII tags with
// binary arguments; keys travel as sstr(SPKI DER).

export function encodePing(): Buffer {
  return ascii('PING');
}

export interface NewQueueOptions {
  /** Recipient Ed25519 public key, SPKI DER. */
  readonly recipientKey: Buffer;
  /** Recipient X25519 public key for message bodies, SPKI DER. */
  readonly dhKey: Buffer;
  /** The server's basic-auth password, if any. */
  readonly password?: string;
}

/**
 * `NEW` in the form `version` expects (doc §5.2): subscribe mode `S`, and "the sender may
 * secure the queue" (v9-14 `T`; from v15 `Just (QRMessaging Nothing)`), as the apps' test does.
 */
export function encodeNew(version: number, options: NewQueueOptions): Buffer {
  const head = Buffer.concat([ascii('NEW '), shortString(options.recipientKey), shortString(options.dhKey)]);
  const passwordBytes = options.password === undefined ? undefined : shortString(ascii(options.password));
  if (version < smpVersions.senderSecures) {
    return Buffer.concat([head, passwordBytes === undefined ? Buffer.alloc(0) : Buffer.concat([ascii('A'), passwordBytes]), ascii('S')]);
  }
  const auth = passwordBytes === undefined ? ascii('0') : Buffer.concat([ascii('1'), passwordBytes]);
  if (version < smpVersions.shortLinks) return Buffer.concat([head, auth, ascii('ST')]);
  const queueRequest = ascii('1M0');
  if (version < smpVersions.newNotifierCredentials) return Buffer.concat([head, auth, ascii('S'), queueRequest]);
  return Buffer.concat([head, auth, ascii('S'), queueRequest, ascii('0')]);
}

/** `SKEY <senderKey>`: the sender secures the queue (v >= 9). */
export function encodeSenderKey(senderKey: Buffer): Buffer {
  return Buffer.concat([ascii('SKEY '), shortString(senderKey)]);
}

/** `KEY <senderKey>`: the recipient secures the queue. */
export function encodeRecipientSecures(senderKey: Buffer): Buffer {
  return Buffer.concat([ascii('KEY '), shortString(senderKey)]);
}

/** `SEND F <body>` (no notification). */
export function encodeSend(body: Buffer): Buffer {
  return Buffer.concat([ascii('SEND F '), body]);
}

export function encodeAck(messageId: Buffer): Buffer {
  return Buffer.concat([ascii('ACK '), shortString(messageId)]);
}

export function encodeSubscribe(): Buffer {
  return ascii('SUB');
}

export function encodeDelete(): Buffer {
  return ascii('DEL');
}

/** A server response or event, as far as a probe needs to understand it. */
export type SmpResponse =
  | { readonly type: 'PONG' }
  | { readonly type: 'OK' }
  | { readonly type: 'SOK' }
  | { readonly type: 'END' }
  | { readonly type: 'DELD' }
  | {
      readonly type: 'IDS';
      readonly recipientId: Buffer;
      readonly senderId: Buffer;
      readonly serverDhKey: Buffer;
      /** `messaging` when the sender may secure the queue (SKEY), `contact` when not, undefined when unsaid (v < 9). */
      readonly queueMode: 'messaging' | 'contact' | undefined;
    }
  | { readonly type: 'MSG'; readonly messageId: Buffer; readonly encryptedBody: Buffer }
  | { readonly type: 'ERR'; readonly error: string }
  | { readonly type: 'other'; readonly tag: string };

function tagOf(command: Buffer): { tag: string; rest: ByteReader } {
  const space = command.indexOf(0x20);
  const tagBytes = space < 0 ? command : command.subarray(0, space);
  if (tagBytes.length === 0 || tagBytes.length > 8 || !/^[A-Z_]+$/.test(tagBytes.toString('latin1'))) throw malformed('a response without a command tag');
  return { tag: tagBytes.toString('latin1'), rest: new ByteReader(space < 0 ? Buffer.alloc(0) : command.subarray(space + 1)) };
}

/** Parses a server response or event of `version`. */
export function parseSmpResponse(version: number, command: Buffer): SmpResponse {
  const { tag, rest } = tagOf(command);
  switch (tag) {
    case 'PONG':
    case 'OK':
    case 'END':
    case 'DELD':
      return { type: tag };
    case 'SOK':
      return { type: 'SOK' };
    case 'ERR': {
      const text = rest.rest().toString('latin1');
      if (!/^[A-Z_]+( [\x20-\x7e]*)?$/.test(text)) throw malformed('ERR without a readable error code');
      return { type: 'ERR', error: text };
    }
    case 'IDS': {
      const recipientId = Buffer.from(rest.shortString('IDS recipient id'));
      const senderId = Buffer.from(rest.shortString('IDS sender id'));
      const serverDhKey = Buffer.from(rest.shortString('IDS server DH key'));
      let queueMode: 'messaging' | 'contact' | undefined;
      if (version >= smpVersions.shortLinks) {
        queueMode = rest.maybe('IDS queue mode', () => {
          const mode = rest.byte('IDS queue mode');
          if (mode === 0x4d) return 'messaging' as const;
          if (mode === 0x43) return 'contact' as const;
          throw malformed(`IDS: unknown queue mode 0x${mode.toString(16)}`);
        });
      } else if (version >= smpVersions.senderSecures) {
        queueMode = rest.bool('IDS sender can secure') ? 'messaging' : 'contact';
      }
      if (recipientId.length === 0 || senderId.length === 0) throw malformed('IDS with an empty queue id');
      return { type: 'IDS', recipientId, senderId, serverDhKey, queueMode };
    }
    case 'MSG': {
      const messageId = Buffer.from(rest.shortString('MSG id'));
      return { type: 'MSG', messageId, encryptedBody: Buffer.from(rest.rest()) };
    }
    default:
      return { type: 'other', tag };
  }
}

/** What the recipient finds inside a decrypted MSG body (doc §5.2). */
export type ReceivedMessage =
  | { readonly type: 'message'; readonly timestamp: bigint; readonly notification: boolean; readonly body: Buffer }
  | { readonly type: 'quota'; readonly timestamp: bigint };

/** Unpads and parses a decrypted MSG body: `ts(8) ‖ flags ‖ ' ' ‖ body`, or `QUOTA ts(8)`. */
export function parseReceivedMessage(paddedPlain: Buffer): ReceivedMessage {
  const plain = unpad(paddedPlain);
  if (plain.subarray(0, 6).toString('latin1') === 'QUOTA ') {
    return { type: 'quota', timestamp: new ByteReader(plain.subarray(6)).int64('QUOTA timestamp') };
  }
  const reader = new ByteReader(plain);
  const timestamp = reader.int64('message timestamp');
  const notification = reader.bool('message flags');
  // Up to 7 reserved flag characters may follow, up to the space (doc §5.2).
  for (let index = 0; ; index += 1) {
    const next = reader.byte('message flags');
    if (next === 0x20) break;
    if (index >= 7) throw malformed('message flags longer than 8 characters');
  }
  return { type: 'message', timestamp, notification, body: Buffer.from(reader.rest()) };
}

/** The padded size of the message body inside MSG (16104 + 2; doc §5.2). */
export const RECEIVED_MESSAGE_PADDED_SIZE = 16_106;
