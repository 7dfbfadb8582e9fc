import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { type GeneratedCertificate, generateCertificate } from './certificates.js';
import { ConnectionTracker, type LoopbackHost, closer, hostPort, withCounters, listen } from './connections.js';
import type { LocalServer } from './tcp-server.js';

export type HttpHandler = (request: IncomingMessage, response: ServerResponse) => unknown;

export interface HttpServerOptions {
  readonly host?: LoopbackHost;
}

export interface HttpsServerOptions extends HttpServerOptions {
  /** Default a fresh EC certificate for localhost. */
  readonly certificate?: GeneratedCertificate;
  readonly alpn?: readonly string[];
}

export interface HttpServer extends LocalServer {
  /** `http://host:port` (or `https://`), no trailing slash. */
  readonly url: string;
  /** Requests received so far. */
  readonly requests: number;
}

export interface HttpsServer extends HttpServer {
  readonly certificate: GeneratedCertificate;
}

function wrapHandler(handler: HttpHandler, count: () => void): http.RequestListener {
  return (request, response) => {
    count();
    Promise.resolve()
      .then(() => handler(request, response))
      .catch((error: unknown) => {
        // A failing handler answers 500 rather than leaving the client hanging.
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(`[test-utils] handler failed: ${error instanceof Error ? error.message : String(error)}`);
      });
  };
}

function handle(server: http.Server, host: LoopbackHost, port: number, scheme: string, tracker: ConnectionTracker, requests: () => number): HttpServer {
  return withCounters({ host, port, url: `${scheme}://${hostPort(host, port)}`, close: closer(server, tracker) }, tracker, { requests });
}

/** Starts an HTTP server on a free loopback port with `handler`. */
export async function startHttpServer(handler: HttpHandler, options: HttpServerOptions = {}): Promise<HttpServer> {
  const host = options.host ?? '127.0.0.1';
  const tracker = new ConnectionTracker();
  let requests = 0;
  const server = http.createServer(wrapHandler(handler, () => (requests += 1)));
  server.on('connection', (socket: Socket) => tracker.track(socket));
  const port = await listen(server, host);
  return handle(server, host, port, 'http', tracker, () => requests);
}

/** Starts an HTTPS server on a free loopback port with `handler`. */
export async function startHttpsServer(handler: HttpHandler, options: HttpsServerOptions = {}): Promise<HttpsServer> {
  const host = options.host ?? '127.0.0.1';
  const certificate = options.certificate ?? (await generateCertificate());
  const tracker = new ConnectionTracker();
  let requests = 0;
  const serverOptions: https.ServerOptions = { cert: certificate.chainPem, key: certificate.privateKeyPem };
  if (options.alpn) serverOptions.ALPNProtocols = [...options.alpn];
  const server = https.createServer(serverOptions, wrapHandler(handler, () => (requests += 1)));
  server.on('connection', (socket: Socket) => tracker.track(socket));
  const port = await listen(server, host);
  return Object.assign(handle(server, host, port, 'https', tracker, () => requests), { certificate });
}
