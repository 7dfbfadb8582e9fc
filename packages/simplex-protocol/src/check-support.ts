import { type CheckContext, type CheckResult, REDACTED, type ReasonCode, VigilError, parseOptions, redactText, roundMs } from '@vigil/core';
import type { z } from 'zod';
import { type SimplexScheme, formatServerAddress, redactServerAddresses } from './address.js';
import { IdentityCache } from './handshake.js';
import { ProbeFailure, type SimplexSessionFacts, statusForReason, toProbeFailure } from './probe.js';
import type { SmpResponse } from './smp-commands.js';
import { type SimplexTransportOptions, type SimplexTransportPlan, resolveTransportPlan } from './transport-options.js';
import type { XftpResponse } from './xftp-commands.js';

// The run of a SimpleX check around its protocol steps, the same for SMP and XFTP: options
// parsed without quoting the password, one plan per instance, connect, record the session,
// probe, and a result with the secrets scrubbed. Each check brings only its protocol steps.

const dayMs = 86_400_000;

/** The options every SimpleX check has: the server address, a mode and the transport settings. */
export interface SimplexCheckOptionsBase extends SimplexTransportOptions {
  readonly server: string;
  readonly mode: string;
}

/** What a SimpleX check resolves once per instance. */
export interface SimplexCheckPlan<Options extends SimplexCheckOptionsBase> {
  readonly options: Options;
  readonly transport: SimplexTransportPlan;
  /** The address without its password, for display. */
  readonly displayAddress: string;
  readonly target: string;
  /** Verified certificate chains of this check's server (per instance, never shared). */
  readonly identityCache: IdentityCache;
  /** Values no result may quote: the address password, when it has one. */
  readonly secrets: readonly string[];
}

/** Parses a SimpleX check's options; config errors never quote the server address (it may carry a password). */
export function parseSimplexCheckOptions<Schema extends z.ZodType>(schema: Schema, options: unknown, source: string): z.output<Schema> {
  try {
    return parseOptions(schema, options, { source });
  } catch (error) {
    if (VigilError.isInstance(error)) {
      const clean = (text: string): string => redactServerAddresses(redactText(text));
      throw new VigilError(error.code, clean(error.message), {
        path: error.path,
        details: error.details === undefined ? undefined : { issues: (error.details.issues as string[] | undefined)?.map(clean) },
      });
    }
    throw error;
  }
}

/** Resolves the transport, the display address and the target once per check instance. */
export function buildSimplexCheckPlan<Options extends SimplexCheckOptionsBase>(source: string, scheme: SimplexScheme, options: Options): SimplexCheckPlan<Options> {
  const transport = resolveTransportPlan(source, scheme, options.server, options);
  const target = transport.host.includes(':') ? `[${transport.host}]:${transport.port}` : `${transport.host}:${transport.port}`;
  const secrets = transport.address.password === undefined ? [] : [transport.address.password];
  return Object.freeze({ options, transport, displayAddress: formatServerAddress(transport.address), target, identityCache: new IdentityCache(), secrets });
}

/** What one run has found so far; the protocol steps add to it, the result is built from it. */
export interface SimplexRunState<Facts extends SimplexSessionFacts> {
  readonly details: Record<string, unknown>;
  readonly phases: Record<string, number>;
  facts: Facts | undefined;
  /** Probes started: PINGs, queue tests, messages or file round trips (the CLI's summary reads `sent`). */
  sent: number;
  /** Probes that succeeded. */
  received: number;
  /** The step under way, named by a failure that does not name its own. */
  step: string;
}

/** How a protocol shows itself in results. */
export interface SimplexProtocolLabels<Facts extends SimplexSessionFacts> {
  /** In the success message: `SMP`, `XFTP`. */
  readonly name: 'SMP' | 'XFTP';
  /** The details key of the protocol's own session facts: `smp`, `xftp`. */
  readonly detailsKey: string;
  /** The protocol's own session facts for the details (versions, block encryption...). */
  readonly describeSession: (facts: Facts) => Record<string, unknown>;
}

