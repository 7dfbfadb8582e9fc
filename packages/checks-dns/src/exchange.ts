import dgram from 'node:dgram';
import net from 'node:net';
import type { Clock } from '@vigil/core';
import { type DnsMessage, DnsProtocolError, parseMessage, sameName } from './wire.js';

/** A DNS server address: an IP literal and a port. */
export interface DnsServerAddress {
  readonly address: string;
  readonly port: number;
}

export interface DnsExchangeOptions {
  readonly server: DnsServerAddress;
  readonly query: Buffer;
  readonly id: number;
  /** The question asked, to check the reply answers it. */
  readonly name: string;
  readonly type: number;
  readonly signal: AbortSignal;
  readonly clock: Clock;
  /** The largest message to accept over TCP (a reply announcing more is a protocol error). */
  readonly maximumTcpBytes?: number;
}

export type DnsExchangeOutcome =
  | { readonly kind: 'response'; readonly message: DnsMessage; readonly elapsedMs: number; readonly bytes: number; readonly ignoredReplies: number }
  | { readonly kind: 'invalid'; readonly error: DnsProtocolError; readonly elapsedMs: number; readonly ignoredReplies: number }
  | { readonly kind: 'failed'; readonly error: unknown; readonly elapsedMs: number; readonly ignoredReplies: number };

/** Checks that a parsed message is the response to our question (RFC 5452 section 9.1 matching, beyond the id). */
function validateResponse(message: DnsMessage, options: DnsExchangeOptions): void {
  if (!message.flags.response) throw new DnsProtocolError('the reply is a query, not a response (QR bit clear)');
  if (message.flags.opcode !== 0) throw new DnsProtocolError(`the reply has opcode ${message.flags.opcode}, not QUERY`);
  // Some servers leave the question out of FORMERR/NOTIMP replies; a successful answer must repeat it.
  if (message.questions.length === 0 && message.rcode !== 0) return;
  const question = message.questions[0];
  if (message.questions.length !== 1 || !question || !sameName(question.name, options.name) || question.type !== options.type) {
    const seen = question ? `${question.name} type ${question.type}` : 'no question';
    throw new DnsProtocolError(`the reply answers a different question (${seen})`);
  }
}

/** Parses and validates a reply whose id matched; returns the outcome. */
function interpret(bytes: Buffer, options: DnsExchangeOptions, elapsedMs: number, ignoredReplies: number): DnsExchangeOutcome {
  try {
    const message = parseMessage(bytes);
    validateResponse(message, options);
    return { kind: 'response', message, elapsedMs, bytes: bytes.length, ignoredReplies };
  } catch (error) {
    if (error instanceof DnsProtocolError) return { kind: 'invalid', error, elapsedMs, ignoredReplies };
    // The parser throws only DnsProtocolError; anything else is a bug, reported the same way rather than thrown.
    return { kind: 'invalid', error: new DnsProtocolError(`unparsable reply: ${String(error)}`), elapsedMs, ignoredReplies };
  }
}

/**
 * One query over UDP on a connected socket (so a closed port surfaces as ECONNREFUSED and other
 * peers' datagrams are dropped by the kernel). Replies with another id are ignored and counted,
 * as resolvers do against spoofing; the first reply with our id decides.
 */
export function exchangeUdp(options: DnsExchangeOptions): Promise<DnsExchangeOutcome> {
  return new Promise<DnsExchangeOutcome>((resolve) => {
    const { clock, signal } = options;
    const socket = dgram.createSocket(net.isIPv6(options.server.address) ? 'udp6' : 'udp4');
    let sentAt = clock.monotonicNow();
    let ignoredReplies = 0;
    let settled = false;
    const finish = (outcome: DnsExchangeOutcome): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('message');
      socket.on('error', () => {});
      try {
        socket.close();
      } catch {
        // Already closed.
      }
      resolve(outcome);
    };
    const elapsed = (): number => clock.monotonicNow() - sentAt;
    const onAbort = (): void => finish({ kind: 'failed', error: signal.reason, elapsedMs: elapsed(), ignoredReplies });
    socket.on('error', (error) => finish({ kind: 'failed', error, elapsedMs: elapsed(), ignoredReplies }));
    socket.on('message', (bytes: Buffer) => {
      const elapsedMs = elapsed();
      if (bytes.length < 2 || bytes.readUInt16BE(0) !== options.id) {
        ignoredReplies += 1;
        return;
      }
      finish(interpret(bytes, options, elapsedMs, ignoredReplies));
    });
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    socket.connect(options.server.port, options.server.address, () => {
      if (settled) return;
      sentAt = clock.monotonicNow();
      socket.send(options.query, (error) => {
        if (error) finish({ kind: 'failed', error, elapsedMs: elapsed(), ignoredReplies });
      });
    });
  });
}

/** One query over TCP (RFC 7766): a two-byte length prefix each way. The time includes the TCP handshake. */
export function exchangeTcp(options: DnsExchangeOptions): Promise<DnsExchangeOutcome> {
  return new Promise<DnsExchangeOutcome>((resolve) => {
    const { clock, signal } = options;
    const maximumBytes = options.maximumTcpBytes ?? 65_535;
    const startedAt = clock.monotonicNow();
    const chunks: Buffer[] = [];
    let received = 0;
    let expected = -1;
    let settled = false;
    const socket = net.connect({ host: options.server.address, port: options.server.port, noDelay: true });
    const elapsed = (): number => clock.monotonicNow() - startedAt;
    const finish = (outcome: DnsExchangeOutcome): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('data');
      socket.on('error', () => {});
      socket.destroy();
      resolve(outcome);
    };
    const onAbort = (): void => finish({ kind: 'failed', error: signal.reason, elapsedMs: elapsed(), ignoredReplies: 0 });
    socket.on('error', (error) => finish({ kind: 'failed', error, elapsedMs: elapsed(), ignoredReplies: 0 }));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      const all = chunks.length === 1 ? chunk : Buffer.concat(chunks);
      if (chunks.length > 1) chunks.splice(0, chunks.length, all);
      if (expected < 0 && received >= 2) {
        expected = all.readUInt16BE(0);
        if (expected < 12 || expected > maximumBytes) {
          finish({ kind: 'invalid', error: new DnsProtocolError(`the TCP reply announces ${expected} bytes`), elapsedMs: elapsed(), ignoredReplies: 0 });
          return;
        }
      }
      if (expected >= 0 && received >= 2 + expected) {
        const bytes = all.subarray(2, 2 + expected);
        if (bytes.readUInt16BE(0) !== options.id) {
          finish({ kind: 'invalid', error: new DnsProtocolError(`the TCP reply has id ${bytes.readUInt16BE(0)}, the query had ${options.id}`), elapsedMs: elapsed(), ignoredReplies: 0 });
          return;
        }
        finish(interpret(bytes, options, elapsed(), 0));
      }
    });
    socket.on('end', () => {
      const announced = expected >= 0 ? ` of ${expected}` : '';
      finish({ kind: 'invalid', error: new DnsProtocolError(`the server closed the TCP connection after ${Math.max(0, received - 2)}${announced} bytes`), elapsedMs: elapsed(), ignoredReplies: 0 });
    });
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16BE(options.query.length, 0);
    socket.write(Buffer.concat([prefix, options.query]));
  });
}
