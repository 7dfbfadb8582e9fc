import type { Socket } from 'node:net';
import {
  type CertificateExpiryThresholds,
  type CertificateExpiryVerdict,
  type Check,
  type CheckContext,
  type CheckResult,
  type CheckStatus,
  type DialOptions,
  type DialResult,
  type KeepAliveOptions,
  type PluginDefinition,
  type PluginMeta,
  type ProxyOptions,
  type TlsDialOptions,
  classifyNetworkError,
  createResultFinisher,
  decodePayload,
  defaultCertificateExpiryThresholds,
  evaluateCertificateExpiry,
  formatHostPort,
  formatProxyUrl,
  parseRedactedOptions,
  proxyFromOptions,
  redactText,
  roundMs,
  splitTlsOptions,
  statelessPattern,
  tlsSessionDetails,
} from '@vigil/core';
import { type ParsedTcpCheckOptions, type TcpCheckOptions, tcpCheckOptionsSchema } from './options.js';

/** Who the TCP check is, for the plugin registry. */
export const tcpCheckMeta: PluginMeta = Object.freeze({ name: '@vigil/checks-tcp', kind: 'check', type: 'tcp', coreRange: '^0.1.0' });

const shownReplyLength = 120;

/** Everything a run needs, computed once by the factory. */
interface TcpCheckPlan {
  readonly host: string;
  readonly port: number;
  readonly tls: TlsDialOptions | undefined;
  readonly proxy: ProxyOptions | undefined;
  readonly onion: DialOptions['onion'];
  readonly family: DialOptions['family'];
  readonly keepAlive: KeepAliveOptions | undefined;
  readonly payload: Buffer | undefined;
  readonly expect: RegExp | undefined;
  readonly readLimitBytes: number;
  readonly replyIdleMs: number;
  readonly expiryThresholds: CertificateExpiryThresholds;
  /** The proxy as a redacted URL, for details. */
  readonly proxyLabel: string | undefined;
  /** The message of a healthy run, built once. */
  readonly upMessage: string;
}

/** What the server sent, cut to a readable length, for details. */
function truncate(reply: string): string {
  return reply.length > shownReplyLength ? `${reply.slice(0, shownReplyLength)}...` : reply;
}

/** A short, quoted, printable excerpt of what the server sent, for messages. */
function excerpt(reply: string): string {
  const quoted = JSON.stringify(truncate(reply));
  return reply.length > shownReplyLength ? `${quoted} (${reply.length} chars)` : quoted;
}

const ignoreError = (): void => {};

/**
 * Closes the socket. A TLS socket that did well is ended first, so the last handshake flight and
 * close_notify are flushed and servers do not log every probe as a failed handshake; plain TCP
 * and failed or timed-out connections are destroyed at once (a plain close still sends FIN).
 */
function close(socket: Socket, graceful: boolean): void {
  if (!graceful || socket.destroyed || !('encrypted' in socket)) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end();
}

/** Drops the `[core] ` package prefix: a result message speaks for the check. */
function resultMessage(message: string): string {
  return redactText(message.replace(/^\[[a-z-]+\] /, ''));
}

function buildPlan(options: ParsedTcpCheckOptions): TcpCheckPlan {
  let tls: TlsDialOptions | undefined;
  let expiryThresholds: CertificateExpiryThresholds = defaultCertificateExpiryThresholds;
  if (options.tls === true) {
    tls = Object.freeze({ verify: true });
  } else if (typeof options.tls === 'object') {
    ({ dialOptions: tls, thresholds: expiryThresholds } = splitTlsOptions(options.tls));
  }
  const proxy = proxyFromOptions(options);
  let keepAlive: KeepAliveOptions | undefined;
  if (options.keepAlive === true) keepAlive = Object.freeze({});
  else if (typeof options.keepAlive === 'object') keepAlive = Object.freeze({ idleMs: options.keepAlive.idleMs });

  const payload = decodePayload(options);
  const target = formatHostPort(options.host, options.port);
  const via = proxy ? ` via ${formatProxyUrl(proxy)}` : '';
  return Object.freeze({
    host: options.host,
    port: options.port,
    tls,
    proxy,
    onion: options.onion,
    family: options.family,
    keepAlive,
    payload,
    expect: options.expect === undefined ? undefined : statelessPattern(options.expect),
    readLimitBytes: options.readLimitBytes,
    replyIdleMs: options.replyIdleMs,
    expiryThresholds,
    proxyLabel: proxy ? formatProxyUrl(proxy) : undefined,
    upMessage: `${target}${via}: ${tls ? 'TLS' : 'TCP'} connection established${options.expect === undefined ? '' : ', reply matched'}`,
  });
}