/** A connected SMP or XFTP client, as the run needs it. */
export interface SimplexProbeClient<Facts extends SimplexSessionFacts> {
  readonly facts: Facts | undefined;
  close(): void;
}

/** One check's protocol: how to connect, what to probe, and how it shows itself. */
export interface SimplexCheckRun<Options extends SimplexCheckOptionsBase, Client extends SimplexProbeClient<Facts>, Facts extends SimplexSessionFacts> {
  readonly plan: SimplexCheckPlan<Options>;
  readonly protocol: SimplexProtocolLabels<Facts>;
  readonly connect: () => Promise<Client>;
  /** Runs the mode's probes on the connected client; resolves with the success summary. */
  readonly probe: (client: Client, state: SimplexRunState<Facts>) => Promise<string>;
  /** Records gauges that follow `sent` and `received` (e.g. a success ratio). */
  readonly recordCounts?: (state: SimplexRunState<Facts>) => void;
}

/**
 * Runs one probe of a SimpleX check: connect, record the session, run the mode's probes, close,
 * then turn the outcome into data. Failures become results with the failing step, and no
 * message or detail quotes the address password.
 */
export async function runSimplexCheck<Options extends SimplexCheckOptionsBase, Client extends SimplexProbeClient<Facts>, Facts extends SimplexSessionFacts>(
  context: CheckContext,
  run: SimplexCheckRun<Options, Client, Facts>,
): Promise<CheckResult> {
  const { plan, protocol } = run;
  const started = context.clock.monotonicNow();
  const state: SimplexRunState<Facts> = {
    details: { server: plan.displayAddress, host: plan.transport.host, port: plan.transport.port, mode: plan.options.mode },
    phases: {},
    facts: undefined,
    sent: 0,
    received: 0,
    step: 'connect',
  };
  if (plan.transport.proxyLabel) state.details.proxy = plan.transport.proxyLabel;
  let client: Client | undefined;
  let summary: string | undefined;
  let failure: ProbeFailure | undefined;
  try {
    client = await run.connect();
    recordSession(state, context, client.facts, protocol);
    summary = await run.probe(client, state);
  } catch (error) {
    failure = toProbeFailure(error, state.step, context.signal);
  } finally {
    client?.close();
  }
  const durationMs = roundMs(context.clock.monotonicNow() - started);
  state.phases.total = durationMs;
  context.metrics.gauge('sent', state.sent);
  context.metrics.gauge('received', state.received);
  run.recordCounts?.(state);
  if (failure) {
    const details = { ...state.details, step: failure.step, ...failure.details };
    const message = scrubSecrets(redactServerAddresses(`${plan.displayAddress}: ${failure.message}`), plan.secrets);
    return { status: statusForReason(failure.reason), reason: failure.reason, durationMs, phases: state.phases, message, details: scrubDetails(details, plan.secrets) };
  }
  const version = state.facts ? ` (${protocol.name} v${state.facts.version}, ${state.facts.tlsVersion ?? 'TLS'})` : '';
  return { status: 'up', reason: 'ok', durationMs, phases: state.phases, message: `${plan.displayAddress}: ${summary ?? 'ok'}${version}`, details: state.details };
}

/** Copies the session's timings, versions and TLS facts into the run's phases and details. */
function recordSession<Facts extends SimplexSessionFacts>(state: SimplexRunState<Facts>, context: CheckContext, facts: Facts | undefined, protocol: SimplexProtocolLabels<Facts>): void {
  if (!facts) return;
  state.facts = facts;
  const { timings } = facts;
  if (timings.dns !== undefined) state.phases.dns = roundMs(timings.dns);
  state.phases.connect = roundMs(timings.connect);
  if (timings.proxy !== undefined) state.phases.proxy = roundMs(timings.proxy);
  if (timings.tls !== undefined) state.phases.tls = roundMs(timings.tls);
  state.phases.handshake = roundMs(facts.handshakeMs);
  state.details.remoteAddress = facts.remoteAddress ?? null;
  state.details[protocol.detailsKey] = protocol.describeSession(facts);
  state.details.tls = {
    version: facts.tlsVersion,
    cipher: facts.tlsCipher,
    alpn: facts.alpn,
    chainLength: facts.identity.chainLength,
    leafNotAfter: facts.identity.leafNotAfter,
    identityNotAfter: facts.identity.identityNotAfter,
    signatureAlgorithm: facts.identity.signatureAlgorithm ?? null,
  };
  context.metrics.gauge('tls_certificate_days_until_expiry', Math.floor((Date.parse(facts.identity.leafNotAfter) - context.clock.now()) / dayMs), { unit: 'd' });
}

