/**
 * TCP checks/s through the full runtime (scheduler -> check -> metrics -> batch processor ->
 * in-memory sink) vs a raw `net.connect` loop against the same local server at the same
 * concurrency, in the same run.
 */
import net from 'node:net';
import { createMonitor } from '@vigil/core';
import { createMemorySink, startTcpServer } from '@vigil/test-utils';
import { createTcpCheck } from '@vigil/checks-tcp';
import { memoryNow, report } from '../../../scripts/bench-kit.js';

const concurrency = 16;
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 4_000);
const server = await startTcpServer();

function connectOnce(): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: server.port, noDelay: true });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

async function rawRate(): Promise<number> {
  let count = 0;
  const deadline = performance.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await connectOnce();
        count += 1;
      }
    }),
  );
  return (count / (performance.now() - started)) * 1_000;
}

async function runtimeRate(): Promise<{ rate: number; heapDelta: number; stored: number }> {
  const sink = createMemorySink({ maxBatchSize: 1_000 });
  const monitor = createMonitor({
    sinks: [sink],
    concurrency,
    perTargetConcurrency: concurrency,
    checks: Array.from({ length: concurrency }, (_unused, index) => ({
      id: `tcp-${index}`,
      check: createTcpCheck({ host: '127.0.0.1', port: server.port }),
      // Back to back: a run due while the previous still runs waits and starts right after it.
      interval: 1,
      overlap: 'queue' as const,
      splay: false,
      timeout: 5_000,
    })),
  });
  let count = 0;
  monitor.on('check:result', (record) => {
    if (record.status === 'up') count += 1;
  });
  const before = memoryNow().heapUsed;
  const started = performance.now();
  await monitor.start();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  const elapsed = performance.now() - started;
  const counted = count;
  const heapDelta = memoryNow().heapUsed - before;
  await monitor.stop();
  // Release stored records before the next round.
  const stored = sink.records.length;
  sink.records.length = 0;
  return { rate: (counted / elapsed) * 1_000, heapDelta, stored };
}

// Warm up both paths, then alternate to spread machine noise evenly.
await rawRate();
await runtimeRate();
const raw: number[] = [];
const runtime: number[] = [];
let lastHeapDelta = 0;
for (let round = 0; round < 3; round += 1) {
  raw.push(await rawRate());
  const measured = await runtimeRate();
  runtime.push(measured.rate);
  lastHeapDelta = measured.heapDelta;
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
report({
  name: `TCP checks/s, full runtime vs raw net.connect (concurrency ${concurrency})`,
  baseline: { label: 'raw net.connect', value: median(raw), unit: 'connects/s', higherIsBetter: true },
  subject: { label: 'createMonitor + createTcpCheck', value: median(runtime), unit: 'checks/s', higherIsBetter: true },
  goal: '>= 0.8x',
  extra: { heapGrowthDuringRunBytes: lastHeapDelta, rounds: 3, durationMsPerRound: durationMs },
});
await server.close();
