import { randomBytes } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { KeyObject } from 'node:crypto';
import {
  BLOCK_SIZE,
  type BlockCipherChain,
  ByteReader,
  RECEIVED_MESSAGE_PADDED_SIZE,
  type VersionRange,
  ascii,
  createBlockChains,
  cryptoBox,
  decodeBatch,
  decodePublicKey,
  decodeSmpTransmission,
  encodeBatch,
  encodePublicKey,
  encodeSmpTransmission,
  generateX25519KeyPair,
  int64,
  pad,
  shortString,
  smpVersions,
  unpad,
  x25519,
} from '@vigil/simplex-protocol';
import { ConnectionTracker, type LoopbackHost, closer, listen, withCounters } from '../servers/connections.js';
import { type SimplexTestIdentity, generateSimplexIdentity } from './identity.js';
import { createRelayTlsServer, encodeRelayHello, relayAddress, signatureVerifier, splitCommand } from './relay.js';

// An SMP relay for tests, written from shared/docs/simplex-protocol.md: TLS with ALPN and no
// SNI (§2.1-2.3), the server hello and client hello (§3.2, §3.3), block encryption (§3.4),
// transmissions (§4.1), PING (§4.2) and the queue commands NEW/IDS/SKEY/KEY/SEND/MSG/ACK/SUB/DEL
// (§5.2) with real signatures and crypto_box, plus misbehaviours on demand (§6.2).

/** Ways the server can misbehave, each producing one outcome a probe must classify. */
export type SmpMisbehaviour =
  /** The hello carries another identity's chain than the address's keyHash: `identity_mismatch`. */
  | 'wrong-identity'
  /** The hello's X25519 key is signed by a key other than the TLS leaf's: `identity_mismatch`. */
  | 'forged-key-signature'
  /** The hello's session id is not the TLS session's tls-unique: `session_mismatch`. */
  | 'session-mismatch'
  /** Reads the client hello, then closes (what servers do on a wrong keyHash or version). */
  | 'close-after-hello'
  /** Completes TLS and never sends the hello. */
  | 'silent'
  /** Completes the handshake, then never answers a command. */
  | 'never-answer'
  /** Sends random bytes instead of the hello block. */
  | 'garbage-hello'
  /** Sends half a hello block, then closes. */
  | 'truncated-hello'
  /** Answers the first command with a block of random bytes. */
  | 'garbage-block'
  /** Answers the first command with half a block, then closes. */
  | 'truncated-block'
  /** Flips a byte of every MSG body (after encryption): `integrity_error`. */
  | 'corrupt-message-body';

export interface SmpTestServerOptions {
  readonly host?: LoopbackHost;
  /** Generated at start when absent (Ed25519 unless `keyType` says otherwise). */
  readonly identity?: SimplexTestIdentity;
  readonly keyType?: 'ed25519' | 'ed448';
  /** The versions the server supports with ALPN; default 6-18. Without ALPN it offers 6-6 (doc §2.2). */
  readonly versions?: VersionRange;
  /** `create_password`: NEW without it (or with another) is answered `ERR AUTH` (doc §6.2). */
  readonly password?: string;
  /** Answer every NEW with `ERR <error>`, e.g. `QUOTA`, `INTERNAL`, `BLOCKED reason=spam`. */
  readonly newQueueError?: string;
  /** What IDS says about who secures the queue (doc §5.1 step 3); default `messaging` (the sender, SKEY). */
  readonly queueMode?: 'messaging' | 'contact';
  readonly misbehaviour?: SmpMisbehaviour;
  /** Rewrites the hello block before it is sent (fuzzing clients with mutated hellos). */
  readonly mutateHello?: (block: Buffer) => Buffer;
  /** Rewrites every block sent after the handshake (fuzzing clients with mutated replies). */
  readonly mutateBlock?: (block: Buffer) => Buffer;
}

/** What a client said in its hello. */
export interface SmpClientHelloRecord {
  readonly version: number;
  readonly keyHashMatched: boolean;
  readonly sentKey: boolean;
  readonly alpn: string | null;
  readonly servername: string | false;
}

export interface SmpTestServer {
  readonly host: LoopbackHost;
  readonly port: number;
  readonly identity: SimplexTestIdentity;
  /** `smp://<keyHash>[:password]@host:port` for this server. */
  readonly address: string;
  /** Client hellos seen, in order. */
  readonly hellos: readonly SmpClientHelloRecord[];
  /** Command tags received, in order (e.g. `PING`, `NEW`). */
  readonly commands: readonly string[];
  /** Queues that exist now. */
  readonly queueCount: number;
  readonly connectionsAccepted: number;
  readonly connectionsOpen: number;
  readonly connectionsClosed: number;
  close(): Promise<void>;
}

