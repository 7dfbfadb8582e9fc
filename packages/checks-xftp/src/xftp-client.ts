import http2, { type ClientHttp2Session } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { KeyObject } from 'node:crypto';
import type { CheckContext, DialTimings } from '@vigil/core';
import {
  BLOCK_SIZE,
  type IdentityCache,
  ProbeFailure,
  type SimplexSessionFacts,
  type SimplexTransportPlan,
  type VersionRange,
  type XftpResponse,
  abortFailure,
  decodeBatch,
  decodeXftpServerHello,
  decodeXftpTransmission,
  dialSimplex,
  encodeBatch,
  encodeXftpClientHello,
  encodeXftpTransmission,
  identityFailure,
  negotiateHelloVersion,
  pad,
  parseServerHello,
  parseXftpResponse,
  tlsConnectionFacts,
  unpad,
  verifyServerIdentity,
  verifyTlsIdentity,
} from '@vigil/simplex-protocol';

/** A reply: the response command and any bytes after the 16384-byte block (FGET's file). */
export interface XftpReply {
  readonly response: XftpResponse;
  readonly extra: Buffer;
}

const maxResponseBytes = BLOCK_SIZE + 4_194_304 + 16;

/**
 * One XFTP session (doc §4.3): TLS with ALPN `xftp/1` and no SNI, HTTP/2 on that socket (built
 * here, because `http2.connect` would send SNI), the hello and client handshake as two POSTs,
 * then one POST per command. Failures are ProbeFailures naming the step.
 */
export class XftpClient {
  private sessionId: Buffer = Buffer.alloc(0);
  facts: SimplexSessionFacts | undefined;

  private constructor(
    private readonly socket: TLSSocket,
    private readonly session: ClientHttp2Session,
    private readonly context: CheckContext,
    private readonly plan: SimplexTransportPlan,
  ) {}

  static async connect(context: CheckContext, plan: SimplexTransportPlan, versions: VersionRange, identityCache?: IdentityCache): Promise<XftpClient> {
    const dialed = await dialSimplex(context, plan, 'xftp/1');
    const { socket } = dialed;
    const authority = `https://${plan.host.includes(':') ? `[${plan.host}]` : plan.host}:${plan.port}`;
    let session: ClientHttp2Session;
    try {
      session = http2.connect(authority, { createConnection: () => socket });
    } catch (error) {
      socket.destroy();
      throw new ProbeFailure('probe_error', 'http2', `http2: cannot start HTTP/2 on the TLS connection (${(error as Error).message})`);
    }
    session.on('error', () => {});
    const client = new XftpClient(socket, session, context, plan);
    try {
      await client.handshake(versions, dialed.timings, dialed.remoteAddress, identityCache);
      return client;
    } catch (error) {
      client.close();
      throw error;
    }
  }

