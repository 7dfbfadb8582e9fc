import dgram from 'node:dgram';
import { isIP } from 'node:net';
import {
  type Check,
  type CheckContext,
  type CheckResult,
  type PluginDefinition,
  type PluginMeta,
  abortReasonCode,
  classifyNetworkError,
  createResultFinisher,
  decodePayload,
  describeError,
  formatHostPort,
  parseOptions,
  resolveHostAddress,
  roundMs,
  statelessPattern,
} from '@vigil/core';
import { type ParsedUdpCheckOptions, type UdpCheckOptions, udpCheckOptionsSchema } from './options.js';

/** Who the UDP check is, for the plugin registry. */
export const udpCheckMeta: PluginMeta = Object.freeze({ name: '@vigil/checks-udp', kind: 'check', type: 'udp', coreRange: '^0.1.0' });

const shownReplyLength = 120;

/** How the port behaved: the one fact every UDP result carries in `details.answer`. */
export type UdpAnswer = 'replied' | 'refused' | 'silent';

interface UdpCheckPlan {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6 | undefined;
  readonly payload: Buffer;
  readonly expect: RegExp | undefined;
  readonly replyTimeoutMs: number | undefined;
  readonly replyIdleMs: number;
  readonly silence: 'down' | 'up';
  readonly target: string;
}

function truncate(text: string): string {
  return text.length > shownReplyLength ? `${text.slice(0, shownReplyLength)}...` : text;
}

function buildPlan(options: ParsedUdpCheckOptions): UdpCheckPlan {
  return Object.freeze({
    host: options.host,
    port: options.port,
    family: options.family,
    // Without send or sendHex the check sends an empty datagram.
    payload: decodePayload(options) ?? Buffer.alloc(0),
    expect: options.expect === undefined ? undefined : statelessPattern(options.expect),
    replyTimeoutMs: options.replyTimeoutMs,
    replyIdleMs: options.replyIdleMs,
    silence: options.silence,
    target: formatHostPort(options.host, options.port),
  });
}

type Exchange =
  | { readonly kind: 'matched'; readonly reply: Buffer; readonly firstByteMs: number; readonly datagrams: number }
  | { readonly kind: 'mismatch'; readonly reply: Buffer; readonly firstByteMs: number; readonly datagrams: number }
  | { readonly kind: 'silent'; readonly waitedMs: number }
  | { readonly kind: 'failed'; readonly error: unknown };

/**
 * Sends the payload on a connected socket and waits for a reply. A connected UDP socket is what
 * turns the ICMP port-unreachable of a closed port into ECONNREFUSED, and makes the kernel drop
 * datagrams from any other peer.
 */
function exchange(address: string, family: 4 | 6, plan: UdpCheckPlan, context: CheckContext): Promise<Exchange> {
  return new Promise<Exchange>((resolve) => {
    const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    const { clock } = context;
    let sentAt = clock.monotonicNow();
    let settled = false;
    let replyTimer: unknown;
    let idleTimer: unknown;
    let firstReply: { reply: Buffer; firstByteMs: number } | undefined;
    let datagrams = 0;

    const finish = (outcome: Exchange): void => {
      if (settled) return;
      settled = true;
      if (replyTimer !== undefined) clock.clearTimeout(replyTimer);
      if (idleTimer !== undefined) clock.clearTimeout(idleTimer);
      context.signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('message');
      // A late ICMP error after close must not surface as an uncaught 'error'.
      socket.on('error', () => {});
      try {
        socket.close();
      } catch {
        // Already closed by a failed bind or connect.
      }
      resolve(outcome);
    };
    const onAbort = (): void => {
      if (firstReply) {
        finish({ kind: 'mismatch', ...firstReply, datagrams });
        return;
      }
      finish({ kind: 'failed', error: context.signal.reason });
    };
    const onIdle = (): void => {
      if (firstReply) finish({ kind: 'mismatch', ...firstReply, datagrams });
    };

    socket.on('error', (error) => finish({ kind: 'failed', error }));
    socket.on('message', (message: Buffer) => {
      const firstByteMs = clock.monotonicNow() - sentAt;
      datagrams += 1;
      if (!plan.expect || plan.expect.test(message.toString('utf8'))) {
        finish({ kind: 'matched', reply: message, firstByteMs: firstReply?.firstByteMs ?? firstByteMs, datagrams });
        return;
      }
      firstReply ??= { reply: message, firstByteMs };
      // A service that answered and went quiet answered wrongly; do not wait for the timeout.
      if (idleTimer !== undefined) clock.clearTimeout(idleTimer);
      idleTimer = clock.setTimeout(onIdle, plan.replyIdleMs);
    });
    if (context.signal.aborted) {
      onAbort();
      return;
    }
    context.signal.addEventListener('abort', onAbort, { once: true });
    socket.connect(plan.port, address, () => {
      if (settled) return;
      sentAt = clock.monotonicNow();
      socket.send(plan.payload, (error) => {
        if (error) finish({ kind: 'failed', error });
      });
      if (plan.replyTimeoutMs !== undefined) {
        replyTimer = clock.setTimeout(() => {
          if (firstReply) finish({ kind: 'mismatch', ...firstReply, datagrams });
          else finish({ kind: 'silent', waitedMs: clock.monotonicNow() - sentAt });
        }, plan.replyTimeoutMs);
      }
    });
  });
}

