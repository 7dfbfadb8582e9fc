import { randomBytes } from 'node:crypto';
import {
  type Check,
  type CheckContext,
  type CheckResult,
  type PluginDefinition,
  type PluginMeta,
  REDACTED,
  type ReasonCode,
  VigilError,
  parseOptions,
  redactText,
} from '@vigil/core';
import {
  IdentityCache,
  ProbeFailure,
  RECEIVED_MESSAGE_PADDED_SIZE,
  type SimplexTransportPlan,
  type SmpResponse,
  cryptoBoxOpen,
  decodePublicKey,
  encodeAck,
  encodeDelete,
  encodeNew,
  encodePing,
  encodePublicKey,
  encodeRecipientSecures,
  encodeSend,
  encodeSenderKey,
  formatServerAddress,
  generateEd25519KeyPair,
  generateX25519KeyPair,
  parseReceivedMessage,
  redactServerAddresses,
  resolveTransportPlan,
  roundMs,
  smpVersions,
  statusForReason,
  toProbeFailure,
  x25519,
} from '@vigil/simplex-protocol';
import { type ParsedSmpCheckOptions, type SmpCheckOptions, smpCheckOptionsSchema } from './options.js';
import { SmpClient, type SmpSessionFacts } from './smp-client.js';

/** Who the SMP check is, for the plugin registry. */
export const smpCheckMeta: PluginMeta = Object.freeze({ name: '@vigil/checks-smp', kind: 'check', type: 'smp', coreRange: '^0.1.0' });

const dayMs = 86_400_000;
const noEntity = Buffer.alloc(0);

interface SmpCheckPlan {
  readonly options: ParsedSmpCheckOptions;
  readonly transport: SimplexTransportPlan;
  /** The address without its password, for display. */
  readonly displayAddress: string;
  readonly target: string;
  /** Verified certificate chains of this check's server (per instance, never shared). */
  readonly identityCache: IdentityCache;
}

/**
 * Maps an `ERR` reply to a reason (doc §6.2): `AUTH` on NEW is `restricted` (a password is
 * needed, or new queues are off); storage errors `degraded`; `BLOCKED` `blocked`; the rest
 * (BLOCK, CMD, SESSION...) means the probe and the server disagree: `probe_error`.
 */
function errorReason(error: string, step: string): ReasonCode {
  const code = error.split(' ')[0];
  if (code === 'AUTH' && step === 'createQueue') return 'restricted';
  if (code === 'QUOTA' || code === 'STORE' || code === 'INTERNAL') return 'degraded';
  if (code === 'BLOCKED') return 'blocked';
  return 'probe_error';
}

/** Fails unless `response` is `expected`; ERR replies map to their reason. */
function expectReply<T extends SmpResponse['type']>(response: SmpResponse, expected: readonly T[], step: string): Extract<SmpResponse, { type: T }> {
  if ((expected as readonly string[]).includes(response.type)) return response as Extract<SmpResponse, { type: T }>;
  if (response.type === 'ERR') {
    const reason = errorReason(response.error, step);
    const hint = reason === 'restricted' ? ' (the server needs a password for new queues, or does not allow them)' : '';
    throw new ProbeFailure(reason, step, `${step}: the server answered ERR ${response.error}${hint}`, { serverError: response.error });
  }
  const what = response.type === 'other' ? response.tag : response.type;
  throw new ProbeFailure('probe_error', step, `${step}: expected ${expected.join(' or ')}, got ${what}`, { got: what });
}

/** A queue this run created, with the keys to use and delete it. */
interface TestQueue {
  readonly recipientId: Buffer;
  readonly senderId: Buffer;
  readonly recipientKey: ReturnType<typeof generateEd25519KeyPair>;
  readonly senderKey: ReturnType<typeof generateEd25519KeyPair>;
  readonly dhKey: ReturnType<typeof generateX25519KeyPair>;
  readonly serverDhKey: Buffer;
}

