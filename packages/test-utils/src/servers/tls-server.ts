import type { Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { type GeneratedCertificate, generateCertificate } from './certificates.js';
import { ConnectionTracker, type LoopbackHost, closer, hostPort, withCounters, listen } from './connections.js';
import type { LocalServer } from './tcp-server.js';

export type TlsServerVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface TlsServerOptions {
  readonly host?: LoopbackHost;
  /** The server's certificate (its chain is sent); default a fresh EC certificate for localhost. */
  readonly certificate?: GeneratedCertificate;
  /** ALPN protocols the server accepts; a client offering none of them fails the handshake. */
  readonly alpn?: readonly string[];
  readonly minVersion?: TlsServerVersion;
  readonly maxVersion?: TlsServerVersion;
  /** Ask for a client certificate (mutual TLS), verified against `ca` when `rejectUnauthorized`. */
  readonly requestCert?: boolean;
  readonly rejectUnauthorized?: boolean;
  readonly ca?: string | readonly string[];
  /** Handles each secure connection; when set, `banner` and `echo` are ignored. */
  readonly onSecureConnection?: (socket: TLSSocket) => void;
  readonly banner?: string | Buffer;
  readonly echo?: boolean;
}

/** What the server saw of one completed handshake. */
export interface TlsHandshakeRecord {
  /** The SNI the client sent, or false when it sent none. */
  readonly servername: string | false;
  readonly alpnProtocol: string | false;
  readonly protocol: string | null;
  /** Whether the client presented a certificate the server verified. */
  readonly clientAuthorized: boolean;
}

export interface TlsServer extends LocalServer {
  /** `tls://host:port`. */
  readonly url: string;
  readonly certificate: GeneratedCertificate;
  readonly handshakes: readonly TlsHandshakeRecord[];
  /** Handshakes that failed (wrong version, no common ALPN, client gave up...). */
  readonly handshakeFailures: number;
}

/** Starts a TLS server on a free loopback port and records each handshake (SNI, ALPN, version). */
export async function startTlsServer(options: TlsServerOptions = {}): Promise<TlsServer> {
  const host = options.host ?? '127.0.0.1';
  const certificate = options.certificate ?? (await generateCertificate());
  const tracker = new ConnectionTracker();
  const handshakes: TlsHandshakeRecord[] = [];
  let handshakeFailures = 0;
  const serverOptions: tls.TlsOptions = {
    cert: certificate.chainPem,
    key: certificate.privateKeyPem,
    requestCert: options.requestCert ?? false,
    rejectUnauthorized: options.rejectUnauthorized ?? false,
  };
  if (options.alpn) serverOptions.ALPNProtocols = [...options.alpn];
  if (options.minVersion) serverOptions.minVersion = options.minVersion;
  if (options.maxVersion) serverOptions.maxVersion = options.maxVersion;
  if (options.ca !== undefined) serverOptions.ca = typeof options.ca === 'string' ? options.ca : [...options.ca];
  const server = tls.createServer(serverOptions, (socket) => {
    const servername = (socket as TLSSocket & { servername?: string | false }).servername ?? false;
    handshakes.push({ servername, alpnProtocol: socket.alpnProtocol ?? false, protocol: socket.getProtocol(), clientAuthorized: socket.authorized });
    socket.on('error', () => {});
    if (options.onSecureConnection) {
      options.onSecureConnection(socket);
      return;
    }
    if (options.banner !== undefined) socket.write(options.banner);
    if (options.echo) socket.on('data', (chunk: Buffer) => socket.write(chunk));
  });
  server.on('connection', (socket: Socket) => tracker.track(socket));
  server.on('tlsClientError', () => {
    handshakeFailures += 1;
  });
  const port = await listen(server, host);
  const handle = { host, port, url: `tls://${hostPort(host, port)}`, certificate, handshakes, close: closer(server, tracker) };
  return withCounters(handle, tracker, { handshakeFailures: () => handshakeFailures });
}