interface StoredMessage {
  readonly id: Buffer;
  readonly timestamp: bigint;
  readonly body: Buffer;
}

interface Queue {
  readonly recipientId: Buffer;
  readonly senderId: Buffer;
  readonly recipientKey: KeyObject;
  readonly clientDhKey: KeyObject;
  readonly serverDhPrivateKey: KeyObject;
  senderKey: KeyObject | undefined;
  readonly messages: StoredMessage[];
  /** The message delivered and not yet acknowledged. */
  delivered: Buffer | undefined;
  subscriber: SmpServerConnection | undefined;
}

interface ServerState {
  readonly options: SmpTestServerOptions;
  readonly identity: SimplexTestIdentity;
  readonly versions: VersionRange;
  readonly queuesByRecipient: Map<string, Queue>;
  readonly queuesBySender: Map<string, Queue>;
  readonly hellos: SmpClientHelloRecord[];
  readonly commands: string[];
}

interface Reply {
  readonly corrId: Buffer;
  readonly entityId: Buffer;
  readonly command: Buffer;
}

const empty = Buffer.alloc(0);

function errorReply(corrId: Buffer, entityId: Buffer, error: string): Reply {
  return { corrId, entityId, command: ascii(`ERR ${error}`) };
}

/** One client connection: the handshake state machine, then the command loop. */
class SmpServerConnection {
  private buffered: Buffer = empty;
  private stage: 'client-hello' | 'commands' | 'closed' = 'client-hello';
  private version = 0;
  private readonly sessionId: Buffer;
  private readonly serverKeys = generateX25519KeyPair();
  private chains: { readonly send: BlockCipherChain; readonly receive: BlockCipherChain } | undefined;
  private misbehaved = false;