type Exchange =
  | { readonly kind: 'ok'; readonly reply: string | undefined; readonly firstByteMs: number | undefined; readonly bytesReceived: number }
  | { readonly kind: 'mismatch'; readonly reply: string; readonly firstByteMs: number | undefined; readonly bytesReceived: number; readonly why: string }
  | { readonly kind: 'failed'; readonly error: unknown; readonly reply: string; readonly bytesReceived: number };

/**
 * Writes the payload, then reads until `expect` matches, the limit is reached, the peer closes,
 * the reply stalls for `replyIdleMs` without matching, or the signal aborts.
 */
function exchange(socket: Socket, plan: TcpCheckPlan, context: CheckContext): Promise<Exchange> {
  return new Promise<Exchange>((resolve) => {
    const { expect } = plan;
    const chunks: Buffer[] = [];
    let bytesReceived = 0;
    let firstByteMs: number | undefined;
    let waitStarted = context.clock.monotonicNow();
    let settled = false;
    let idleTimer: unknown;
    const reply = (): string => Buffer.concat(chunks).toString('utf8');
    const finish = (outcome: Exchange): void => {
      if (settled) return;
      settled = true;
      if (idleTimer !== undefined) context.clock.clearTimeout(idleTimer);
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('error', onError);
      context.signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const onData = (chunk: Buffer): void => {
      firstByteMs ??= context.clock.monotonicNow() - waitStarted;
      const room = plan.readLimitBytes - bytesReceived;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      bytesReceived += Math.min(chunk.length, room);
      const text = reply();
      if (expect?.test(text)) finish({ kind: 'ok', reply: text, firstByteMs, bytesReceived });
      else if (bytesReceived >= plan.readLimitBytes) {
        finish({ kind: 'mismatch', reply: text, firstByteMs, bytesReceived, why: `read the ${plan.readLimitBytes}-byte limit without a match` });
      } else {
        // A server that answered and went quiet answered wrongly; do not wait for the timeout.
        if (idleTimer !== undefined) context.clock.clearTimeout(idleTimer);
        idleTimer = context.clock.setTimeout(onIdle, plan.replyIdleMs);
      }
    };
    const onIdle = (): void => {
      finish({ kind: 'mismatch', reply: reply(), firstByteMs, bytesReceived, why: `no further data for ${plan.replyIdleMs} ms` });
    };
    const onEnd = (): void => {
      finish({ kind: 'mismatch', reply: reply(), firstByteMs, bytesReceived, why: `the server closed the connection after ${bytesReceived} bytes` });
    };
    const onError = (error: Error): void => finish({ kind: 'failed', error, reply: reply(), bytesReceived });
    const onAbort = (): void => finish({ kind: 'failed', error: context.signal.reason, reply: reply(), bytesReceived });

    socket.on('error', onError);
    if (context.signal.aborted) {
      onAbort();
      return;
    }
    context.signal.addEventListener('abort', onAbort, { once: true });
    if (expect) {
      socket.on('data', onData);
      socket.once('end', onEnd);
    }
    if (plan.payload === undefined) return;
    socket.write(plan.payload, (error) => {
      if (error) {
        onError(error);
        return;
      }
      waitStarted = context.clock.monotonicNow();
      if (!expect) finish({ kind: 'ok', reply: undefined, firstByteMs: undefined, bytesReceived: 0 });
    });
  });
}

/** Creates a TCP (and TLS) check: connect, optionally send and expect a reply, report phases and TLS facts. */
export function createTcpCheck(options: TcpCheckOptions): Check {
  // A proxy URL may carry a password; config errors quote the bad value.
  const parsed = parseRedactedOptions(tcpCheckOptionsSchema, options, { source: 'checks-tcp' });
  const plan = buildPlan(parsed);
  const target = formatHostPort(plan.host, plan.port);

  const run = async (context: CheckContext): Promise<CheckResult> => {
    const started = context.clock.monotonicNow();
    const details: Record<string, unknown> = { host: plan.host, port: plan.port };
    if (plan.proxyLabel) details.proxy = plan.proxyLabel;

    let dialed: DialResult;
    try {
      // One fixed-shape literal per run (no spread): this is the hot path of every TCP check.
      dialed = await context.dialer.connect({
        host: plan.host,
        port: plan.port,
        signal: context.signal,
        tls: plan.tls,
        proxy: plan.proxy,
        onion: plan.onion,
        family: plan.family,
        keepAlive: plan.keepAlive,
      });
    } catch (error) {
      const failure = classifyNetworkError(error);
      const status: CheckStatus = failure.reason === 'aborted' || failure.reason === 'config_error' ? 'unknown' : 'down';
      const durationMs = roundMs(context.clock.monotonicNow() - started);
      return {
        status,
        reason: failure.reason,
        durationMs,
        phases: { total: durationMs },
        message: resultMessage(failure.message),
        details: Object.assign(details, failure.details, failure.phase === undefined ? undefined : { phase: failure.phase }),
      };
    }

    const { socket, timings } = dialed;
    // The socket is ours now; a late error must not become an uncaught exception.
    socket.on('error', ignoreError);
    let closeGracefully = true;
    try {
      const phases: Record<string, number> = { connect: roundMs(timings.connect) };
      if (timings.dns !== undefined) phases.dns = roundMs(timings.dns);
      if (timings.proxy !== undefined) phases.proxy = roundMs(timings.proxy);
      if (timings.tls !== undefined) phases.tls = roundMs(timings.tls);
      details.remoteAddress = dialed.remoteAddress ?? null;
      const finish = createResultFinisher({ clock: context.clock, started, phases, details });

      let expiry: CertificateExpiryVerdict | undefined;
      if (dialed.tls) {
        details.tls = tlsSessionDetails(dialed.tls);
        expiry = evaluateCertificateExpiry(dialed.tls, { now: context.clock.now(), thresholds: plan.expiryThresholds, metrics: context.metrics });
        // Expired or critical fails at once; a warning waits until the exchange has had its say.
        if (expiry?.status === 'down') return finish(expiry.status, expiry.reason, `${target}: ${expiry.message}`);
      }

      if (plan.payload !== undefined || plan.expect !== undefined) {
        const outcome = await exchange(socket, plan, context);
        details.bytesReceived = outcome.bytesReceived;
        if (outcome.kind !== 'failed' && outcome.firstByteMs !== undefined) phases.firstByte = roundMs(outcome.firstByteMs);
        if (outcome.kind === 'failed') {
          closeGracefully = false;
          const failure = classifyNetworkError(outcome.error);
          const seen = outcome.bytesReceived > 0 ? `; got ${excerpt(outcome.reply)}` : '; got nothing';
          const waiting = plan.expect ? ` waiting for a reply matching ${String(plan.expect)}` : ' sending';
          const status: CheckStatus = failure.reason === 'aborted' ? 'unknown' : 'down';
          if (outcome.bytesReceived > 0) details.reply = truncate(outcome.reply);
          return finish(status, failure.reason, `${target}: ${failure.message}${waiting}${seen}`);
        }
        if (outcome.kind === 'mismatch') {
          details.reply = truncate(outcome.reply);
          return finish('down', 'assertion_failed', `${target}: expected a reply matching ${String(plan.expect)}; ${outcome.why}; got ${excerpt(outcome.reply)}`);
        }
        if (outcome.reply !== undefined) details.reply = truncate(outcome.reply);
      }

      if (expiry) return finish(expiry.status, expiry.reason, `${target}: ${expiry.message}`);
      return finish('up', 'ok', plan.upMessage);
    } finally {
      close(socket, closeGracefully);
    }
  };

  return Object.freeze({
    specificationVersion: 'v1' as const,
    meta: tcpCheckMeta,
    target,
    run,
  });
}

/** The TCP check as a registrable plugin (`type: tcp` in config files). */
export const tcpCheckPlugin: PluginDefinition<typeof tcpCheckOptionsSchema, Check> = Object.freeze({
  meta: tcpCheckMeta,
  optionsSchema: tcpCheckOptionsSchema,
  create: createTcpCheck,
  description: 'Connects over TCP (optionally TLS, optionally through SOCKS5), can send a payload and match the reply, and watches certificate expiry.',
});
