/**
 * Scheduler benchmark (real clock): 100,000 registered no-op jobs on a 10 s interval.
 *
 * Measures, for the naive approach (one chained setTimeout per job, on the same splayed grid)
 * and for `createScheduler` (one heap, one timer):
 * - start lag (actual start minus intended start, on the monotonic clock) over one full interval
 *   after one warm-up interval: p50, p99, max;
 * - heap bytes per registered job: heapUsed after a forced GC, before and after registering.
 *   Job objects (ids and run functions) exist before the first measurement in both cases, so the
 *   figure is the cost of the scheduling structure alone; the job object itself is reported apart.
 * A third comparison runs the scheduler with the runtime's default concurrency limits. Before
 * all that, an idle 1 ms timer chain measures how late this machine's event loop wakes up by
 * itself (other processes, virtualisation), the floor under any start-lag figure.
 */
import { collectGarbage, memoryNow, percentile, report } from '../../../scripts/bench-kit.js';
import type { JobRun, ScheduledJob } from '../src/contracts/scheduler.js';
import { createScheduler } from '../src/scheduler/scheduler.js';
import { every, splayOffset } from '../src/scheduler/triggers.js';

const JOBS = 100_000;
const INTERVAL_MS = 10_000;
/** One interval to warm up (JIT, first placement), then one measured interval. */
const WARMUP_INTERVALS = 1;
const MEASURED_INTERVALS = 2;

interface LagSample {
  readonly lags: Float64Array;
  count: number;
}

interface Outcome {
  readonly bytesPerJob: number;
  readonly registerMsPerJob: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly runs: number;
}

const sleepReal = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function newSample(): LagSample {
  return { lags: new Float64Array(JOBS * (MEASURED_INTERVALS + 1)), count: 0 };
}

function summarise(sample: LagSample, bytesPerJob: number, registerMsPerJob: number): Outcome {
  const lags = Array.from(sample.lags.subarray(0, sample.count));
  return {
    bytesPerJob,
    registerMsPerJob,
    p50: percentile(lags, 50),
    p99: percentile(lags, 99),
    max: lags.reduce((highest, lag) => Math.max(highest, lag), 0),
    runs: sample.count,
  };
}

/** The naive approach: each job owns a timer, re-armed from its own intended grid (no drift). */
async function measureNaive(ids: readonly string[]): Promise<Outcome> {
  const sample = newSample();
  let measureFrom = Number.POSITIVE_INFINITY;
  let measureUntil = Number.POSITIVE_INFINITY;
  const handles: (NodeJS.Timeout | undefined)[] = new Array(JOBS);
  const runs: (() => void)[] = ids.map(() => () => {});
  collectGarbage();
  const before = memoryNow().heapUsed;
  const registerStart = performance.now();
  const origin = Date.now();
  const originMonotonic = performance.now();
  for (let index = 0; index < JOBS; index += 1) {
    const id = ids[index] as string;
    const run = runs[index] as () => void;
    const wait = (((splayOffset(id, INTERVAL_MS) - origin) % INTERVAL_MS) + INTERVAL_MS) % INTERVAL_MS;
    let intended = originMonotonic + wait;
    const fire = (): void => {
      const lag = performance.now() - intended;
      if (intended >= measureFrom && intended < measureUntil) {
        sample.lags[sample.count] = Math.max(0, lag);
        sample.count += 1;
      }
      run();
      intended += INTERVAL_MS;
      handles[index] = setTimeout(fire, intended - performance.now());
    };
    handles[index] = setTimeout(fire, wait);
  }
  const registerMsPerJob = (performance.now() - registerStart) / JOBS;
  const after = memoryNow().heapUsed;
  measureFrom = originMonotonic + WARMUP_INTERVALS * INTERVAL_MS;
  measureUntil = measureFrom + MEASURED_INTERVALS * INTERVAL_MS;
  await sleepReal(measureUntil - performance.now() + 500);
  for (const handle of handles) clearTimeout(handle);
  return summarise(sample, (after - before) / JOBS, registerMsPerJob);
}

/** The subject: every job in one scheduler. */
async function measureScheduler(ids: readonly string[], limits: { concurrency?: number; perTargetConcurrency?: number; targets?: number }): Promise<Outcome> {
  const sample = newSample();
  let measureFrom = Number.POSITIVE_INFINITY;
  let measureUntil = Number.POSITIVE_INFINITY;
  const jobs: ScheduledJob[] = ids.map((id, index) => ({
    id,
    ...(limits.targets === undefined ? {} : { target: `host-${index % limits.targets}.example` }),
    run: (run: JobRun) => {
      if (run.scheduledAt >= measureFrom && run.scheduledAt < measureUntil) {
        sample.lags[sample.count] = run.lagMs;
        sample.count += 1;
      }
    },
  }));
  const trigger = every(INTERVAL_MS);
  const scheduler = createScheduler({
    ...(limits.concurrency === undefined ? {} : { concurrency: limits.concurrency }),
    ...(limits.perTargetConcurrency === undefined ? {} : { perTargetConcurrency: limits.perTargetConcurrency }),
    onError: (error, jobId) => process.stderr.write(`job ${jobId} failed: ${String(error)}\n`),
  });
  collectGarbage();
  const before = memoryNow().heapUsed;
  const registerStart = performance.now();
  for (const job of jobs) scheduler.schedule(job, trigger);
  scheduler.start();
  const registerMsPerJob = (performance.now() - registerStart) / JOBS;
  const after = memoryNow().heapUsed;
  const origin = Date.now();
  measureFrom = origin + WARMUP_INTERVALS * INTERVAL_MS;
  measureUntil = measureFrom + MEASURED_INTERVALS * INTERVAL_MS;
  await sleepReal(measureUntil - Date.now() + 500);
  const stats = scheduler.stats();
  await scheduler.stop();
  if (stats.missed > 0 || stats.skipped > 0) process.stdout.write(`scheduler stats: ${JSON.stringify(stats)}\n`);
  return summarise(sample, (after - before) / JOBS, registerMsPerJob);
}

