import { type KeyObject, randomBytes } from 'node:crypto';
import tls, { type TLSSocket } from 'node:tls';
import { BLOCK_SIZE, ByteReader, type SimplexScheme, type VersionRange, encodePublicKey, pad, verifySignature } from '@vigil/simplex-protocol';
import { type ConnectionTracker, type LoopbackHost, hostPort } from '../servers/connections.js';
import { type SimplexTestIdentity, encodeForgedServerKey, encodeServerHello, encodeSignedServerKey, generateSimplexIdentity } from './identity.js';

// What the SMP and XFTP test relays share, written from shared/docs/simplex-protocol.md: the
// relays' TLS parameters (§2.1-2.3), the server hello with its identity misbehaviours (§3.2,
// §4.3), the address a probe is given (§1), and how a command is split and its signature checked.

/** What `createRelayTlsServer` needs. */
export interface RelayTlsServerOptions {
  readonly identity: SimplexTestIdentity;
  /** The protocol's ALPN (`smp/1`, `xftp/1`), offered before `h2` and `http/1.1` as the relays do. */
  readonly alpn: string;
  readonly tracker: ConnectionTracker;
  /** Takes each connection once TLS is established. */
  onSecureConnection(socket: TLSSocket): void;
}

/**
 * A TLS server as the relays run it: TLS 1.2/1.3 with their only cipher suites
 * (CHACHA20-POLY1305), EdDSA signatures and the protocol's ALPN, serving the identity's chain.
 */
export function createRelayTlsServer(options: RelayTlsServerOptions): tls.Server {
  const { identity } = options;
  const server = tls.createServer({
    key: identity.leaf.privateKeyPem,
    cert: identity.leaf.chainPem,
    ALPNProtocols: [options.alpn, 'h2', 'http/1.1'],
    // The relay's defaultSupportedParams (doc §2.1).
    ciphers: 'TLS_CHACHA20_POLY1305_SHA256:ECDHE-ECDSA-CHACHA20-POLY1305',
    sigalgs: 'ed25519:ed448',
    minVersion: 'TLSv1.2',
  });
  // Track the TCP sockets, so close() also ends connections stuck in the TLS handshake.
  server.on('connection', (socket) => options.tracker.track(socket));
  server.on('secureConnection', (socket: TLSSocket) => {
    socket.on('error', () => {});
    // Blocks are whole messages: send each at once rather than waiting on Nagle.
    socket.setNoDelay(true);
    options.onSecureConnection(socket);
  });
  // Failed handshakes (a probe that gives up) are not server failures.
  server.on('tlsClientError', () => {});
  return server;
}

/** What `encodeRelayHello` puts in the hello. */
export interface RelayHelloOptions {
  /** The hello layout: SMP (doc §3.2) or XFTP (§4.3). */
  readonly scheme: SimplexScheme;
  readonly identity: SimplexTestIdentity;
  readonly versions: VersionRange;
  /** The connection's tls-unique. */
  readonly sessionId: Buffer;
  /** The server's X25519 key, which the hello carries signed by the TLS leaf's key. */
  readonly serverKey: KeyObject;
  /** The server's misbehaviour: `forged-key-signature` and `session-mismatch` change the hello. */
  readonly misbehaviour: string | undefined;
}

/** The padded server hello block: versions, session id, the CA + leaf chain and the signed X25519 key. */
export function encodeRelayHello(options: RelayHelloOptions): Buffer {
  const { identity, misbehaviour } = options;
  const keyDer = encodePublicKey(options.serverKey);
  const signedKey = misbehaviour === 'forged-key-signature' ? encodeForgedServerKey(keyDer) : encodeSignedServerKey(keyDer, identity.leaf.privateKey, identity.keyType);
  return pad(
    encodeServerHello({
      min: options.versions.min,
      max: options.versions.max,
      sessionId: misbehaviour === 'session-mismatch' ? randomBytes(options.sessionId.length) : options.sessionId,
      certificates: [identity.leaf.certificateDer, identity.certificateAuthority.certificateDer],
      signedKey,
      xftp: options.scheme === 'xftp',
    }),
    BLOCK_SIZE,
  );
}

/** What `relayAddress` needs. */
export interface RelayAddressOptions {
  readonly scheme: SimplexScheme;
  readonly identity: SimplexTestIdentity;
  readonly host: LoopbackHost;
  readonly port: number;
  readonly password: string | undefined;
  /** The server's misbehaviour: `wrong-identity` puts another identity's key hash in the address. */
  readonly misbehaviour: string | undefined;
}

/** The address a probe is given: `<scheme>://<keyHash>[:password]@host:port`. */
export async function relayAddress(options: RelayAddressOptions): Promise<string> {
  const { identity } = options;
  const keyHashText = options.misbehaviour === 'wrong-identity' ? (await generateSimplexIdentity({ keyType: identity.keyType })).keyHashText : identity.keyHashText;
  const credentials = options.password === undefined ? '' : `:${options.password}`;
  return `${options.scheme}://${keyHashText}${credentials}@${hostPort(options.host, options.port)}`;
}

/** A command split at its first space: the tag (unchecked, so unknown ones can be refused) and a reader over the arguments. */
export function splitCommand(command: Buffer): { readonly tag: string; readonly args: ByteReader } {
  const space = command.indexOf(0x20);
  const tag = (space < 0 ? command : command.subarray(0, space)).toString('latin1');
  return { tag, args: new ByteReader(space < 0 ? Buffer.alloc(0) : command.subarray(space + 1)) };
}

/** Tells whether a transmission is signed by a key; an unsigned transmission is signed by none. */
export function signatureVerifier(authorization: Buffer, signedBytes: Buffer): (key: KeyObject | undefined) => boolean {
  return (key) => key !== undefined && authorization.length > 0 && verifySignature(key, signedBytes, authorization);
}
