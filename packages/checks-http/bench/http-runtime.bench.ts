/**
 * HTTP check benchmark: checks per second through the full runtime against raw undici, against
 * the same local server, at the same concurrency.
 *
 * The server is a bare node:http server in a child process (so it does not share the event loop
 * of the code under test), answering every request with a 15-byte JSON body.
 *
 * - Baseline: raw undici with a fresh connection per request, `CONCURRENCY` loops, each response
 *   read to the end. Three ways of doing it are measured (one kept `Client` per loop with
 *   `reset: true` on every request, a new `Client` per request, one `Agent` with `reset: true`);
 *   the fastest in each round is that round's baseline.
 * - Subject: `createMonitor` with `CONCURRENCY` HTTP checks (fresh connection, the default) of
 *   the same URL, each on a 5 ms interval with overlap `queue`, so every check runs back to back;
 *   every result goes through the scheduler, the check, the metrics engine (HDR series) and the
 *   sink processor into an in-memory sink (emptied every 250 ms so stored records do not pile up).
 * - A second pair compares keep-alive: `connection: 'keep-alive'` checks against raw undici on one
 *   keep-alive Agent.
 *
 * Each round measures every contender for the same window after a warm-up, in an order that
 * rotates per round; reported rates are medians over the rounds, and so is the ratio of the two
 * measured in the same round ("paired"). Besides the rate, this process's CPU time per completed
 * request or check is measured: on a shared 2-core machine the rate moves with the other load, CPU
 * per operation much less. Memory: heap and RSS after a forced GC while the monitor runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import { createMonitor } from '@vigil/core';
import { createMemorySink } from '@vigil/test-utils';
import { Agent, Client } from 'undici';
import { machineDescription, memoryNow, report } from '../../../scripts/bench-kit.js';
import { createHttpCheck } from '../src/index.js';

const CONCURRENCY = 32;
const WARMUP_MS = 400;
const MEASURE_MS = 1_200;
const ROUNDS = 11;
/**
 * Each check's interval. With overlap `queue` a check whose run outlasts its interval starts again
 * the moment the run ends, so the checks stay busy. Not 1 ms: every tick that finds a check still
 * running costs the scheduler several microseconds (at 1 ms, a 25 ms fresh-connection run sees
 * some 20 of them), which no real interval of seconds ever pays.
 */
const SCHEDULE_INTERVAL_MS = 5;

const serverSource = `
const http = require('node:http');
const body = '{"status":"ok"}';
const server = http.createServer((request, response) => {
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
  response.end(body);
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', 1024, () => process.stdout.write(server.address().port + '\\n'));
`;

async function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', serverSource], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${chunk.toString().trim()}/health`, child };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Throughput and this process's CPU time per completed operation, over the measured window. */
interface Outcome {
  readonly rate: number;
  readonly cpuMicrosecondsPerOperation: number;
  readonly failures: number;
}

/** Runs CONCURRENCY loops of `request` back to back through a warm-up and a measured window. */
async function rawRate(request: (loop: number) => Promise<boolean>): Promise<Outcome> {
  const counter = { counting: false, ok: 0, failed: 0 };
  let stop = false;
  const loops = Array.from({ length: CONCURRENCY }, async (_, loop) => {
    while (!stop) {
      const ok = await request(loop).catch(() => false);
      if (!counter.counting) continue;
      if (ok) counter.ok += 1;
      else counter.failed += 1;
    }
  });
  await sleep(WARMUP_MS);
  counter.counting = true;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await sleep(MEASURE_MS);
  const used = process.cpuUsage(cpu);
  const elapsed = performance.now() - started;
  counter.counting = false;
  const done = counter.ok + counter.failed;
  stop = true;
  await Promise.all(loops);
  return { rate: (counter.ok / elapsed) * 1_000, cpuMicrosecondsPerOperation: (used.user + used.system) / Math.max(1, done), failures: counter.failed };
}

function rawNewClient(url: string): Promise<Outcome> {
  const { origin, pathname } = new URL(url);
  return rawRate(async () => {
    const client = new Client(origin);
    try {
      const response = await client.request({ path: pathname, method: 'GET', reset: true });
      await response.body.text();
      return response.statusCode === 200;
    } finally {
      void client.destroy().catch(() => undefined);
    }
  });
}

