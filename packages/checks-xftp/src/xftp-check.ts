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
  type SimplexSessionFacts,
  type SimplexTransportPlan,
  type XftpResponse,
  cryptoBoxOpen,
  decodePublicKey,
  encodeDeleteFile,
  encodeGetFile,
  encodeNewFile,
  encodePublicKey,
  encodePutFile,
  encodeXftpPing,
  formatServerAddress,
  generateEd25519KeyPair,
  generateX25519KeyPair,
  redactServerAddresses,
  resolveTransportPlan,
  roundMs,
  sha256,
  statusForReason,
  toProbeFailure,
  x25519,
} from '@vigil/simplex-protocol';
import { type ParsedXftpCheckOptions, type XftpCheckOptions, xftpCheckOptionsSchema } from './options.js';
import { XftpClient } from './xftp-client.js';

/** Who the XFTP check is, for the plugin registry. */
export const xftpCheckMeta: PluginMeta = Object.freeze({ name: '@vigil/checks-xftp', kind: 'check', type: 'xftp', coreRange: '^0.1.0' });

/** The chunk the file test uploads: 64 KiB, the smallest size servers accept (doc §5.3). */
export const XFTP_TEST_CHUNK_BYTES = 65_536;

const dayMs = 86_400_000;
const noEntity = Buffer.alloc(0);

interface XftpCheckPlan {
  readonly options: ParsedXftpCheckOptions;
  readonly transport: SimplexTransportPlan;
  readonly displayAddress: string;
  readonly target: string;
  /** Verified certificate chains of this check's server (per instance, never shared). */
  readonly identityCache: IdentityCache;
}

/** Maps an XFTP `ERR` (doc §6.1) to a reason, as for SMP (doc §6.2). */
function errorReason(error: string, step: string): ReasonCode {
  const code = error.split(' ')[0];
  if (code === 'AUTH' && step === 'createFile') return 'restricted';
  if (code === 'QUOTA' || code === 'INTERNAL' || code === 'FILE_IO') return 'degraded';
  if (code === 'BLOCKED') return 'blocked';
  if (code === 'DIGEST') return 'integrity_error';
  return 'probe_error';
}

function expectReply<T extends XftpResponse['type']>(response: XftpResponse, expected: T, step: string): Extract<XftpResponse, { type: T }> {
  if (response.type === expected) return response as Extract<XftpResponse, { type: T }>;
  if (response.type === 'ERR') {
    const reason = errorReason(response.error, step);
    const hint = reason === 'restricted' ? ' (the server needs a password for uploads, or does not allow them)' : '';
    throw new ProbeFailure(reason, step, `${step}: the server answered ERR ${response.error}${hint}`, { serverError: response.error });
  }
  const what = response.type === 'other' ? response.tag : response.type;
  throw new ProbeFailure('probe_error', step, `${step}: expected ${expected}, got ${what}`, { got: what });
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
  facts: SimplexSessionFacts | undefined;
  sent: number;
  received: number;
  step: string;
}