/** NEW then SKEY (or KEY), as the apps' "test server" does (doc §5.1 steps 2-3). */
async function createSecuredQueue(client: SmpClient, plan: SmpCheckPlan): Promise<TestQueue> {
  const version = client.facts?.version ?? 0;
  const recipientKey = generateEd25519KeyPair();
  const senderKey = generateEd25519KeyPair();
  const dhKey = generateX25519KeyPair();
  const password = plan.transport.address.password;
  const created = expectReply(
    await client.command(
      'createQueue',
      noEntity,
      encodeNew(version, { recipientKey: encodePublicKey(recipientKey.publicKey), dhKey: encodePublicKey(dhKey.publicKey), ...(password === undefined ? {} : { password }) }),
      recipientKey.privateKey,
    ),
    ['IDS'],
    'createQueue',
  );
  const queue: TestQueue = { recipientId: created.recipientId, senderId: created.senderId, recipientKey, senderKey, dhKey, serverDhKey: created.serverDhKey };
  try {
    const senderPublic = encodePublicKey(senderKey.publicKey);
    if (created.queueMode === 'messaging' && version >= smpVersions.senderSecures) {
      expectReply(await client.command('secureQueue', created.senderId, encodeSenderKey(senderPublic), senderKey.privateKey), ['OK'], 'secureQueue');
    } else {
      expectReply(await client.command('secureQueue', created.recipientId, encodeRecipientSecures(senderPublic), recipientKey.privateKey), ['OK'], 'secureQueue');
    }
  } catch (error) {
    await deleteQueueQuietly(client, queue);
    throw error;
  }
  return queue;
}

async function deleteQueue(client: SmpClient, queue: TestQueue): Promise<void> {
  expectReply(await client.command('deleteQueue', queue.recipientId, encodeDelete(), queue.recipientKey.privateKey), ['OK'], 'deleteQueue');
}

/** Best effort after a failure: leave no test queue behind. */
async function deleteQueueQuietly(client: SmpClient, queue: TestQueue): Promise<void> {
  try {
    await deleteQueue(client, queue);
  } catch {
    // The failure that brought us here is what the result reports.
  }
}

