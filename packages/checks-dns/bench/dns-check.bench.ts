/**
 * DNS queries/s against a local dnsmasq: the DNS check through `executeCheck` (encode, a
 * connected UDP socket per query, the strict parser, assertions, the result and its run
 * histogram) against a raw loop that sends the same pre-encoded query on a fresh connected
 * socket and only checks the reply id, at the same concurrency, in the same run.
 */
import dgram from 'node:dgram';
import { createDialer, createRunHistogram, executeCheck } from '@vigil/core';
import { createDnsCheck, encodeQuery } from '@vigil/checks-dns';
import { machineDescription, measureBestRates, measureConcurrentRate, report } from '../../../scripts/bench-kit.js';
import { startDnsmasq } from '../src/testing/dns-servers.js';

const concurrency = 16;
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 3_000);
const dnsmasq = await startDnsmasq({ hosts: '127.0.0.10 example.test\n', arguments: ['--local=/example.test/'] });

let nextId = 1;
function rawOnce(): Promise<void> {
  return new Promise((resolve, reject) => {
    const id = (nextId = (nextId + 1) & 0xffff);
    const query = encodeQuery({ id, name: 'example.test', type: 1, recursionDesired: true, ednsUdpSize: 1232 });
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.on('message', (reply: Buffer) => {
      if (reply.readUInt16BE(0) !== id) return;
      socket.close();
      resolve();
    });
    socket.connect(dnsmasq.port, '127.0.0.1', () => socket.send(query));
  });
}

const check = createDnsCheck({ name: 'example.test', server: `127.0.0.1:${dnsmasq.port}`, expectAnswers: ['127.0.0.10'] });
const dialer = createDialer();
async function checkOnce(): Promise<void> {
  const { record } = await executeCheck(check, { checkId: 'dns', timeoutMs: 5_000, dialer, histogramFactory: createRunHistogram });
  if (record.status !== 'up') throw new Error(`unexpected ${record.status}: ${record.message}`);
}

const rate = (operation: () => Promise<void>): Promise<number> => measureConcurrentRate(operation, { concurrency, durationMs });
const { baseline, subject } = await measureBestRates({ baseline: () => rate(rawOnce), subject: () => rate(checkOnce) });
await dnsmasq.close();

report({
  name: `DNS A queries per second against dnsmasq, concurrency ${concurrency}`,
  baseline: { label: 'raw query on a connected node:dgram socket', value: baseline, unit: 'queries/s', higherIsBetter: true },
  subject: { label: 'DNS check via executeCheck', value: subject, unit: 'checks/s', higherIsBetter: true },
  extra: { machine: machineDescription() },
});