  constructor(
    private readonly socket: TLSSocket,
    private readonly state: ServerState,
  ) {
    this.sessionId = socket.getPeerFinished() ?? randomBytes(32);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.onClose());
    this.sendHello();
  }

  private get misbehaviour(): SmpMisbehaviour | undefined {
    return this.state.options.misbehaviour;
  }

  private offeredVersions(): VersionRange {
    // Any ALPN: the full range; none: only the legacy v6 (doc §2.2).
    const alpn = this.socket.alpnProtocol;
    if (typeof alpn === 'string' && alpn.length > 0) return this.state.versions;
    return { min: 6, max: Math.min(6, this.state.versions.max) };
  }

  private sendHello(): void {
    const { identity } = this.state;
    if (this.misbehaviour === 'silent') return;
    if (this.misbehaviour === 'garbage-hello') {
      this.socket.write(randomBytes(BLOCK_SIZE));
      return;
    }
    const hello = encodeRelayHello({
      scheme: 'smp',
      identity,
      versions: this.offeredVersions(),
      sessionId: this.sessionId,
      serverKey: this.serverKeys.publicKey,
      misbehaviour: this.misbehaviour,
    });
    if (this.misbehaviour === 'truncated-hello') {
      this.socket.end(hello.subarray(0, BLOCK_SIZE / 2));
      return;
    }
    this.socket.write(this.state.options.mutateHello ? this.state.options.mutateHello(hello) : hello);
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= BLOCK_SIZE && this.stage !== 'closed') {
      const block = this.buffered.subarray(0, BLOCK_SIZE);
      this.buffered = this.buffered.subarray(BLOCK_SIZE);
      try {
        if (this.stage === 'client-hello') this.onClientHello(unpad(block));
        else this.onCommandBlock(block);
      } catch {
        // A client hello or block the server cannot read: it closes, sending nothing (doc §3).
        this.closeConnection();
      }
    }
  }

  private onClientHello(content: Buffer): void {
    const reader = new ByteReader(content);
    const version = reader.word16('client version');
    const keyHash = reader.shortString('client key hash');
    let clientKey: KeyObject | undefined;
    // The key is optional from v7 (doc §3.3); trailers follow for v14/v16.
    const trailerLength = (version >= smpVersions.proxyServerFlag ? 1 : 0) + (version >= smpVersions.serviceCertificates ? 1 : 0);
    if (version >= smpVersions.impliedSessionId && reader.remaining > trailerLength) {
      clientKey = decodePublicKey(reader.shortString('client key'), 'x25519', 'client key');
    }
    if (version >= smpVersions.proxyServerFlag) reader.expectByte(0x46, 'proxyServer');
    if (version >= smpVersions.serviceCertificates) reader.expectByte(0x30, 'clientService');
    const keyHashMatched = Buffer.from(keyHash).equals(this.state.identity.keyHash);
    this.state.hellos.push({
      version,
      keyHashMatched,
      sentKey: clientKey !== undefined,
      alpn: typeof this.socket.alpnProtocol === 'string' ? this.socket.alpnProtocol : null,
      servername: this.socket.servername ?? false,
    });
    const offered = this.offeredVersions();
    if (this.misbehaviour === 'close-after-hello' || !keyHashMatched || version < offered.min || version > offered.max) {
      this.closeConnection();
      return;
    }
    this.version = version;
    if (clientKey !== undefined && version >= smpVersions.blockEncryption) {
      const chains = createBlockChains(x25519(this.serverKeys.privateKey, clientKey), this.sessionId);
      this.chains = { send: chains.serverToClient, receive: chains.clientToServer };
    }
    this.stage = 'commands';
  }

  private onCommandBlock(block: Buffer): void {
    const content = this.chains ? this.chains.receive.open(block) : unpad(block);
    const replies: Reply[] = [];
    for (const bytes of decodeBatch(content)) {
      const transmission = decodeSmpTransmission(this.version, bytes, this.sessionId);
      if (transmission.sessionId !== undefined && !transmission.sessionId.equals(this.sessionId)) {
        replies.push(errorReply(transmission.corrId, transmission.entityId, 'SESSION'));
        continue;
      }
      const reply = this.handleCommand(transmission.authorization, transmission.signedBytes, transmission.corrId, transmission.entityId, transmission.command);
      if (reply) replies.push(reply);
    }
    if (this.misbehaviour === 'never-answer') return;
    if (!this.misbehaved && (this.misbehaviour === 'garbage-block' || this.misbehaviour === 'truncated-block')) {
      this.misbehaved = true;
      if (this.misbehaviour === 'garbage-block') this.socket.write(randomBytes(BLOCK_SIZE));
      else this.socket.end(randomBytes(BLOCK_SIZE / 2));
      return;
    }
    if (replies.length > 0) this.send(replies);
  }

  /** Sends transmissions in one block (server transmissions are unsigned, doc §4.1). */
  send(replies: readonly Reply[]): void {
    if (this.stage === 'closed' || this.socket.destroyed) return;
    const transmissions = replies.map((reply) => encodeSmpTransmission(this.version, { sessionId: this.sessionId, ...reply }));
    const content = encodeBatch(transmissions);
    const block = this.chains ? this.chains.send.seal(content) : pad(content, BLOCK_SIZE);
    this.socket.write(this.state.options.mutateBlock ? this.state.options.mutateBlock(block) : block);
  }

  private handleCommand(authorization: Buffer, signedBytes: Buffer, corrId: Buffer, entityId: Buffer, command: Buffer): Reply | undefined {
    const { tag, args } = splitCommand(command);
    this.state.commands.push(tag);
    const signed = authorization.length > 0;
    const verifiedBy = signatureVerifier(authorization, signedBytes);
    const { queuesByRecipient, queuesBySender } = this.state;
    switch (tag) {
      case 'PING':
        if (signed || entityId.length > 0) return errorReply(corrId, entityId, 'CMD HAS_AUTH');
        return { corrId, entityId, command: ascii('PONG') };
      case 'NEW':
        return this.newQueue(args, signed, verifiedBy, corrId, entityId);
      case 'SKEY': {
        const queue = queuesBySender.get(entityId.toString('hex'));
        const senderKey = decodePublicKey(args.shortString('SKEY key'), 'ed25519', 'SKEY key');
        if (!queue || !verifiedBy(senderKey)) return errorReply(corrId, entityId, 'AUTH');
        if (queue.senderKey && !encodePublicKey(queue.senderKey).equals(encodePublicKey(senderKey))) return errorReply(corrId, entityId, 'AUTH');
        queue.senderKey = senderKey;
        return { corrId, entityId, command: ascii('OK') };
      }
      case 'KEY': {
        const queue = queuesByRecipient.get(entityId.toString('hex'));
        const senderKey = decodePublicKey(args.shortString('KEY key'), 'ed25519', 'KEY key');
        if (!queue || !verifiedBy(queue.recipientKey) || queue.senderKey) return errorReply(corrId, entityId, 'AUTH');
        queue.senderKey = senderKey;
        return { corrId, entityId, command: ascii('OK') };
      }
      case 'SEND': {
        if (entityId.length === 0) return errorReply(corrId, entityId, 'CMD NO_ENTITY');
        const queue = queuesBySender.get(entityId.toString('hex'));
        // Unsigned SEND only before the queue is secured; signed only by the sender key after.
        if (!queue || (queue.senderKey ? !verifiedBy(queue.senderKey) : signed)) return errorReply(corrId, entityId, 'AUTH');
        args.bool('SEND flags');
        args.expectByte(0x20, 'SEND separator');
        const body = args.rest();
        if (body.length > 16_048) return errorReply(corrId, entityId, 'LARGE_MSG');
        queue.messages.push({ id: randomBytes(24), timestamp: BigInt(Math.floor(Date.now() / 1_000)), body: Buffer.from(body) });
        deliver(queue, this.state);
        return { corrId, entityId, command: ascii('OK') };
      }
      case 'ACK': {
        const queue = queuesByRecipient.get(entityId.toString('hex'));
        if (!queue || !verifiedBy(queue.recipientKey)) return errorReply(corrId, entityId, 'AUTH');
        const messageId = args.shortString('ACK message id');
        if (!queue.delivered || !queue.delivered.equals(messageId)) return errorReply(corrId, entityId, 'NO_MSG');
        queue.messages.shift();
        queue.delivered = undefined;
        setImmediate(() => deliver(queue, this.state));
        return { corrId, entityId, command: ascii('OK') };
      }
      case 'SUB': {
        const queue = queuesByRecipient.get(entityId.toString('hex'));
        if (!queue || !verifiedBy(queue.recipientKey)) return errorReply(corrId, entityId, 'AUTH');
        queue.subscriber = this;
        queue.delivered = undefined;
        setImmediate(() => deliver(queue, this.state));
        return { corrId, entityId, command: ascii(this.version >= smpVersions.serviceCertificates ? 'SOK 0' : 'OK') };
      }
      case 'DEL': {
        const queue = queuesByRecipient.get(entityId.toString('hex'));
        if (!queue || !verifiedBy(queue.recipientKey)) return errorReply(corrId, entityId, 'AUTH');
        queuesByRecipient.delete(queue.recipientId.toString('hex'));
        queuesBySender.delete(queue.senderId.toString('hex'));
        return { corrId, entityId, command: ascii('OK') };
      }
      default:
        return errorReply(corrId, entityId, 'CMD UNKNOWN');
    }
  }

  private newQueue(args: ByteReader, signed: boolean, verifiedBy: (key: KeyObject | undefined) => boolean, corrId: Buffer, entityId: Buffer): Reply {
    const { options } = this.state;
    if (!signed) return errorReply(corrId, entityId, 'CMD NO_AUTH');
    if (entityId.length > 0) return errorReply(corrId, entityId, 'CMD HAS_AUTH');
    const recipientKey = decodePublicKey(args.shortString('NEW recipient key'), 'ed25519', 'NEW recipient key');
    const clientDhKey = decodePublicKey(args.shortString('NEW DH key'), 'x25519', 'NEW DH key');
    // Per-version layout (doc §5.2): v6-8 ['A' password] 'S'; v9+ Maybe password, 'S', then the mode.
    let password: string | undefined;
    if (this.version < smpVersions.senderSecures) {
      if (args.remaining > 1) {
        args.expectByte(0x41, 'NEW password tag');
        password = args.shortString('NEW password').toString('latin1');
      }
      args.expectByte(0x53, 'NEW subscribe mode');
    } else {
      password = args.maybe('NEW password', () => args.shortString('NEW password').toString('latin1'));
      args.expectByte(0x53, 'NEW subscribe mode');
      if (this.version < smpVersions.shortLinks) args.bool('NEW sender can secure');
      else {
        args.maybe('NEW queue request', () => {
          args.byte('NEW queue mode');
          args.maybe('NEW queue link data', () => args.rest());
        });
        if (this.version >= smpVersions.newNotifierCredentials) args.maybe('NEW notifier credentials', () => args.rest());
      }
    }
    if (!verifiedBy(recipientKey)) return errorReply(corrId, entityId, 'AUTH');
    if (options.password !== undefined && password !== options.password) return errorReply(corrId, entityId, 'AUTH');
    if (options.newQueueError !== undefined) return errorReply(corrId, entityId, options.newQueueError);
    const serverDh = generateX25519KeyPair();
    const queue: Queue = {
      recipientId: randomBytes(24),
      senderId: randomBytes(24),
      recipientKey,
      clientDhKey,
      serverDhPrivateKey: serverDh.privateKey,
      senderKey: undefined,
      messages: [],
      delivered: undefined,
      // Subscribe mode S: the creating connection is subscribed (doc §5.2).
      subscriber: this,
    };
    this.state.queuesByRecipient.set(queue.recipientId.toString('hex'), queue);
    this.state.queuesBySender.set(queue.senderId.toString('hex'), queue);
    const mode = options.queueMode ?? 'messaging';
    const parts = [ascii('IDS '), shortString(queue.recipientId), shortString(queue.senderId), shortString(encodePublicKey(serverDh.publicKey))];
    const modeByte = mode === 'messaging' ? 'M' : 'C';
    if (this.version >= smpVersions.newNotifierCredentials) parts.push(ascii(`1${modeByte}000`));
    else if (this.version >= smpVersions.serviceCertificates) parts.push(ascii(`1${modeByte}00`));
    else if (this.version >= smpVersions.shortLinks) parts.push(ascii(`1${modeByte}0`));
    else if (this.version >= smpVersions.senderSecures) parts.push(ascii(mode === 'messaging' ? 'T' : 'F'));
    return { corrId, entityId, command: Buffer.concat(parts) };
  }

  /** Pushes a MSG event to this (subscribed) connection. */
  pushMessage(queue: Queue, message: StoredMessage): void {
    const rcvBody = Buffer.concat([int64(message.timestamp), ascii('F '), message.body]);
    const secret = x25519(queue.serverDhPrivateKey, queue.clientDhKey);
    const encryptedBody = cryptoBox(secret, message.id, pad(rcvBody, RECEIVED_MESSAGE_PADDED_SIZE));
    if (this.misbehaviour === 'corrupt-message-body') encryptedBody[100] = (encryptedBody[100] as number) ^ 0xff;
    this.send([{ corrId: empty, entityId: queue.recipientId, command: Buffer.concat([ascii('MSG '), shortString(message.id), encryptedBody]) }]);
  }

  get open(): boolean {
    return this.stage === 'commands' && !this.socket.destroyed;
  }

  private closeConnection(): void {
    this.stage = 'closed';
    this.socket.destroy();
  }

  private onClose(): void {
    this.stage = 'closed';
    for (const queue of this.state.queuesByRecipient.values()) if (queue.subscriber === this) queue.subscriber = undefined;
  }
}

