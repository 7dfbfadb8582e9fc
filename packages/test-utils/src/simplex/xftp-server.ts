import { randomBytes } from 'node:crypto';
import http2, { type ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { KeyObject } from 'node:crypto';
import {
  BLOCK_SIZE,
  ByteReader,
  type VersionRange,
  ascii,
  cryptoBox,
  decodeBatch,
  decodePublicKey,
  decodeXftpTransmission,
  encodeBatch,
  encodePublicKey,
  encodeXftpTransmission,
  generateX25519KeyPair,
  pad,
  sha256,
  shortString,
  unpad,
  x25519,
  xftpChunkSizes,
} from '@vigil/simplex-protocol';
import { ConnectionTracker, type LoopbackHost, closer, listen, withCounters } from '../servers/connections.js';
import { type SimplexTestIdentity, generateSimplexIdentity } from './identity.js';
import { createRelayTlsServer, encodeRelayHello, relayAddress, signatureVerifier, splitCommand } from './relay.js';

// An XFTP relay for tests, written from shared/docs/simplex-protocol.md: TLS with ALPN
// `xftp/1` and no SNI (§2.2, §2.3), HTTP/2 with one POST per step and the handshake keyed by the
// connection's tls-unique (§4.3), transmissions with the session id on the wire (§4.3), and
// FNEW/FPUT/FGET/FDEL/PING (§5.3) with real signatures and crypto_box.

/** Ways the XFTP server can misbehave. */
export type XftpMisbehaviour =
  /** The hello carries another identity's chain than the address's keyHash: `identity_mismatch`. */
  | 'wrong-identity'
  /** The hello's X25519 key is signed by an unrelated key: `identity_mismatch`. */
  | 'forged-key-signature'
  /** The hello's session id is not the TLS session's tls-unique: `session_mismatch`. */
  | 'session-mismatch'
  /** Never answers the hello request. */
  | 'silent'
  /** Answers the hello request with random bytes. */
  | 'garbage-hello'
  /** Answers the client handshake with the bare error `HANDSHAKE`. */
  | 'reject-handshake'
  /** Completes the handshake, then never answers a command. */
  | 'never-answer'
  /** Answers commands with a block of random bytes. */
  | 'garbage-block'
  /** Answers commands with half a block. */
  | 'truncated-block'
  /** FGET serves other bytes than were uploaded (well encrypted): the digest differs, `integrity_error`. */
  | 'corrupt-file';

export interface XftpTestServerOptions {
  readonly host?: LoopbackHost;
  readonly identity?: SimplexTestIdentity;
  readonly keyType?: 'ed25519' | 'ed448';
  /** Versions offered; default 1-3 (doc §4.3). */
  readonly versions?: VersionRange;
  /** FNEW without it is answered `ERR AUTH`. */
  readonly password?: string;
  /** Answer every FNEW with `ERR <error>`, e.g. `QUOTA`. */
  readonly newFileError?: string;
  readonly misbehaviour?: XftpMisbehaviour;
}

export interface XftpTestServer {
  readonly host: LoopbackHost;
  readonly port: number;
  readonly identity: SimplexTestIdentity;
  /** `xftp://<keyHash>[:password]@host:port`. */
  readonly address: string;
  /** Command tags received, in order. */
  readonly commands: readonly string[];
  /** ALPN and SNI each TLS client offered (SNI false when none). */
  readonly clients: readonly { readonly alpn: string | null; readonly servername: string | false }[];
  /** Files stored now. */
  readonly fileCount: number;
  readonly connectionsAccepted: number;
  readonly connectionsOpen: number;
  readonly connectionsClosed: number;
  close(): Promise<void>;
}

interface StoredFile {
  readonly senderId: Buffer;
  readonly recipientId: Buffer;
  readonly senderKey: KeyObject;
  readonly recipientKey: KeyObject;
  readonly size: number;
  readonly digest: Buffer;
  data: Buffer | undefined;
}

/** Per-TLS-connection handshake state, keyed by the connection (doc §4.3: by sessionId). */
interface Session {
  readonly sessionId: Buffer;
  stage: 'hello' | 'client-hello' | 'ready';
  version: number;
}

const sessionKey = Symbol('vigil.xftpSession');
type SessionSocket = TLSSocket & { [sessionKey]?: Session };

interface State {
  readonly options: XftpTestServerOptions;
  readonly identity: SimplexTestIdentity;
  readonly versions: VersionRange;
  readonly filesBySender: Map<string, StoredFile>;
  readonly filesByRecipient: Map<string, StoredFile>;
  readonly commands: string[];
}

function readBody(stream: ServerHttp2Stream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

function respond(stream: ServerHttp2Stream, body: Buffer): void {
  if (stream.destroyed || stream.closed) return;
  stream.respond({ ':status': 200 });
  stream.end(body);
}

function handleHello(stream: ServerHttp2Stream, session: Session, state: State): void {
  const { identity, options } = state;
  if (options.misbehaviour === 'silent') return;
  if (options.misbehaviour === 'garbage-hello') {
    respond(stream, randomBytes(BLOCK_SIZE));
    return;
  }
  const hello = encodeRelayHello({
    scheme: 'xftp',
    identity,
    versions: state.versions,
    sessionId: session.sessionId,
    serverKey: generateX25519KeyPair().publicKey,
    misbehaviour: options.misbehaviour,
  });
  session.stage = 'client-hello';
  respond(stream, hello);
}

function handleClientHello(stream: ServerHttp2Stream, body: Buffer, session: Session, state: State): void {
  // The client handshake is one padded block: w16 version ‖ sstr(keyHash) (doc §4.3).
  if (body.length !== BLOCK_SIZE || state.options.misbehaviour === 'reject-handshake') {
    respond(stream, pad(ascii('HANDSHAKE'), BLOCK_SIZE));
    return;
  }
  const reader = new ByteReader(unpad(body));
  const version = reader.word16('version');
  const keyHash = reader.shortString('keyHash');
  if (!Buffer.from(keyHash).equals(state.identity.keyHash) || version < state.versions.min || version > state.versions.max) {
    respond(stream, pad(ascii('HANDSHAKE'), BLOCK_SIZE));
    return;
  }
  session.version = version;
  session.stage = 'ready';
  respond(stream, Buffer.alloc(0));
}

function reply(session: Session, corrId: Buffer, entityId: Buffer, command: Buffer, extra?: Buffer): Buffer {
  const block = pad(encodeBatch([encodeXftpTransmission({ sessionId: session.sessionId, corrId, entityId, command })]), BLOCK_SIZE);
  return extra ? Buffer.concat([block, extra]) : block;
}

function handleCommand(body: Buffer, session: Session, state: State): Buffer {
  const { options, filesBySender, filesByRecipient } = state;
  if (body.length < BLOCK_SIZE) return reply(session, Buffer.alloc(0), Buffer.alloc(0), ascii('ERR BLOCK'));
  const [bytes] = decodeBatch(unpad(body.subarray(0, BLOCK_SIZE)));
  const transmission = decodeXftpTransmission(bytes as Buffer);
  const { corrId, entityId, command, authorization, signedBytes } = transmission;
  const answer = (text: string | Buffer, extra?: Buffer): Buffer => reply(session, corrId, entityId, typeof text === 'string' ? ascii(text) : text, extra);
  if (!transmission.sessionId?.equals(session.sessionId)) return answer('ERR SESSION');
  const { tag, args } = splitCommand(command);
  state.commands.push(tag);
  const verifiedBy = signatureVerifier(authorization, signedBytes);
  switch (tag) {
    case 'PING':
      return answer('PONG');
    case 'FNEW': {
      const senderKey = decodePublicKey(args.shortString('sender key'), 'ed25519', 'sender key');
      const size = args.word32('size');
      const digest = Buffer.from(args.shortString('digest'));
      const count = args.byte('recipient count');
      const recipientKeys: KeyObject[] = [];
      for (let index = 0; index < count; index += 1) recipientKeys.push(decodePublicKey(args.shortString('recipient key'), 'ed25519', 'recipient key'));
      const password = args.maybe('password', () => args.shortString('password').toString('latin1'));
      if (!verifiedBy(senderKey)) return answer('ERR AUTH');
      if (options.password !== undefined && password !== options.password) return answer('ERR AUTH');
      if (options.newFileError !== undefined) return answer(`ERR ${options.newFileError}`);
      if (!xftpChunkSizes.includes(size)) return answer('ERR SIZE');
      const file: StoredFile = { senderId: randomBytes(24), recipientId: randomBytes(24), senderKey, recipientKey: recipientKeys[0] as KeyObject, size, digest, data: undefined };
      filesBySender.set(file.senderId.toString('hex'), file);
      filesByRecipient.set(file.recipientId.toString('hex'), file);
      return answer(Buffer.concat([ascii('SIDS '), shortString(file.senderId), Buffer.from([1]), shortString(file.recipientId)]));
    }
    case 'FPUT': {
      const file = filesBySender.get(entityId.toString('hex'));
      if (!file || !verifiedBy(file.senderKey)) return answer('ERR AUTH');
      const data = body.subarray(BLOCK_SIZE);
      if (data.length !== file.size) return answer('ERR SIZE');
      if (!sha256(data).equals(file.digest)) return answer('ERR DIGEST');
      file.data = Buffer.from(data);
      return answer('OK');
    }
    case 'FGET': {
      const file = filesByRecipient.get(entityId.toString('hex'));
      if (!file || !verifiedBy(file.recipientKey)) return answer('ERR AUTH');
      if (!file.data) return answer('ERR NO_FILE');
      const clientDh = decodePublicKey(args.shortString('FGET key'), 'x25519', 'FGET key');
      const serverDh = generateX25519KeyPair();
      const nonce = randomBytes(24);
      const content = options.misbehaviour === 'corrupt-file' ? randomBytes(file.data.length) : file.data;
      const boxed = cryptoBox(x25519(serverDh.privateKey, clientDh), nonce, content);
      // On the wire the tag follows the ciphertext (doc §5.3).
      const encrypted = Buffer.concat([boxed.subarray(16), boxed.subarray(0, 16)]);
      return answer(Buffer.concat([ascii('FILE '), shortString(encodePublicKey(serverDh.publicKey)), nonce]), encrypted);
    }
    case 'FDEL': {
      const file = filesBySender.get(entityId.toString('hex'));
      if (!file || !verifiedBy(file.senderKey)) return answer('ERR AUTH');
      filesBySender.delete(file.senderId.toString('hex'));
      filesByRecipient.delete(file.recipientId.toString('hex'));
      return answer('OK');
    }
    default:
      return answer('ERR CMD UNKNOWN');
  }
}

/**
 * Starts an XFTP test relay on a free loopback port: TLS (ALPN `xftp/1`, Ed25519 or Ed448 chain)
 * carrying HTTP/2, with the hello, the client handshake and FNEW/FPUT/FGET/FDEL/PING.
 */
export async function startXftpTestServer(options: XftpTestServerOptions = {}): Promise<XftpTestServer> {
  const host = options.host ?? '127.0.0.1';
  const identity = options.identity ?? (await generateSimplexIdentity({ keyType: options.keyType ?? 'ed25519' }));
  const state: State = {
    options,
    identity,
    versions: options.versions ?? { min: 1, max: 3 },
    filesBySender: new Map(),
    filesByRecipient: new Map(),
    commands: [],
  };
  const clients: { alpn: string | null; servername: string | false }[] = [];
  // node:http2's secure server insists on ALPN h2; XFTP negotiates xftp/1. So TLS is terminated
  // here with the relay's ALPN list, and the decrypted stream is handed to an HTTP/2 server.
  const h2 = http2.createServer();
  h2.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    const socket = stream.session?.socket as SessionSocket | undefined;
    const session = socket?.[sessionKey];
    if (!session || headers[':method'] !== 'POST') {
      stream.respond({ ':status': 404 });
      stream.end();
      return;
    }
    void readBody(stream).then(
      (body) => {
        try {
          if (session.stage === 'hello') handleHello(stream, session, state);
          else if (session.stage === 'client-hello') handleClientHello(stream, body, session, state);
          else if (options.misbehaviour !== 'never-answer') {
            if (body.length < BLOCK_SIZE || body.length === 0) respond(stream, pad(ascii('HANDSHAKE'), BLOCK_SIZE));
            else if (options.misbehaviour === 'garbage-block') respond(stream, randomBytes(BLOCK_SIZE));
            else if (options.misbehaviour === 'truncated-block') respond(stream, randomBytes(BLOCK_SIZE / 2));
            else respond(stream, handleCommand(body, session, state));
          }
        } catch {
          respond(stream, reply(session, Buffer.alloc(0), Buffer.alloc(0), ascii('ERR CMD SYNTAX')));
        }
      },
      () => {},
    );
  });
  const tracker = new ConnectionTracker();
  const server = createRelayTlsServer({
    identity,
    alpn: 'xftp/1',
    tracker,
    onSecureConnection: (socket: SessionSocket) => {
      clients.push({ alpn: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : null, servername: socket.servername ?? false });
      socket[sessionKey] = { sessionId: socket.getPeerFinished() ?? randomBytes(32), stage: 'hello', version: 0 };
      h2.emit('connection', socket);
    },
  });
  const port = await listen(server, host);
  const address = await relayAddress({ scheme: 'xftp', identity, host, port, password: options.password, misbehaviour: options.misbehaviour });
  const closeTls = closer(server, tracker);
  return withCounters(
    {
      host,
      port,
      identity,
      address,
      commands: state.commands as readonly string[],
      clients: clients as readonly { readonly alpn: string | null; readonly servername: string | false }[],
      close: async () => {
        await closeTls();
        await new Promise<void>((resolve) => h2.close(() => resolve()));
      },
    },
    tracker,
    { fileCount: () => state.filesBySender.size },
  );
}