function recordSession(state: RunState, context: CheckContext, facts: SimplexSessionFacts | undefined): void {
  if (!facts) return;
  state.facts = facts;
  const { timings } = facts;
  if (timings.dns !== undefined) state.phases.dns = roundMs(timings.dns);
  state.phases.connect = roundMs(timings.connect);
  if (timings.proxy !== undefined) state.phases.proxy = roundMs(timings.proxy);
  if (timings.tls !== undefined) state.phases.tls = roundMs(timings.tls);
  state.phases.handshake = roundMs(facts.handshakeMs);
  state.details.remoteAddress = facts.remoteAddress ?? null;
  state.details.xftp = { version: facts.version, serverVersions: facts.serverVersions };
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

async function runPing(client: XftpClient, plan: XftpCheckPlan, context: CheckContext, state: RunState): Promise<string> {
  const { count, intervalMs } = plan.options;
  let first: number | undefined;
  for (let index = 0; index < count; index += 1) {
    if (index > 0) await sleepFor(context, intervalMs);
    state.step = count > 1 ? `ping ${index + 1}/${count}` : 'ping';
    const sentAt = context.clock.monotonicNow();
    state.sent += 1;
    expectReply((await client.command(state.step, noEntity, encodeXftpPing())).response, 'PONG', state.step);
    const rtt = context.clock.monotonicNow() - sentAt;
    state.received += 1;
    first ??= rtt;
    context.metrics.histogram('rtt', rtt, { unit: 'ms' });
  }
  state.phases.ping = roundMs(first ?? 0);
  return count > 1 ? `${count}/${count} PONGs` : `PONG in ${roundMs(first ?? 0)} ms`;
}

/** The apps' XFTP test (doc §5.1): FNEW, FPUT 64 KiB, FGET, decrypt and compare, FDEL. */
async function runFile(client: XftpClient, plan: XftpCheckPlan, context: CheckContext, state: RunState): Promise<string> {
  const chunk = randomBytes(XFTP_TEST_CHUNK_BYTES);
  const digest = sha256(chunk);
  const senderKey = generateEd25519KeyPair();
  const recipientKey = generateEd25519KeyPair();
  const password = plan.transport.address.password;
  const roundTripStarted = context.clock.monotonicNow();
  state.sent += 1;
  const timed = async <T>(phase: string, work: () => Promise<T>): Promise<T> => {
    state.step = phase;
    const started = context.clock.monotonicNow();
    const value = await work();
    state.phases[phase] = roundMs(context.clock.monotonicNow() - started);
    return value;
  };
  const created = await timed('createFile', async () =>
    expectReply(
      (
        await client.command(
          'createFile',
          noEntity,
          encodeNewFile({
            senderKey: encodePublicKey(senderKey.publicKey),
            size: chunk.length,
            digest,
            recipientKeys: [encodePublicKey(recipientKey.publicKey)],
            ...(password === undefined ? {} : { password }),
          }),
          { signer: senderKey.privateKey },
        )
      ).response,
      'SIDS',
      'createFile',
    ),
  );
  const recipientId = created.recipientIds[0] as Buffer;
  const deleteFile = async (): Promise<void> => {
    expectReply((await client.command('deleteFile', created.senderId, encodeDeleteFile(), { signer: senderKey.privateKey })).response, 'OK', 'deleteFile');
  };
  try {
    await timed('uploadFile', async () =>
      expectReply(
        (await client.command('uploadFile', created.senderId, encodePutFile(), { signer: senderKey.privateKey, extra: chunk, transferBytes: chunk.length })).response,
        'OK',
        'uploadFile',
      ),
    );
    const dhKey = generateX25519KeyPair();
    const download = await timed('downloadFile', () =>
      client.command('downloadFile', recipientId, encodeGetFile(encodePublicKey(dhKey.publicKey)), { signer: recipientKey.privateKey, transferBytes: chunk.length }),
    );
    const file = expectReply(download.response, 'FILE', 'downloadFile');
    state.step = 'decryptFile';
    if (download.extra.length !== chunk.length + 16) {
      throw new ProbeFailure('integrity_error', 'decryptFile', `decryptFile: expected ${chunk.length + 16} encrypted bytes, got ${download.extra.length}`);
    }
    // The tag follows the ciphertext on the wire; crypto_box wants it first (doc §5.3).
    const boxed = Buffer.concat([download.extra.subarray(chunk.length), download.extra.subarray(0, chunk.length)]);
    const secret = x25519(dhKey.privateKey, decodePublicKey(file.serverDhKey, 'x25519', 'FILE server key'));
    const plain = cryptoBoxOpen(secret, file.nonce, boxed);
    if (plain === undefined) throw new ProbeFailure('integrity_error', 'decryptFile', 'decryptFile: the downloaded chunk does not decrypt: the server altered it');
    state.step = 'compareFile';
    if (!sha256(plain).equals(digest)) throw new ProbeFailure('integrity_error', 'compareFile', 'compareFile: the downloaded chunk differs from the uploaded one (SHA-256 mismatch)');
    await timed('deleteFile', deleteFile);
  } catch (error) {
    try {
      await deleteFile();
    } catch {
      // The failure that brought us here is what the result reports.
    }
    throw error;
  }
  context.metrics.histogram('file_time', context.clock.monotonicNow() - roundTripStarted, { unit: 'ms' });
  state.received += 1;
  state.details.fileVerified = true;
  state.details.fileBytes = chunk.length;
  return `uploaded, downloaded, verified and deleted ${chunk.length / 1_024} KiB`;
}

function buildPlan(options: ParsedXftpCheckOptions): XftpCheckPlan {
  const transport = resolveTransportPlan('checks-xftp', 'xftp', options.server, options);
  const target = transport.host.includes(':') ? `[${transport.host}]:${transport.port}` : `${transport.host}:${transport.port}`;
  return Object.freeze({ options, transport, displayAddress: formatServerAddress(transport.address), target, identityCache: new IdentityCache() });
}

function parse(options: XftpCheckOptions): ParsedXftpCheckOptions {
  try {
    return parseOptions(xftpCheckOptionsSchema, options, { source: 'checks-xftp' });
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

function scrubSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) result = result.split(secret).join(REDACTED);
  return result;
}

/**
 * Creates an XFTP relay check: TLS (ALPN xftp/1, no SNI) with HTTP/2, identity pinning, the XFTP
 * handshake, then PING (`ping`) or the apps' file round trip (`file`).
 */
export function createXftpCheck(options: XftpCheckOptions): Check {
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
    let client: XftpClient | undefined;
    let summary: string | undefined;
    let failure: ProbeFailure | undefined;
    try {
      client = await XftpClient.connect(context, plan.transport, plan.options.versions, plan.identityCache);
      recordSession(state, context, client.facts);
      summary = plan.options.mode === 'ping' ? await runPing(client, plan, context, state) : await runFile(client, plan, context, state);
    } catch (error) {
      failure = toProbeFailure(error, state.step, context.signal);
    } finally {
      client?.close();
    }
    const durationMs = roundMs(context.clock.monotonicNow() - started);
    state.phases.total = durationMs;
    // `sent` and `received` count probes: PINGs or file round trips (the CLI's summary reads `sent`).
    context.metrics.gauge('sent', state.sent);
    context.metrics.gauge('received', state.received);
    if (failure) {
      const details = { ...state.details, step: failure.step, ...failure.details };
      const message = scrubSecrets(redactServerAddresses(`${plan.displayAddress}: ${failure.message}`), secrets);
      const cleanDetails = secrets.length === 0 ? details : (JSON.parse(scrubSecrets(JSON.stringify(details), secrets)) as Record<string, unknown>);
      return { status: statusForReason(failure.reason), reason: failure.reason, durationMs, phases: state.phases, message, details: cleanDetails };
    }
    const version = state.facts ? ` (XFTP v${state.facts.version}, ${state.facts.tlsVersion ?? 'TLS'})` : '';
    return { status: 'up', reason: 'ok', durationMs, phases: state.phases, message: `${plan.displayAddress}: ${summary ?? 'ok'}${version}`, details: state.details };
  };

  return Object.freeze({ specificationVersion: 'v1' as const, meta: xftpCheckMeta, target: plan.target, run });
}

/** The XFTP check as a registrable plugin (`type: xftp` in config files). */
export const xftpCheckPlugin: PluginDefinition<typeof xftpCheckOptionsSchema, Check> = Object.freeze({
  meta: xftpCheckMeta,
  optionsSchema: xftpCheckOptionsSchema,
  create: createXftpCheck,
  description: 'Probes a SimpleX XFTP relay over HTTP/2: pinned TLS identity and handshake, then PING or a 64 KiB upload/download/compare/delete round trip.',
});
