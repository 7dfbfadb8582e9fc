/**
 * SMP liveness cost on loopback, in one process and run:
 * 1. PING round trip through the check (one connection, `count` PINGs, RTTs from the check's own
 *    `rtt` histogram samples) vs a raw TLS round trip of one 16384-byte block on the same setup
 *    (same certificate chain, TLS 1.3, CHACHA20-POLY1305, ALPN smp/1, no SNI) against an echo
 *    server. Both sides of the SMP exchange are included: the test relay decrypts, parses and
 *    answers in this process too. Measured with block encryption (SMP v18, the default) and
 *    without it (v10), since the per-block XSalsa20-Poly1305 is the protocol's own cost.
 * 2. The same PING through the check vs a minimal hand-written SMP client on the same relay and
 *    connection setup (TLS, hello exchange with our key, encrypted blocks; no verification, no
 *    timers, no routing): what the check's own machinery adds over the protocol's inherent cost.
 * 3. Handshakes/s: sequential full check runs (TCP + TLS + identity pinning + hello + one PING)
 *    vs sequential raw TLS connects to the echo server.
 */
import tls from 'node:tls';
import { createDialer, silentLogger, systemClock } from '@vigil/core';
import type { CheckContext } from '@vigil/core';
import { generateSimplexIdentity, startSmpTestServer } from '@vigil/test-utils';
import {
  BLOCK_SIZE,
  createBlockChains,
  decodeSmpServerHello,
  encodeBatch,
  encodePublicKey,
  encodeSmpClientHello,
  encodeSmpTransmission,
  generateX25519KeyPair,
  decodePublicKey,
  pad,
  unpad,
  x25519,
} from '@vigil/simplex-protocol';
import { createSmpCheck } from '../src/smp-check.js';
import { percentile, report } from '../../../scripts/bench-kit.js';

const BLOCK = 16_384;
const pings = Number(process.env.BENCH_PINGS ?? 3_000);
const handshakeMs = Number(process.env.BENCH_DURATION_MS ?? 3_000);

const identity = await generateSimplexIdentity();
const tlsOptions = {
  key: identity.leaf.privateKeyPem,
  cert: identity.leaf.chainPem,
  ALPNProtocols: ['smp/1'],
  ciphers: 'TLS_CHACHA20_POLY1305_SHA256',
  sigalgs: 'ed25519:ed448',
};

// The raw baseline: an echo server that answers every whole 16384-byte block with itself.
const echo = tls.createServer(tlsOptions, (socket) => {
  let buffered = Buffer.alloc(0);
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= BLOCK) {
      socket.write(buffered.subarray(0, BLOCK));
      buffered = buffered.subarray(BLOCK);
    }
  });
});
await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
const echoPort = (echo.address() as { port: number }).port;

function connectRaw(): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: echoPort, ALPNProtocols: ['smp/1'], rejectUnauthorized: false });
    socket.setNoDelay(true);
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

async function rawRoundTrips(count: number): Promise<number[]> {
  const socket = await connectRaw();
  const block = Buffer.alloc(BLOCK, 0x23);
  const samples: number[] = [];
  let received = 0;
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received >= BLOCK) {
      received -= BLOCK;
      wake?.();
    }
  });
  for (let index = 0; index < count; index += 1) {
    const started = performance.now();
    await new Promise<void>((resolve) => {
      wake = resolve;
      socket.write(block);
    });
    samples.push(performance.now() - started);
  }
  socket.destroy();
  return samples;
}

function contextWith(samples: number[]): CheckContext {
  return {
    checkId: 'bench',
    tags: {},
    signal: AbortSignal.timeout(600_000),
    timeoutMs: 600_000,
    attempt: 1,
    dialer: createDialer(),
    clock: systemClock,
    logger: silentLogger,
    metrics: { gauge() {}, counter() {}, histogram: (name, value) => void (name === 'rtt' && samples.push(value)) },
  };
}

async function checkRoundTrips(address: string, count: number, maxVersion: number): Promise<number[]> {
  const samples: number[] = [];
  const result = await createSmpCheck({ server: address, count, versions: { min: 6, max: maxVersion } }).run(contextWith(samples));
  if (result.status !== 'up') throw new Error(`bench run failed: ${result.reason} ${result.message}`);
  return samples;
}

const relay = await startSmpTestServer({ identity });