  /** One POST; resolves with the whole response body. */
  private post(step: string, body: Buffer, timeoutMs: number): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const { context } = this;
      let settled = false;
      const chunks: Buffer[] = [];
      let received = 0;
      const finish = (error: ProbeFailure | undefined, value?: Buffer): void => {
        if (settled) return;
        settled = true;
        context.clock.clearTimeout(timer);
        context.signal.removeEventListener('abort', onAbort);
        if (error) {
          request?.close(http2.constants.NGHTTP2_CANCEL);
          reject(error);
        } else resolve(value as Buffer);
      };
      const onAbort = (): void => finish(abortFailure(context.signal, step));
      const timer = context.clock.setTimeout(() => finish(new ProbeFailure('unresponsive', step, `${step}: no answer within ${timeoutMs} ms`)), timeoutMs);
      if (context.signal.aborted) {
        onAbort();
        return;
      }
      context.signal.addEventListener('abort', onAbort);
      let request: http2.ClientHttp2Stream | undefined;
      try {
        request = this.session.request({ ':method': 'POST', ':path': '/' });
      } catch (error) {
        finish(new ProbeFailure('probe_error', step, `${step}: the HTTP/2 session is gone (${(error as Error).message})`));
        return;
      }
      request.on('response', (headers) => {
        const status = Number(headers[':status']);
        if (status !== 200) finish(new ProbeFailure('probe_error', step, `${step}: HTTP status ${status}`, { httpStatus: status }));
      });
      request.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > maxResponseBytes) finish(new ProbeFailure('probe_error', step, `${step}: the response exceeds ${maxResponseBytes} bytes`));
        else chunks.push(chunk);
      });
      request.on('end', () => finish(undefined, Buffer.concat(chunks)));
      request.on('error', (error: Error) => finish(new ProbeFailure('probe_error', step, `${step}: the request failed (${error.message})`)));
      request.on('close', () => finish(new ProbeFailure('probe_error', step, `${step}: the server closed the stream without a response`)));
      request.end(body);
    });
  }

  private async handshake(versions: VersionRange, timings: DialTimings, remoteAddress: string | undefined, identityCache: IdentityCache | undefined): Promise<void> {
    const cache = identityCache ? { cache: identityCache } : {};
    const { socket, context, plan } = this;
    const started = context.clock.monotonicNow();
    const helloBody = await this.post('hello', Buffer.alloc(0), plan.protocolTimeoutMs);
    if (helloBody.length !== BLOCK_SIZE) throw new ProbeFailure('probe_error', 'hello', `hello: expected a ${BLOCK_SIZE}-byte hello block, got ${helloBody.length} bytes`);
    const hello = parseServerHello(helloBody, decodeXftpServerHello);
    const now = context.clock.now();
    // XFTP's client requires exactly two certificates (doc §1.2).
    const { tlsLeaf } = verifyTlsIdentity({ socket, keyHash: plan.address.keyHash, allowedChainLengths: [2], now, identityCache });
    const tlsUnique = socket.getFinished();
    if (!tlsUnique || !tlsUnique.equals(hello.sessionId)) {
      throw new ProbeFailure('session_mismatch', 'hello', "hello: the session id is not this TLS session's tls-unique (a TLS-terminating middlebox?)");
    }
    const helloIdentity = verifyServerIdentity({
      certificates: hello.certificates ?? [],
      keyHash: plan.address.keyHash,
      tlsLeaf,
      signedKey: hello.signedKey,
      allowedChainLengths: [2],
      now,
      ...cache,
    });
    if (!helloIdentity.ok) throw identityFailure(helloIdentity.problem, 'hello identity');
    const version = negotiateHelloVersion('XFTP', hello.versions, versions);
    this.sessionId = hello.sessionId;
    const answer = await this.post('handshake', pad(encodeXftpClientHello({ version, keyHash: plan.address.keyHash }), BLOCK_SIZE), plan.protocolTimeoutMs);
    if (answer.length !== 0) {
      let word = 'an unexpected reply';
      try {
        word = unpad(answer).toString('latin1').slice(0, 40);
      } catch {
        // Not even padded: keep the generic description.
      }
      throw new ProbeFailure('probe_error', 'handshake', `handshake: the server refused our handshake (${JSON.stringify(word)})`, { serverError: word });
    }
    this.facts = {
      version,
      serverVersions: hello.versions,
      identity: helloIdentity.identity,
      ...tlsConnectionFacts(socket),
      timings,
      handshakeMs: context.clock.monotonicNow() - started,
      remoteAddress,
    };
  }

  /** Sends one command (block + optional file bytes) and parses the reply block. */
  async command(step: string, entityId: Buffer, command: Buffer, options: { signer?: KeyObject; extra?: Buffer; transferBytes?: number } = {}): Promise<XftpReply> {
    const transmission = encodeXftpTransmission({ sessionId: this.sessionId, corrId: Buffer.alloc(0), entityId, command, ...(options.signer ? { signer: options.signer } : {}) });
    const block = pad(encodeBatch([transmission]), BLOCK_SIZE);
    const body = options.extra ? Buffer.concat([block, options.extra]) : block;
    // The clients' per-KB allowance for file transfers (doc §6.2).
    const timeoutMs = this.plan.protocolTimeoutMs + Math.ceil(((options.transferBytes ?? 0) / 1_024) * this.plan.timeoutPerKbMs);
    const answer = await this.post(step, body, timeoutMs);
    if (answer.length < BLOCK_SIZE) {
      let word = '';
      try {
        word = unpad(answer).toString('latin1').slice(0, 40);
      } catch {
        // Keep the length-only message.
      }
      throw new ProbeFailure('probe_error', step, `${step}: expected a ${BLOCK_SIZE}-byte reply block, got ${answer.length} bytes${word ? ` (${JSON.stringify(word)})` : ''}`);
    }
    try {
      const [bytes] = decodeBatch(unpad(answer.subarray(0, BLOCK_SIZE)));
      const reply = decodeXftpTransmission(bytes as Buffer);
      if (!reply.sessionId?.equals(this.sessionId)) throw new ProbeFailure('session_mismatch', step, `${step}: the reply carries another session id`);
      return { response: parseXftpResponse(reply.command), extra: answer.subarray(BLOCK_SIZE) };
    } catch (error) {
      if (error instanceof ProbeFailure) throw error;
      throw new ProbeFailure('probe_error', step, `${step}: unreadable reply block (${(error as Error).message.replace(/^\[[a-z-]+\] /, '')})`);
    }
  }

  close(): void {
    this.session.close();
    const timer = setTimeout(() => this.socket.destroy(), 1_000);
    timer.unref();
    this.session.once('close', () => {
      clearTimeout(timer);
      this.socket.destroy();
    });
  }
}