/** Heap bytes of the job objects themselves (id string, object, run closure), for context. */
function jobObjectBytes(): number {
  collectGarbage();
  const before = memoryNow().heapUsed;
  const jobs: ScheduledJob[] = [];
  for (let index = 0; index < JOBS; index += 1) jobs.push({ id: `bench-job-${index}`, run: () => {} });
  const after = memoryNow().heapUsed;
  const perJob = (after - before) / JOBS;
  jobs.length = 0;
  return perJob;
}

/** How late an otherwise idle 1 ms timer chain fires, for `durationMs`: the machine's noise floor. */
async function measureIdleTimerLateness(durationMs: number): Promise<{ p50: number; p99: number; max: number }> {
  const lateness: number[] = [];
  const end = performance.now() + durationMs;
  await new Promise<void>((resolve) => {
    let intended = performance.now() + 1;
    const tick = (): void => {
      const now = performance.now();
      lateness.push(Math.max(0, now - intended));
      intended = Math.max(intended + 1, Math.ceil(now));
      if (now >= end) resolve();
      else setTimeout(tick, intended - now);
    };
    setTimeout(tick, 1);
  });
  return { p50: percentile(lateness, 50), p99: percentile(lateness, 99), max: Math.max(...lateness) };
}

const format = (outcome: Outcome): string =>
  `p50 ${outcome.p50.toFixed(3)} ms, p99 ${outcome.p99.toFixed(3)} ms, max ${outcome.max.toFixed(3)} ms, ${outcome.runs} runs, ${Math.round(outcome.bytesPerJob)} B/job, register ${(outcome.registerMsPerJob * 1_000).toFixed(2)} µs/job`;

const idle = await measureIdleTimerLateness(5_000);
process.stdout.write(`idle 1 ms timer chain lateness: p50 ${idle.p50.toFixed(3)} ms, p99 ${idle.p99.toFixed(3)} ms, max ${idle.max.toFixed(3)} ms\n`);
const ids = Array.from({ length: JOBS }, (_, index) => `check-${index}`);
const objectBytes = jobObjectBytes();

const naive = await measureNaive(ids);
process.stdout.write(`naive setTimeout per job: ${format(naive)}\n`);
await sleepReal(200);
const subject = await measureScheduler(ids, {});
process.stdout.write(`createScheduler:          ${format(subject)}\n`);
await sleepReal(200);
const limited = await measureScheduler(ids, { concurrency: 256, perTargetConcurrency: 8, targets: 10_000 });
process.stdout.write(`createScheduler + limits: ${format(limited)}\n`);

const lagExtra = (label: string, outcome: Outcome): Record<string, number> => ({
  [`${label} p50 ms`]: outcome.p50,
  [`${label} p99 ms`]: outcome.p99,
  [`${label} max ms`]: outcome.max,
  [`${label} runs`]: outcome.runs,
});

report({
  name: `scheduler start lag p99, ${JOBS.toLocaleString('en-US')} no-op jobs every ${INTERVAL_MS / 1_000}s`,
  baseline: { label: 'setTimeout per job', value: naive.p99, unit: 'ms', higherIsBetter: false },
  subject: { label: 'createScheduler', value: subject.p99, unit: 'ms', higherIsBetter: false },
  goal: 'p99 < 2 ms',
  extra: {
    ...lagExtra('naive', naive),
    ...lagExtra('scheduler', subject),
    'idle timer p99 ms (machine noise)': idle.p99,
    'idle timer max ms': idle.max,
  },
});

report({
  name: `scheduler heap per registered job, ${JOBS.toLocaleString('en-US')} jobs`,
  baseline: { label: 'setTimeout per job', value: naive.bytesPerJob, unit: 'B', higherIsBetter: false },
  subject: { label: 'createScheduler', value: subject.bytesPerJob, unit: 'B', higherIsBetter: false },
  goal: '< 2048 B/job',
  extra: {
    'job object B (not included)': objectBytes,
    'naive register µs/job': naive.registerMsPerJob * 1_000,
    'scheduler register µs/job': subject.registerMsPerJob * 1_000,
  },
});

report({
  name: 'scheduler start lag p99 with limits (256 global, 8 per target, 10,000 targets)',
  baseline: { label: 'no limits', value: subject.p99, unit: 'ms', higherIsBetter: false },
  subject: { label: 'with limits', value: limited.p99, unit: 'ms', higherIsBetter: false },
  goal: 'p99 < 2 ms',
  extra: { ...lagExtra('limits', limited), 'limits B/job': limited.bytesPerJob },
});
