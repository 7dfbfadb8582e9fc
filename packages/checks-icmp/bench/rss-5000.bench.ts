/**
 * Memory with 5,000 ICMP targets on a 10 s interval: a monitor (scheduler -> ICMP check with the
 * shared raw-socket pinger -> metrics engine) runs 5,000 checks of distinct loopback addresses,
 * one echo each every 10 s, for 25 s (every target probed at least twice, first runs splayed
 * over the interval). Reported: the process RSS at the end against `fping -l -p 10000` looping
 * over the same 5,000 targets for the same time (its RSS from /proc). Extra: the Node process's
 * RSS before the monitor existed, the growth per target, heap, results and file descriptors, and
 * the same monitor with 5,000 no-op checks (what the runtime and metrics engine cost without
 * ICMP). Each monitor runs in a fresh child process, so neither inherits the other's heap.
 * As root (raw socket, fping -i 1).
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { type Check, createMonitor } from '@vigil/core';
import { createIcmpCheck } from '@vigil/checks-icmp';
import { machineDescription, memoryNow, report } from '../../../scripts/bench-kit.js';

const targetCount = 5_000;
const intervalMs = 10_000;
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 25_000);
const targets = Array.from({ length: targetCount }, (_unused, index) => `127.3.${Math.floor(index / 250)}.${(index % 250) + 1}`);

if (process.getuid?.() !== 0) {
  console.log('rss-5000.bench.ts: needs root (raw ICMP socket); skipped');
  process.exit(0);
}

function rssOfProcess(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kilobytes = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kilobytes * 1024;
}

async function fpingRss(): Promise<number> {
  const child = spawn('fping', ['-q', '-l', '-p', String(intervalMs), '-i', '1', '-t', '1000', ...targets], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  const rss = rssOfProcess(child.pid as number);
  child.kill('SIGINT');
  await new Promise((resolve) => child.once('close', resolve));
  return rss;
}

const noOpCheck = (host: string): Check => ({
  specificationVersion: 'v1',
  meta: { name: 'bench-noop', kind: 'check', type: 'noop', coreRange: '^0.1.0' },
  target: host,
  run: async () => ({ status: 'up', reason: 'ok' }),
});

async function monitorRss(kind: 'icmp' | 'noop'): Promise<{ rss: number; before: number; heapUsed: number; results: number; up: number; descriptors: number }> {
  const before = memoryNow();
  const monitor = createMonitor({
    checks: targets.map((host, index) => ({
      id: `icmp-${index}`,
      check: kind === 'icmp' ? createIcmpCheck({ host, count: 1, echoTimeoutMs: 1_000, backend: 'raw' }) : noOpCheck(host),
      interval: intervalMs,
      timeout: 5_000,
    })),
  });
  let results = 0;
  let up = 0;
  monitor.on('check:result', (record) => {
    results += 1;
    if (record.status === 'up') up += 1;
  });
  await monitor.start();
  let descriptors = 0;
  const sampler = setInterval(() => {
    descriptors = Math.max(descriptors, readdirSync('/proc/self/fd').length);
  }, 500);
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  clearInterval(sampler);
  const after = memoryNow();
  await monitor.stop();
  return { rss: after.rss, before: before.rss, heapUsed: after.heapUsed, results, up, descriptors };
}

type Measured = Awaited<ReturnType<typeof monitorRss>>;

const childMode = process.env.VIGIL_BENCH_RSS_MODE;
if (childMode === 'icmp' || childMode === 'noop') {
  console.log(`RSS_RESULT ${JSON.stringify(await monitorRss(childMode))}`);
  process.exit(0);
}

function inChild(kind: 'icmp' | 'noop'): Measured {
  const output = execFileSync(process.execPath, [...process.execArgv, process.argv[1] as string], { env: { ...process.env, VIGIL_BENCH_RSS_MODE: kind }, encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = output.split('\n').find((text) => text.startsWith('RSS_RESULT '));
  if (!line) throw new Error(`the ${kind} child printed no result: ${output.slice(-500)}`);
  return JSON.parse(line.slice('RSS_RESULT '.length)) as Measured;
}

const subject = inChild('icmp');
const noOp = inChild('noop');
const baseline = await fpingRss();

report({
  name: `RSS with ${targetCount.toLocaleString('en')} ICMP targets on a ${intervalMs / 1_000} s interval (${durationMs / 1_000} s)`,
  baseline: { label: 'fping -l -p 10000 (same targets)', value: baseline, unit: 'bytes', higherIsBetter: false },
  subject: { label: 'Node process: monitor + 5,000 ICMP checks (raw socket)', value: subject.rss, unit: 'bytes', higherIsBetter: false },
  extra: {
    machine: machineDescription(),
    rssBeforeMonitor: subject.before,
    bytesPerTarget: Math.round((subject.rss - subject.before) / targetCount),
    heapUsed: subject.heapUsed,
    results: subject.results,
    up: subject.up,
    maxOpenDescriptors: subject.descriptors,
    noOpChecksRss: noOp.rss,
    noOpBytesPerTarget: Math.round((noOp.rss - noOp.before) / targetCount),
  },
});