/** Waits between probes; an abort ends the wait (the next step then reports it). */
function sleepFor(context: CheckContext, ms: number): Promise<void> {
  if (ms <= 0 || context.signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = (): void => {
      context.clock.clearTimeout(timer);
      resolve();
    };
    // Removed when the timer fires: thousands of probes must not pile listeners on the signal.
    const timer = context.clock.setTimeout(() => {
      context.signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    context.signal.addEventListener('abort', onAbort, { once: true });
  });
}

interface RunState {
  readonly details: Record<string, unknown>;
  readonly phases: Record<string, number>;
  facts: SmpSessionFacts | undefined;
  sent: number;
  received: number;
  step: string;
}

function recordSession(state: RunState, context: CheckContext, facts: SmpSessionFacts | undefined): void {
  if (!facts) return;
  state.facts = facts;
  const { timings } = facts;
  if (timings.dns !== undefined) state.phases.dns = roundMs(timings.dns);
  state.phases.connect = roundMs(timings.connect);
  if (timings.proxy !== undefined) state.phases.proxy = roundMs(timings.proxy);
  if (timings.tls !== undefined) state.phases.tls = roundMs(timings.tls);
  state.phases.handshake = roundMs(facts.handshakeMs);
  state.details.remoteAddress = facts.remoteAddress ?? null;
  state.details.smp = {
    version: facts.version,
    serverVersions: facts.serverVersions,
    blockEncryption: facts.blockEncryption,
  };
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

async function runPing(client: SmpClient, plan: SmpCheckPlan, context: CheckContext, state: RunState): Promise<string> {
  const { count, intervalMs } = plan.options;
  let first: number | undefined;
  for (let index = 0; index < count; index += 1) {
    if (index > 0) await sleepFor(context, intervalMs);
    state.step = count > 1 ? `ping ${index + 1}/${count}` : 'ping';
    const sentAt = context.clock.monotonicNow();
    state.sent += 1;
    expectReply(await client.command(state.step, noEntity, encodePing()), ['PONG'], state.step);
    const rtt = context.clock.monotonicNow() - sentAt;
    state.received += 1;
    first ??= rtt;
    context.metrics.histogram('rtt', rtt, { unit: 'ms' });
  }
  state.phases.ping = roundMs(first ?? 0);
  return count > 1 ? `${count}/${count} PONGs` : `PONG in ${roundMs(first ?? 0)} ms`;
}

async function runQueue(client: SmpClient, plan: SmpCheckPlan, context: CheckContext, state: RunState): Promise<string> {
  state.step = 'createQueue';
  state.sent += 1;
  const started = context.clock.monotonicNow();
  const queue = await createSecuredQueue(client, plan);
  state.step = 'deleteQueue';
  await deleteQueue(client, queue);
  const elapsed = context.clock.monotonicNow() - started;
  state.phases.queue = roundMs(elapsed);
  context.metrics.histogram('queue_time', elapsed, { unit: 'ms' });
  state.received += 1;
  return 'created, secured and deleted a queue';
}

async function runDelivery(receiver: SmpClient, plan: SmpCheckPlan, context: CheckContext, state: RunState): Promise<string> {
  const { count, intervalMs, messageBytes } = plan.options;
  state.step = 'createQueue';
  const queue = await createSecuredQueue(receiver, plan);
  let sender: SmpClient | undefined;
  try {
    state.step = 'connectSender';
    sender = await SmpClient.connect(context, { plan: plan.transport, versions: plan.options.versions, sendClientKey: plan.options.blockEncryption, identityCache: plan.identityCache });
    const secret = x25519(queue.dhKey.privateKey, decodePublicKey(queue.serverDhKey, 'x25519', 'IDS server DH key'));
    for (let index = 0; index < count; index += 1) {
      if (index > 0) await sleepFor(context, intervalMs);
      const label = count > 1 ? ` ${index + 1}/${count}` : '';
      const body = randomBytes(messageBytes);
      state.step = `send${label}`;
      const sentAt = context.clock.monotonicNow();
      state.sent += 1;
      const arrival = receiver.nextMessage(`receive${label}`, queue.recipientId, plan.transport.protocolTimeoutMs);
      // Settled later; keep an early rejection from being reported as unhandled.
      arrival.catch(() => {});
      expectReply(await sender.command(state.step, queue.senderId, encodeSend(body), queue.senderKey.privateKey), ['OK'], state.step);
      state.step = `receive${label}`;
      const message = await arrival;
      const deliveryMs = message.receivedAt - sentAt;
      state.step = `decrypt${label}`;
      const plain = cryptoBoxOpen(secret, message.messageId, message.encryptedBody);
      if (plain === undefined || plain.length !== RECEIVED_MESSAGE_PADDED_SIZE) {
        throw new ProbeFailure('integrity_error', state.step, `${state.step}: the message body does not decrypt: the server altered it`);
      }
      let received: ReturnType<typeof parseReceivedMessage>;
      try {
        received = parseReceivedMessage(plain);
      } catch {
        throw new ProbeFailure('integrity_error', state.step, `${state.step}: the decrypted message body is malformed`);
      }
      if (received.type !== 'message' || !received.body.equals(body)) {
        throw new ProbeFailure('integrity_error', `verify${label}`, `verify${label}: the received body differs from the one sent`);
      }
      state.step = `ack${label}`;
      expectReply(await receiver.command(state.step, queue.recipientId, encodeAck(message.messageId), queue.recipientKey.privateKey), ['OK', 'MSG'], state.step);
      state.received += 1;
      context.metrics.histogram('delivery_time', deliveryMs, { unit: 'ms' });
      if (index === 0) state.phases.delivery = roundMs(deliveryMs);
    }
    state.step = 'deleteQueue';
    await deleteQueue(receiver, queue);
  } catch (error) {
    await deleteQueueQuietly(receiver, queue);
    throw error;
  } finally {
    sender?.close();
  }
  state.details.bodyVerified = true;
  return count > 1 ? `${count}/${count} messages delivered and verified` : `message delivered and verified in ${state.phases.delivery} ms`;
}

function buildPlan(options: ParsedSmpCheckOptions): SmpCheckPlan {
  const transport = resolveTransportPlan('checks-smp', 'smp', options.server, options);
  const target = transport.host.includes(':') ? `[${transport.host}]:${transport.port}` : `${transport.host}:${transport.port}`;
  return Object.freeze({ options, transport, displayAddress: formatServerAddress(transport.address), target, identityCache: new IdentityCache() });
}

function parse(options: SmpCheckOptions): ParsedSmpCheckOptions {
  try {
    return parseOptions(smpCheckOptionsSchema, options, { source: 'checks-smp' });
  } catch (error) {
    // The server address may carry a password; config errors must not quote it.
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

/**
 * Creates an SMP relay check: TLS (ALPN smp/1, no SNI), identity pinning to the address's key
 * hash, version negotiation, then PING (`ping`), the apps' queue test (`queue`), or a message
 * sent on one connection and received, decrypted and verified on another (`delivery`).
 */
export function createSmpCheck(options: SmpCheckOptions): Check {
  const plan = buildPlan(parse(options));
  const secrets = plan.transport.address.password === undefined ? [] : [plan.transport.address.password];

  const run = async (context: CheckContext): Promise<CheckResult> => {
    const started = context.clock.monotonicNow();
    const state: RunState = {
      details: { server: plan.displayAddress, host: plan.transport.host, port: plan.transport.port, mode: plan.options.mode },
      phases: {},
      facts: undefined,
      sent: 0,
      received: 0,
      step: 'connect',
    };
    if (plan.transport.proxyLabel) state.details.proxy = plan.transport.proxyLabel;
    let client: SmpClient | undefined;
    let summary: string | undefined;
    let failure: ProbeFailure | undefined;
    try {
      client = await SmpClient.connect(context, { plan: plan.transport, versions: plan.options.versions, sendClientKey: plan.options.blockEncryption, identityCache: plan.identityCache });
      recordSession(state, context, client.facts);
      if (plan.options.mode === 'ping') summary = await runPing(client, plan, context, state);
      else if (plan.options.mode === 'queue') summary = await runQueue(client, plan, context, state);
      else summary = await runDelivery(client, plan, context, state);
    } catch (error) {
      failure = toProbeFailure(error, state.step, context.signal);
    } finally {
      client?.close();
    }
    const durationMs = roundMs(context.clock.monotonicNow() - started);
    state.phases.total = durationMs;
    // `sent` and `received` count probes: PINGs, queue tests or messages (the CLI's summary reads `sent`).
    context.metrics.gauge('sent', state.sent);
    context.metrics.gauge('received', state.received);
    if (plan.options.mode === 'delivery' && state.sent > 0) context.metrics.gauge('delivery_success_ratio', state.received / plan.options.count);
    const version = state.facts ? ` (SMP v${state.facts.version}, ${state.facts.tlsVersion ?? 'TLS'})` : '';
    if (failure) {
      const details = { ...state.details, step: failure.step, ...failure.details };
      const message = scrubSecrets(redactServerAddresses(`${plan.displayAddress}: ${failure.message}`), secrets);
      return { status: statusForReason(failure.reason), reason: failure.reason, durationMs, phases: state.phases, message, details: scrubDetails(details, secrets) };
    }
    return { status: 'up', reason: 'ok', durationMs, phases: state.phases, message: `${plan.displayAddress}: ${summary ?? 'ok'}${version}`, details: state.details };
  };

  return Object.freeze({ specificationVersion: 'v1' as const, meta: smpCheckMeta, target: plan.target, run });
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

/** The SMP check as a registrable plugin (`type: smp` in config files). */
export const smpCheckPlugin: PluginDefinition<typeof smpCheckOptionsSchema, Check> = Object.freeze({
  meta: smpCheckMeta,
  optionsSchema: smpCheckOptionsSchema,
  create: createSmpCheck,
  description: 'Probes a SimpleX SMP relay: pinned TLS identity and handshake, then PING, a queue create/secure/delete test, or an end-to-end message delivery.',
});