/** One Client per loop, kept, every request with `reset: true`: a new connection each time. */
async function rawKeptClient(url: string): Promise<Outcome> {
  const { origin, pathname } = new URL(url);
  const clients = Array.from({ length: CONCURRENCY }, () => new Client(origin));
  try {
    return await rawRate(async (loop) => {
      const client = clients[loop] as Client;
      const response = await client.request({ path: pathname, method: 'GET', reset: true });
      await response.body.text();
      return response.statusCode === 200;
    });
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}

async function rawAgent(url: string, reset: boolean): Promise<Outcome> {
  const { origin, pathname } = new URL(url);
  const agent = new Agent({ connections: reset ? null : CONCURRENCY });
  try {
    return await rawRate(async () => {
      const response = await agent.request({ origin, path: pathname, method: 'GET', reset });
      await response.body.text();
      return response.statusCode === 200;
    });
  } finally {
    await agent.close();
  }
}

interface RuntimeOutcome extends Outcome {
  readonly heapUsed: number;
  readonly rss: number;
}

async function runtimeRate(url: string, connection: 'fresh' | 'keep-alive'): Promise<RuntimeOutcome> {
  const sink = createMemorySink({ maxBatchSize: 1_000 });
  const monitor = createMonitor({
    checks: Array.from({ length: CONCURRENCY }, (_, index) => ({
      id: `http-${index}`,
      check: createHttpCheck({ url, connection }),
      interval: SCHEDULE_INTERVAL_MS,
      overlap: 'queue' as const,
      splay: false,
      timeout: '10s',
    })),
    sinks: [sink],
    concurrency: CONCURRENCY,
    perTargetConcurrency: CONCURRENCY,
    sinkQueue: { maxQueueSize: 100_000 },
  });
  const counter = { counting: false, ok: 0, failed: 0 };
  monitor.on('check:result', (record) => {
    if (!counter.counting) return;
    if (record.status === 'up') counter.ok += 1;
    else counter.failed += 1;
  });
  // The sink keeps every record it accepts; drop them, as a real sink would have written them out.
  const drain = setInterval(() => {
    sink.records.length = 0;
    sink.batches.length = 0;
  }, 250);
  await monitor.start();
  await sleep(WARMUP_MS);
  counter.counting = true;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await sleep(MEASURE_MS);
  const used = process.cpuUsage(cpu);
  const elapsed = performance.now() - started;
  counter.counting = false;
  const done = counter.ok + counter.failed;
  sink.records.length = 0;
  sink.batches.length = 0;
  const memory = memoryNow();
  await monitor.stop();
  clearInterval(drain);
  return {
    rate: (counter.ok / elapsed) * 1_000,
    cpuMicrosecondsPerOperation: (used.user + used.system) / Math.max(1, done),
    failures: counter.failed,
    heapUsed: memory.heapUsed,
    rss: memory.rss,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

interface Round {
  readonly baseline: Outcome & { readonly label: string };
  readonly subject: RuntimeOutcome;
}

/** Runs the contenders of one round in an order that rotates, so neither side always goes first. */
async function rotate(round: number, steps: readonly (() => Promise<void>)[]): Promise<void> {
  for (let index = 0; index < steps.length; index += 1) await (steps[(index + round) % steps.length] as () => Promise<void>)();
}

function summarise(rounds: readonly Round[]) {
  return {
    baselineRate: median(rounds.map((round) => round.baseline.rate)),
    subjectRate: median(rounds.map((round) => round.subject.rate)),
    pairedRatio: median(rounds.map((round) => round.subject.rate / round.baseline.rate)),
    baselineCpu: median(rounds.map((round) => round.baseline.cpuMicrosecondsPerOperation)),
    subjectCpu: median(rounds.map((round) => round.subject.cpuMicrosecondsPerOperation)),
    failures: rounds.reduce((sum, round) => sum + round.subject.failures + round.baseline.failures, 0),
    heapUsed: median(rounds.map((round) => round.subject.heapUsed)),
    rss: median(rounds.map((round) => round.subject.rss)),
  };
}

const { url, child } = await startServer();
try {
  process.stdout.write(`machine: ${machineDescription()}, load average ${os.loadavg().map((load) => load.toFixed(1)).join(' ')}\nserver: ${url} (child process), concurrency ${CONCURRENCY}, ${ROUNDS} rounds of ${MEASURE_MS} ms, check interval ${SCHEDULE_INTERVAL_MS} ms\n`);
  const baseMemory = memoryNow();
  const freshRounds: Round[] = [];
  const rawCpu: Record<string, number[]> = {};
  const keepAliveRounds: Round[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const raws: (Outcome & { label: string })[] = [];
    let fresh: RuntimeOutcome | undefined;
    await rotate(round, [
      async () => {
        raws.push({ ...(await rawKeptClient(url)), label: 'kept Client, reset' });
      },
      async () => {
        raws.push({ ...(await rawNewClient(url)), label: 'new Client' });
      },
      async () => {
        raws.push({ ...(await rawAgent(url, true)), label: 'Agent, reset' });
      },
      async () => {
        fresh = await runtimeRate(url, 'fresh');
      },
    ]);
    const bestRaw = raws.reduce((best, outcome) => (outcome.rate > best.rate ? outcome : best));
    for (const outcome of raws) rawCpu[outcome.label] = [...(rawCpu[outcome.label] ?? []), outcome.cpuMicrosecondsPerOperation];
    freshRounds.push({ baseline: bestRaw, subject: fresh as RuntimeOutcome });
    let keepAliveRaw: Outcome | undefined;
    let keepAlive: RuntimeOutcome | undefined;
    await rotate(round, [
      async () => {
        keepAliveRaw = await rawAgent(url, false);
      },
      async () => {
        keepAlive = await runtimeRate(url, 'keep-alive');
      },
    ]);
    keepAliveRounds.push({ baseline: { ...(keepAliveRaw as Outcome), label: 'Agent' }, subject: keepAlive as RuntimeOutcome });
    process.stdout.write(
      `round ${round + 1}: fresh raw ${bestRaw.rate.toFixed(0)}/s (${bestRaw.label}) vs runtime ${fresh?.rate.toFixed(0)}/s = ${((fresh as RuntimeOutcome).rate / bestRaw.rate).toFixed(2)}x; ` +
        `keep-alive raw ${keepAliveRaw?.rate.toFixed(0)}/s vs runtime ${keepAlive?.rate.toFixed(0)}/s\n`,
    );
  }
  const fresh = summarise(freshRounds);
  report({
    name: `HTTP checks/s, fresh connection each, full runtime vs raw undici (concurrency ${CONCURRENCY}, median of ${ROUNDS} rounds)`,
    baseline: { label: 'raw undici, fresh connection per request (fastest of: kept Client with reset: true, new Client, Agent with reset: true)', value: fresh.baselineRate, unit: 'req/s', higherIsBetter: true },
    subject: { label: 'createMonitor + createHttpCheck + memory sink', value: fresh.subjectRate, unit: 'checks/s', higherIsBetter: true },
    goal: '>= 0.85x',
    extra: {
      'median paired ratio': fresh.pairedRatio,
      'failed runs or requests': fresh.failures,
      'heap MiB, monitor running': fresh.heapUsed / 2 ** 20,
      'heap MiB over the idle process': (fresh.heapUsed - baseMemory.heapUsed) / 2 ** 20,
      'RSS MiB': fresh.rss / 2 ** 20,
    },
  });
  // On a shared machine the rate moves with whatever else runs; CPU time per operation does not
  // (much), and while the client is CPU-bound it is what the rate ratio converges to.
  report({
    name: 'Client CPU per HTTP check, fresh connection each, full runtime vs the cheapest raw undici way',
    baseline: { label: 'raw undici, kept Client with reset: true, CPU per request', value: median(rawCpu['kept Client, reset'] ?? []), unit: 'us', higherIsBetter: false },
    subject: { label: 'full runtime, CPU per check', value: fresh.subjectCpu, unit: 'us', higherIsBetter: false },
    goal: '>= 0.85x',
    extra: Object.fromEntries(Object.entries(rawCpu).map(([label, values]) => [`raw ${label}, us/request`, median(values)])),
  });
  const keepAlive = summarise(keepAliveRounds);
  report({
    name: `HTTP checks/s, keep-alive, full runtime vs raw undici Agent (concurrency ${CONCURRENCY}, median of ${ROUNDS} rounds)`,
    baseline: { label: 'raw undici Agent, keep-alive', value: keepAlive.baselineRate, unit: 'req/s', higherIsBetter: true },
    subject: { label: "createMonitor + createHttpCheck({ connection: 'keep-alive' })", value: keepAlive.subjectRate, unit: 'checks/s', higherIsBetter: true },
    extra: {
      'median paired ratio': keepAlive.pairedRatio,
      'client CPU us/request (raw)': keepAlive.baselineCpu,
      'client CPU us/check (runtime)': keepAlive.subjectCpu,
      'failed runs or requests': keepAlive.failures,
      'heap MiB, monitor running': keepAlive.heapUsed / 2 ** 20,
      'RSS MiB': keepAlive.rss / 2 ** 20,
    },
  });
} finally {
  child.kill();
}