/** Creates a UDP check: send a datagram, and say whether the port replied, refused or stayed silent. */
export function createUdpCheck(options: UdpCheckOptions): Check {
  const parsed = parseOptions(udpCheckOptionsSchema, options, { source: 'checks-udp' });
  const plan = buildPlan(parsed);

  const run = async (context: CheckContext): Promise<CheckResult> => {
    const started = context.clock.monotonicNow();
    const phases: Record<string, number> = {};
    const details: Record<string, unknown> = { host: plan.host, port: plan.port, bytesSent: plan.payload.length };
    const finish = createResultFinisher({ clock: context.clock, started, phases, details });

    let address: string;
    let family: 4 | 6;
    try {
      const lookupStarted = context.clock.monotonicNow();
      ({ address, family } = await resolveHostAddress({ host: plan.host, family: plan.family, signal: context.signal }));
      if (isIP(plan.host) === 0) phases.dns = roundMs(context.clock.monotonicNow() - lookupStarted);
    } catch (error) {
      if (context.signal.aborted) {
        const reason = abortReasonCode(context.signal.reason);
        return finish(reason === 'timeout' ? 'down' : 'unknown', reason, `${plan.target}: ${reason === 'timeout' ? 'timed out' : 'aborted'} resolving the name`);
      }
      const failure = classifyNetworkError(error, { phase: 'dns' });
      details.phase = 'dns';
      return finish('down', failure.reason === 'probe_error' ? 'dns_error' : failure.reason, `${plan.target}: ${failure.message}`);
    }
    details.address = address;

    const outcome = await exchange(address, family, plan, context);
    switch (outcome.kind) {
      case 'matched': {
        details.answer = 'replied' satisfies UdpAnswer;
        details.bytesReceived = outcome.reply.length;
        details.reply = truncate(outcome.reply.toString('utf8'));
        phases.firstByte = roundMs(outcome.firstByteMs);
        const matched = plan.expect ? ', reply matched' : '';
        return finish('up', 'ok', `${plan.target}: replied with ${outcome.reply.length} bytes${matched}`);
      }
      case 'mismatch': {
        details.answer = 'replied' satisfies UdpAnswer;
        details.bytesReceived = outcome.reply.length;
        details.reply = truncate(outcome.reply.toString('utf8'));
        details.datagrams = outcome.datagrams;
        phases.firstByte = roundMs(outcome.firstByteMs);
        return finish(
          'down',
          'assertion_failed',
          `${plan.target}: expected a reply matching ${String(plan.expect)}; got ${outcome.datagrams} datagram(s), the first ${JSON.stringify(truncate(outcome.reply.toString('utf8')))}`,
        );
      }
      case 'silent': {
        details.answer = 'silent' satisfies UdpAnswer;
        if (plan.silence === 'up') return finish('up', 'ok', `${plan.target}: no reply and no ICMP port unreachable within ${plan.replyTimeoutMs} ms (silence counts as up)`);
        return finish('down', 'timeout', `${plan.target}: no reply within ${plan.replyTimeoutMs} ms (the port may be filtered, or the service ignores this payload)`);
      }
      case 'failed': {
        if (context.signal.aborted && outcome.error === context.signal.reason) {
          const reason = abortReasonCode(outcome.error);
          if (reason === 'aborted') return finish('unknown', 'aborted', `${plan.target}: aborted while waiting for a reply`);
          details.answer = 'silent' satisfies UdpAnswer;
          if (plan.silence === 'up') return finish('up', 'ok', `${plan.target}: no reply and no ICMP port unreachable (silence counts as up)`);
          return finish('down', 'timeout', `${plan.target}: no reply within the ${context.timeoutMs} ms timeout (the port may be filtered, or the service ignores this payload)`);
        }
        const code = (outcome.error as { code?: unknown } | undefined)?.code;
        if (code === 'ECONNREFUSED') {
          details.answer = 'refused' satisfies UdpAnswer;
          details.code = code;
          return finish('down', 'connection_refused', `${plan.target}: refused: ICMP port unreachable (ECONNREFUSED), nothing listens on the port`);
        }
        const failure = classifyNetworkError(outcome.error);
        Object.assign(details, failure.details);
        return finish('down', failure.reason, `${plan.target}: ${failure.message || describeError(outcome.error)}`);
      }
    }
  };

  return Object.freeze({
    specificationVersion: 'v1' as const,
    meta: udpCheckMeta,
    target: plan.target,
    run,
  });
}

/** The UDP check as a registrable plugin (`type: udp` in config files). */
export const udpCheckPlugin: PluginDefinition<typeof udpCheckOptionsSchema, Check> = Object.freeze({
  meta: udpCheckMeta,
  optionsSchema: udpCheckOptionsSchema,
  create: createUdpCheck,
  description: 'Sends a UDP datagram and reports whether the port replied (optionally matching a regex), refused (ICMP port unreachable) or stayed silent.',
});
