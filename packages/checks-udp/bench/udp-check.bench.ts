/**
 * UDP checks/s through `executeCheck` (options parsed once, a connected socket per run, the
 * result and its run histogram) against a raw `node:dgram` loop doing the same socket work
 * (create, connect, send, await the echo, close), at the same concurrency against the same
 * local echo server, in the same run.
 */
import dgram from 'node:dgram';
import { createDialer, createRunHistogram, executeCheck } from '@vigil/core';
import { createUdpCheck } from '@vigil/checks-udp';
import { machineDescription, report } from '../../../scripts/bench-kit.js';

const concurrency = 16;
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 3_000);

const server = dgram.createSocket('udp4');
server.on('message', (message, remote) => server.send(message, remote.port, remote.address));
await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
const { port } = server.address();
const payload = Buffer.from('PING');

function rawOnce(): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.once('message', () => {
      socket.close();
      resolve();
    });
    socket.connect(port, '127.0.0.1', () => socket.send(payload));
  });
}

const check = createUdpCheck({ host: '127.0.0.1', port, send: 'PING', expect: '^PING$' });
const dialer = createDialer();
async function checkOnce(): Promise<void> {
  const { record } = await executeCheck(check, { checkId: 'udp', timeoutMs: 5_000, dialer, histogramFactory: createRunHistogram });
  if (record.status !== 'up') throw new Error(`unexpected ${record.status}: ${record.message}`);
}

async function rate(operation: () => Promise<void>): Promise<number> {
  let count = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await operation();
        count += 1;
      }
    }),
  );
  return (count / (performance.now() - started)) * 1_000;
}

await rate(rawOnce);
await rate(checkOnce);
let baseline = 0;
let subject = 0;
for (let round = 0; round < 3; round += 1) {
  baseline = Math.max(baseline, await rate(rawOnce));
  subject = Math.max(subject, await rate(checkOnce));
}
server.close();

report({
  name: `UDP request/reply per second, concurrency ${concurrency}`,
  baseline: { label: 'raw node:dgram (connect, send, reply, close)', value: baseline, unit: 'ops/s', higherIsBetter: true },
  subject: { label: 'UDP check via executeCheck', value: subject, unit: 'checks/s', higherIsBetter: true },
  extra: { machine: machineDescription() },
});
