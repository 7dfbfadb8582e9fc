/**
 * TCP checks/s through the full runtime (scheduler -> check -> metrics -> batch processor ->
 * in-memory sink) vs a raw `net.connect` loop against the same local server at the same
 * concurrency, in the same run.
 */
import net from 'node:net';
import { createMonitor } from '@vigil/core';
import type { Sink } from '@vigil/core';
import { startTcpServer } from '@vigil/test-utils';
import { createTcpCheck } from '@vigil/checks-tcp';
import { memoryNow, report } from '../../../scripts/bench-kit.js';

const concurrency = 16;
/** Checks due per second, well above what 16 connections serve, so the runtime is saturated. */
const saturatingChecks = 6_000;
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 4_000);
// Several listening ports: each loopback connection leaves a TIME_WAIT entry, and tens of
// thousands on one port pair make connect() itself slower as a run goes on, which would favour
// whichever side runs first. Both sides spread over the same ports.
const servers = await Promise.all(Array.from({ length: 8 }, () => startTcpServer()));
const ports = servers.map((server) => server.port);
let nextPort = 0;
const pickPort = (): number => ports[(nextPort = (nextPort + 1) % ports.length)] as number;

function connectOnce(): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: pickPort(), noDelay: true });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

let rawCpuPerOp = 0;
let runtimeCpuPerOp = 0;

async function rawRate(): Promise<number> {
  let count = 0;
  const deadline = performance.now() + durationMs;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await connectOnce();
        count += 1;
      }
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  rawCpuPerOp = (cpu.user + cpu.system) / count;
  return (count / (performance.now() - started)) * 1_000;
}

/**
 * A real in-memory sink that counts what it is given and keeps nothing, so the measurement is
 * the runtime's cost rather than the growth of a test sink's array.
 */
function createCountingSink(): Sink & { readonly count: () => number } {
  let stored = 0;
  let shutdownPromise: Promise<void> | undefined;
  return {
    specificationVersion: 'v1',
    meta: { name: 'bench', kind: 'sink', type: 'counting', coreRange: '^0.1.0' },
    maxBatchSize: 1_000,
    async write(batch) {
      stored += batch.length;
      return { kind: 'success' };
    },
    shutdown: () => (shutdownPromise ??= Promise.resolve()),
    count: () => stored,
  };
}

/**
 * The runtime saturated at the same concurrency as the raw loop: more checks are due every
 * second than 16 connections can serve, so throughput is what the runtime can do, end to end.
 */
async function runtimeRate(): Promise<{ rate: number; heapDelta: number; stored: number }> {
  const sink = createCountingSink();
  const monitor = createMonitor({
    sinks: [sink],
    concurrency,
    perTargetConcurrency: concurrency,
    checks: Array.from({ length: saturatingChecks }, (_unused, index) => ({
      id: `tcp-${index}`,
      check: createTcpCheck({ host: '127.0.0.1', port: ports[index % ports.length] as number }),
      interval: '1s',
      timeout: 5_000,
    })),
  });
  let count = 0;
  monitor.on('check:result', (record) => {
    if (record.status === 'up') count += 1;
  });
  await monitor.start();
  // Let the splayed first runs fill the queue before measuring.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const before = memoryNow().heapUsed;
  const counted0 = count;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  const elapsed = performance.now() - started;
  const counted = count - counted0;
  const cpu = process.cpuUsage(cpuBefore);
  runtimeCpuPerOp = (cpu.user + cpu.system) / counted;
  const heapDelta = memoryNow().heapUsed - before;
  await monitor.stop();
  return { rate: (counted / elapsed) * 1_000, heapDelta, stored: sink.count() };
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
  name: `TCP checks/s, full runtime (${saturatingChecks} checks every 1 s) vs raw net.connect loop (concurrency ${concurrency})`,
  baseline: { label: 'raw net.connect', value: median(raw), unit: 'connects/s', higherIsBetter: true },
  subject: { label: 'createMonitor + createTcpCheck', value: median(runtime), unit: 'checks/s', higherIsBetter: true },
  goal: '>= 0.8x',
  extra: {
    rawCpuMicrosecondsPerConnect: Math.round(rawCpuPerOp),
    runtimeCpuMicrosecondsPerCheck: Math.round(runtimeCpuPerOp),
    heapGrowthDuringRoundBytes: lastHeapDelta,
    rounds: 3,
    durationMsPerRound: durationMs,
  },
});
for (const server of servers) await server.close();