/** The least an SMP client can do per PING: seal a block, write it, read 16384 bytes, open it. */
async function minimalRoundTrips(count: number): Promise<number[]> {
  const socket = tls.connect({ host: '127.0.0.1', port: relay.port, ALPNProtocols: ['smp/1'], rejectUnauthorized: false });
  socket.setNoDelay(true);
  let buffered = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    if (buffered.length >= BLOCK) wake?.();
  });
  const nextBlock = async (): Promise<Buffer> => {
    if (buffered.length < BLOCK) await new Promise<void>((resolve) => (wake = resolve));
    const block = buffered.subarray(0, BLOCK);
    buffered = buffered.subarray(BLOCK);
    return block;
  };
  await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
  const hello = decodeSmpServerHello(unpad(await nextBlock()));
  const keys = generateX25519KeyPair();
  socket.write(pad(encodeSmpClientHello({ version: 18, keyHash: identity.keyHash, clientKey: encodePublicKey(keys.publicKey) }), BLOCK_SIZE));
  if (!hello.signedKey) throw new Error('the relay sent no signed key');
  const serverKey = decodePublicKey(hello.signedKey.publicKeyDer, 'x25519', 'server key');
  const chains = createBlockChains(x25519(keys.privateKey, serverKey), hello.sessionId);
  const corrId = Buffer.alloc(24, 1);
  const samples: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const started = performance.now();
    socket.write(chains.clientToServer.seal(encodeBatch([encodeSmpTransmission(18, { sessionId: hello.sessionId, corrId, entityId: Buffer.alloc(0), command: Buffer.from('PING') })])));
    chains.serverToClient.open(await nextBlock());
    samples.push(performance.now() - started);
  }
  socket.destroy();
  return samples;
}

// Warm up both paths (JIT, TLS session machinery), then measure interleaved halves to share drift.
await rawRoundTrips(300);
await checkRoundTrips(relay.address, 300, 18);
await minimalRoundTrips(300);
const raw: number[] = [];
const encrypted: number[] = [];
const plain: number[] = [];
const minimal: number[] = [];
for (let round = 0; round < 2; round += 1) {
  raw.push(...(await rawRoundTrips(pings / 2)));
  encrypted.push(...(await checkRoundTrips(relay.address, pings / 2, 18)));
  plain.push(...(await checkRoundTrips(relay.address, pings / 2, 10)));
  minimal.push(...(await minimalRoundTrips(pings / 2)));
}

const median = (values: number[]): number => percentile(values, 50);
const micro = (value: number): number => Math.round(value * 1_000);
report({
  name: 'SMP PING RTT via the check (v18, block encryption) vs raw TLS 16 KiB echo, p50',
  baseline: { label: 'raw TLS echo', value: micro(median(raw)), unit: 'µs', higherIsBetter: false },
  subject: { label: 'check PING', value: micro(median(encrypted)), unit: 'µs', higherIsBetter: false },
  goal: '<= 1.2x',
  extra: { rawP99: micro(percentile(raw, 99)), checkP99: micro(percentile(encrypted, 99)), pings },
});
report({
  name: 'SMP PING RTT via the check (v10, no block encryption) vs raw TLS 16 KiB echo, p50',
  baseline: { label: 'raw TLS echo', value: micro(median(raw)), unit: 'µs', higherIsBetter: false },
  subject: { label: 'check PING', value: micro(median(plain)), unit: 'µs', higherIsBetter: false },
  goal: '<= 1.2x',
  extra: { rawP99: micro(percentile(raw, 99)), checkP99: micro(percentile(plain, 99)), pings },
});

report({
  name: 'SMP PING RTT via the check vs a minimal hand-written SMP client, same relay (v18, block encryption), p50',
  baseline: { label: 'minimal client', value: micro(median(minimal)), unit: 'µs', higherIsBetter: false },
  subject: { label: 'check PING', value: micro(median(encrypted)), unit: 'µs', higherIsBetter: false },
  goal: '<= 1.2x',
  extra: { minimalP99: micro(percentile(minimal, 99)), checkP99: micro(percentile(encrypted, 99)), pings },
});

// Handshakes/s: sequential, one at a time, for the configured duration each.
async function rate(operation: () => Promise<void>): Promise<number> {
  const deadline = performance.now() + handshakeMs;
  const started = performance.now();
  let count = 0;
  while (performance.now() < deadline) {
    await operation();
    count += 1;
  }
  return (count / (performance.now() - started)) * 1_000;
}
const rawHandshakes = await rate(async () => {
  (await connectRaw()).destroy();
});
const check = createSmpCheck({ server: relay.address });
const checkHandshakes = await rate(async () => {
  const result = await check.run(contextWith([]));
  if (result.status !== 'up') throw new Error(`bench run failed: ${result.reason}`);
});
report({
  name: 'Handshakes/s, sequential: full SMP liveness run (TLS + pinning + hello + PING) vs raw TLS connect',
  baseline: { label: 'raw TLS connect', value: rawHandshakes, unit: 'ops/s', higherIsBetter: true },
  subject: { label: 'SMP check run', value: checkHandshakes, unit: 'ops/s', higherIsBetter: true },
});

await relay.close();
await new Promise<void>((resolve) => echo.close(() => resolve()));
