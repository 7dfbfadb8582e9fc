import { randomBytes } from 'node:crypto';
import { roundMs } from '@vigil/core';
import type { Check, CheckContext, CheckResult, PluginDefinition, PluginMeta, ReasonCode } from '@vigil/core';
import {
  ProbeFailure,
  type SimplexCheckPlan,
  type SimplexProtocolLabels,
  type SimplexRunState,
  type SimplexSessionFacts,
  type XftpResponse,
  buildSimplexCheckPlan,
  cryptoBoxOpen,
  decodePublicKey,
  encodeDeleteFile,
  encodeGetFile,
  encodeNewFile,
  encodePublicKey,
  encodePutFile,
  encodeXftpPing,
  generateEd25519KeyPair,
  generateX25519KeyPair,
  parseSimplexCheckOptions,
  runPings,
  runSimplexCheck,
  sha256,
  unexpectedReplyFailure,
  x25519,
} from '@vigil/simplex-protocol';
import { type ParsedXftpCheckOptions, type XftpCheckOptions, xftpCheckOptionsSchema } from './options.js';
import { XftpClient } from './xftp-client.js';

/** Who the XFTP check is, for the plugin registry. */
export const xftpCheckMeta: PluginMeta = Object.freeze({ name: '@vigil/checks-xftp', kind: 'check', type: 'xftp', coreRange: '^0.1.0' });

/** The chunk the file test uploads: 64 KiB, the smallest size servers accept (doc §5.3). */
export const XFTP_TEST_CHUNK_BYTES = 65_536;

const noEntity = Buffer.alloc(0);

type XftpCheckPlan = SimplexCheckPlan<ParsedXftpCheckOptions>;
type RunState = SimplexRunState<SimplexSessionFacts>;

/** How XFTP shows itself in results: `details.xftp` carries the negotiated version. */
const xftpProtocol: SimplexProtocolLabels<SimplexSessionFacts> = Object.freeze({
  name: 'XFTP',
  detailsKey: 'xftp',
  describeSession: (facts: SimplexSessionFacts) => ({ version: facts.version, serverVersions: facts.serverVersions }),
});

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
  throw unexpectedReplyFailure(response, { expected, step, errorReason, restrictedHint: ' (the server needs a password for uploads, or does not allow them)' });
}

async function runPing(client: XftpClient, plan: XftpCheckPlan, context: CheckContext, state: RunState): Promise<string> {
  return runPings(context, state, plan.options, async (step) => {
    expectReply((await client.command(step, noEntity, encodeXftpPing())).response, 'PONG', step);
  });
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

/**
 * Creates an XFTP relay check: TLS (ALPN xftp/1, no SNI) with HTTP/2, identity pinning, the XFTP
 * handshake, then PING (`ping`) or the apps' file round trip (`file`).
 */
export function createXftpCheck(options: XftpCheckOptions): Check {
  const plan = buildSimplexCheckPlan('checks-xftp', 'xftp', parseSimplexCheckOptions(xftpCheckOptionsSchema, options, 'checks-xftp'));

  const run = (context: CheckContext): Promise<CheckResult> =>
    runSimplexCheck(context, {
      plan,
      protocol: xftpProtocol,
      connect: () => XftpClient.connect(context, plan.transport, plan.options.versions, plan.identityCache),
      probe: (client, state) => (plan.options.mode === 'ping' ? runPing(client, plan, context, state) : runFile(client, plan, context, state)),
    });

  return Object.freeze({ specificationVersion: 'v1' as const, meta: xftpCheckMeta, target: plan.target, run });
}

/** The XFTP check as a registrable plugin (`type: xftp` in config files). */
export const xftpCheckPlugin: PluginDefinition<typeof xftpCheckOptionsSchema, Check> = Object.freeze({
  meta: xftpCheckMeta,
  optionsSchema: xftpCheckOptionsSchema,
  create: createXftpCheck,
  description: 'Probes a SimpleX XFTP relay over HTTP/2: pinned TLS identity and handshake, then PING or a 64 KiB upload/download/compare/delete round trip.',
});
