/**
 * UDP checks/s through `executeCheck` (options parsed once, a connected socket per run, the
 * result and its run histogram) against a raw `node:dgram` loop doing the same socket work
 * (create, connect, send, await the echo, close), at the same concurrency against the same
 * local echo server, in the same run.
 */
import dgram from 'node:dgram';
import { createDialer, createRunHistogram, executeCheck } from '@vigil/core';
import { createUdpCheck } from '@vigil/checks-udp';
import { machineDescription, measureBestRates, measureConcurrentRate, report } from '../../../scripts/bench-kit.js';

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

const rate = (operation: () => Promise<void>): Promise<number> => measureConcurrentRate(operation, { concurrency, durationMs });
const { baseline, subject } = await measureBestRates({ baseline: () => rate(rawOnce), subject: () => rate(checkOnce) });
server.close();

report({
  name: `UDP request/reply per second, concurrency ${concurrency}`,
  baseline: { label: 'raw node:dgram (connect, send, reply, close)', value: baseline, unit: 'ops/s', higherIsBetter: true },
  subject: { label: 'UDP check via executeCheck', value: subject, unit: 'checks/s', higherIsBetter: true },
  extra: { machine: machineDescription() },
});
