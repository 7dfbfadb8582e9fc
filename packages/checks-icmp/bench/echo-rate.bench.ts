/**
 * ICMP echoes/s: the ICMP check (raw-socket backend, through `executeCheck`, so every round trip
 * also goes through the run histogram) against `fping` on the same 100 loopback targets, 50
 * echoes each, both as fast as they go (fping `-i 0 -p 0`, the check `intervalMs: 0`), as root.
 * Each round is timed from start to the last reply (fping: process start to exit, as a user
 * would run it); rounds alternate, best of 9 each, after a warm-up. A round counts only if every echo came back.
 */
import { spawn } from 'node:child_process';
import { createDialer, createRunHistogram, executeCheck } from '@vigil/core';
import { createIcmpCheck } from '@vigil/checks-icmp';
import { machineDescription, report } from '../../../scripts/bench-kit.js';

const targets = Array.from({ length: 100 }, (_unused, index) => `127.2.0.${index + 1}`);
const echoesPerTarget = 50;
const totalEchoes = targets.length * echoesPerTarget;
const rounds = Number(process.env.BENCH_ROUNDS ?? 9);

if (process.getuid?.() !== 0) {
  console.log('echo-rate.bench.ts: needs root (raw ICMP socket and fping -i 0); skipped');
  process.exit(0);
}

function fpingRound(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('fping', ['-q', '-C', String(echoesPerTarget), '-i', '0', '-p', '0', '-t', '1000', ...targets], { stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      output += text;
    });
    child.on('error', reject);
    child.on('close', () => {
      const elapsed = performance.now() - started;
      const replies = output
        .split('\n')
        .flatMap((line) => line.split(' : ')[1]?.trim().split(/\s+/) ?? [])
        .filter((value) => value !== '-' && value !== '').length;
      if (replies !== totalEchoes) reject(new Error(`fping got ${replies} of ${totalEchoes} replies`));
      else resolve((replies / elapsed) * 1_000);
    });
  });
}

const checks = targets.map((host) => createIcmpCheck({ host, count: echoesPerTarget, intervalMs: 0, echoTimeoutMs: 1_000, backend: 'raw' }));
const dialer = createDialer();

async function checkRound(): Promise<number> {
  const started = performance.now();
  const executions = await Promise.all(checks.map((check, index) => executeCheck(check, { checkId: `icmp-${index}`, timeoutMs: 10_000, dialer, histogramFactory: createRunHistogram })));
  const elapsed = performance.now() - started;
  const replies = executions.reduce((sum, execution) => sum + Number(execution.record.details?.received ?? 0), 0);
  if (replies !== totalEchoes) throw new Error(`the check got ${replies} of ${totalEchoes} replies`);
  return (replies / elapsed) * 1_000;
}

// Warm up both (JIT, socket open, fping page cache).
await fpingRound();
for (let round = 0; round < 10; round += 1) await checkRound();
let baseline = 0;
let subject = 0;
const subjectRounds: number[] = [];
for (let round = 0; round < rounds; round += 1) {
  baseline = Math.max(baseline, await fpingRound());
  const rate = await checkRound();
  subjectRounds.push(rate);
  subject = Math.max(subject, rate);
}
await Promise.all(checks.map((check) => check.shutdown?.()));

report({
  name: `ICMP echoes/s, ${targets.length} loopback targets x ${echoesPerTarget} echoes, as root`,
  baseline: { label: 'fping -i 0 -p 0', value: baseline, unit: 'echoes/s', higherIsBetter: true },
  subject: { label: 'ICMP check (raw socket, executeCheck)', value: subject, unit: 'echoes/s', higherIsBetter: true },
  goal: '>= 1x',
  extra: { machine: machineDescription(), medianSubject: Math.round([...subjectRounds].sort((a, b) => a - b)[Math.floor(subjectRounds.length / 2)] ?? 0) },
});
