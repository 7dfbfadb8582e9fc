import { randomBytes } from 'node:crypto';
import { roundMs } from '@vigil/core';
import type { Check, CheckContext, CheckResult, PluginDefinition, PluginMeta, ReasonCode } from '@vigil/core';
import {
  ProbeFailure,
  RECEIVED_MESSAGE_PADDED_SIZE,
  type SimplexCheckPlan,
  type SimplexProtocolLabels,
  type SimplexRunState,
  type SmpResponse,
  buildSimplexCheckPlan,
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
  generateEd25519KeyPair,
  generateX25519KeyPair,
  parseReceivedMessage,
  parseSimplexCheckOptions,
  runPings,
  runSimplexCheck,
  sleepFor,
  smpVersions,
  unexpectedReplyFailure,
  x25519,
} from '@vigil/simplex-protocol';
import { type ParsedSmpCheckOptions, type SmpCheckOptions, smpCheckOptionsSchema } from './options.js';
import { SmpClient, type SmpSessionFacts } from './smp-client.js';

/** Who the SMP check is, for the plugin registry. */
export const smpCheckMeta: PluginMeta = Object.freeze({ name: '@vigil/checks-smp', kind: 'check', type: 'smp', coreRange: '^0.1.0' });

const noEntity = Buffer.alloc(0);

type SmpCheckPlan = SimplexCheckPlan<ParsedSmpCheckOptions>;
type RunState = SimplexRunState<SmpSessionFacts>;

/** How SMP shows itself in results: `details.smp` carries the negotiated version and block encryption. */
const smpProtocol: SimplexProtocolLabels<SmpSessionFacts> = Object.freeze({
  name: 'SMP',
  detailsKey: 'smp',
  describeSession: (facts: SmpSessionFacts) => ({ version: facts.version, serverVersions: facts.serverVersions, blockEncryption: facts.blockEncryption }),
});

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
  throw unexpectedReplyFailure(response, {
    expected: expected.join(' or '),
    step,
    errorReason,
    restrictedHint: ' (the server needs a password for new queues, or does not allow them)',
  });
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

async function runPing(client: SmpClient, plan: SmpCheckPlan, context: CheckContext, state: RunState): Promise<string> {
  return runPings(context, state, plan.options, async (step) => {
    expectReply(await client.command(step, noEntity, encodePing()), ['PONG'], step);
  });
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

/**
 * Creates an SMP relay check: TLS (ALPN smp/1, no SNI), identity pinning to the address's key
 * hash, version negotiation, then PING (`ping`), the apps' queue test (`queue`), or a message
 * sent on one connection and received, decrypted and verified on another (`delivery`).
 */
export function createSmpCheck(options: SmpCheckOptions): Check {
  const plan = buildSimplexCheckPlan('checks-smp', 'smp', parseSimplexCheckOptions(smpCheckOptionsSchema, options, 'checks-smp'));

  const run = (context: CheckContext): Promise<CheckResult> =>
    runSimplexCheck(context, {
      plan,
      protocol: smpProtocol,
      connect: () => SmpClient.connect(context, { plan: plan.transport, versions: plan.options.versions, sendClientKey: plan.options.blockEncryption, identityCache: plan.identityCache }),
      probe: (client, state) => {
        if (plan.options.mode === 'ping') return runPing(client, plan, context, state);
        if (plan.options.mode === 'queue') return runQueue(client, plan, context, state);
        return runDelivery(client, plan, context, state);
      },
      // The share of messages that arrived, once any was sent (`sent` and `received` count messages here).
      recordCounts: (state) => {
        if (plan.options.mode === 'delivery' && state.sent > 0) context.metrics.gauge('delivery_success_ratio', state.received / plan.options.count);
      },
    });

  return Object.freeze({ specificationVersion: 'v1' as const, meta: smpCheckMeta, target: plan.target, run });
}

/** The SMP check as a registrable plugin (`type: smp` in config files). */
export const smpCheckPlugin: PluginDefinition<typeof smpCheckOptionsSchema, Check> = Object.freeze({
  meta: smpCheckMeta,
  optionsSchema: smpCheckOptionsSchema,
  create: createSmpCheck,
  description: 'Probes a SimpleX SMP relay: pinned TLS identity and handshake, then PING, a queue create/secure/delete test, or an end-to-end message delivery.',
});