function deliver(queue: Queue, state: ServerState): void {
  if (!state.queuesByRecipient.has(queue.recipientId.toString('hex'))) return;
  const message = queue.messages[0];
  if (!message || queue.delivered || !queue.subscriber?.open) return;
  queue.delivered = message.id;
  queue.subscriber.pushMessage(queue, message);
}

/**
 * Starts an SMP test relay on a free loopback port: TLS 1.2/1.3 with the relay's only cipher
 * suites (CHACHA20-POLY1305), EdDSA signatures, ALPN `smp/1`, a CA + leaf chain (Ed25519 or
 * Ed448), and the handshake and commands a probe uses. `address` is ready for the SMP check.
 */
export async function startSmpTestServer(options: SmpTestServerOptions = {}): Promise<SmpTestServer> {
  const host = options.host ?? '127.0.0.1';
  const identity = options.identity ?? (await generateSimplexIdentity({ keyType: options.keyType ?? 'ed25519' }));
  const state: ServerState = {
    options,
    identity,
    versions: options.versions ?? { min: 6, max: 18 },
    queuesByRecipient: new Map(),
    queuesBySender: new Map(),
    hellos: [],
    commands: [],
  };
  const tracker = new ConnectionTracker();
  const server = createRelayTlsServer({
    identity,
    alpn: 'smp/1',
    tracker,
    onSecureConnection: (socket) => new SmpServerConnection(socket, state),
  });
  const port = await listen(server, host);
  const address = await relayAddress({ scheme: 'smp', identity, host, port, password: options.password, misbehaviour: options.misbehaviour });
  return withCounters(
    {
      host,
      port,
      identity,
      address,
      hellos: state.hellos as readonly SmpClientHelloRecord[],
      commands: state.commands as readonly string[],
      close: closer(server, tracker),
    },
    tracker,
    { queueCount: () => state.queuesByRecipient.size },
  );
}