/** Waits between probes; an abort ends the wait (the next step then reports it). */
export function sleepFor(context: CheckContext, durationMs: number): Promise<void> {
  if (durationMs <= 0 || context.signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = (): void => {
      context.clock.clearTimeout(timer);
      resolve();
    };
    // Removed when the timer fires: thousands of probes must not pile listeners on the signal.
    const timer = context.clock.setTimeout(() => {
      context.signal.removeEventListener('abort', onAbort);
      resolve();
    }, durationMs);
    context.signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** How many PINGs `runPings` sends, and the pause between them. */
export interface PingSeriesOptions {
  readonly count: number;
  readonly intervalMs: number;
}

/**
 * Sends `count` PINGs `intervalMs` apart through `ping` (which fails unless the reply is PONG),
 * records each round trip as `rtt` and the first as the `ping` phase; resolves with the summary.
 */
export async function runPings<Facts extends SimplexSessionFacts>(
  context: CheckContext,
  state: SimplexRunState<Facts>,
  options: PingSeriesOptions,
  ping: (step: string) => Promise<void>,
): Promise<string> {
  const { count, intervalMs } = options;
  let first: number | undefined;
  for (let index = 0; index < count; index += 1) {
    if (index > 0) await sleepFor(context, intervalMs);
    state.step = count > 1 ? `ping ${index + 1}/${count}` : 'ping';
    const sentAt = context.clock.monotonicNow();
    state.sent += 1;
    await ping(state.step);
    const rtt = context.clock.monotonicNow() - sentAt;
    state.received += 1;
    first ??= rtt;
    context.metrics.histogram('rtt', rtt, { unit: 'ms' });
  }
  state.phases.ping = roundMs(first ?? 0);
  return count > 1 ? `${count}/${count} PONGs` : `PONG in ${roundMs(first ?? 0)} ms`;
}

/** How a protocol reads a reply it did not expect. */
export interface UnexpectedReplyOptions {
  /** The expected reply types, as the message names them (`OK or MSG`). */
  readonly expected: string;
  readonly step: string;
  /** The reason an `ERR` reply means at this step (doc §6.2). */
  readonly errorReason: (error: string, step: string) => ReasonCode;
  /** Appended to the message when the reason is `restricted`, saying what the server refused. */
  readonly restrictedHint: string;
}

/** The failure for a reply other than the expected one: `ERR` maps to its reason, anything else is `probe_error`. */
export function unexpectedReplyFailure(response: SmpResponse | XftpResponse, options: UnexpectedReplyOptions): ProbeFailure {
  const { step } = options;
  if (response.type === 'ERR') {
    const reason = options.errorReason(response.error, step);
    const hint = reason === 'restricted' ? options.restrictedHint : '';
    return new ProbeFailure(reason, step, `${step}: the server answered ERR ${response.error}${hint}`, { serverError: response.error });
  }
  const what = response.type === 'other' ? response.tag : response.type;
  return new ProbeFailure('probe_error', step, `${step}: expected ${options.expected}, got ${what}`, { got: what });
}

/** Replaces every occurrence of a secret (the address password) in free text. */
function scrubSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) result = result.split(secret).join(REDACTED);
  return result;
}

/** Details hold no secrets by construction; this is the belt to those braces. */
function scrubDetails(details: Record<string, unknown>, secrets: readonly string[]): Record<string, unknown> {
  return secrets.length === 0 ? details : (JSON.parse(scrubSecrets(JSON.stringify(details), secrets)) as Record<string, unknown>);
}
