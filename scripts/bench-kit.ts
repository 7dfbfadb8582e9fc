/**
 * Helpers shared by every benchmark (`packages/<pkg>/bench/*.bench.ts`). A benchmark is a plain
 * script: it measures a baseline and the subject in the same process and run, then calls
 * `report()` once per comparison. `npm run bench` (scripts/bench.ts) runs each file in a fresh
 * process with `--expose-gc` and collects the reports.
 */
import os from 'node:os';

export interface Measurement {
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  /** true for rates (ops/s), false for latencies and sizes. */
  readonly higherIsBetter: boolean;
}

export interface BenchReport {
  readonly name: string;
  readonly baseline: Measurement;
  readonly subject: Measurement;
  /** The goal as text, e.g. `>= 0.8x`. */
  readonly goal?: string;
  /** Extra figures (memory in bytes, percentiles...). */
  readonly extra?: Readonly<Record<string, number | string>>;
}

export const BENCH_MARKER = 'BENCH_RESULT ';

/** subject/baseline for rates, baseline/subject for costs: above 1 always means "subject better". */
export function ratioOf(report: Pick<BenchReport, 'baseline' | 'subject'>): number {
  const { baseline, subject } = report;
  return baseline.higherIsBetter ? subject.value / baseline.value : baseline.value / subject.value;
}

/** Prints one report in the form the runner collects. */
export function report(benchReport: BenchReport): void {
  const ratio = ratioOf(benchReport);
  process.stdout.write(`${BENCH_MARKER}${JSON.stringify({ ...benchReport, ratio })}\n`);
}

/** Runs `operation` repeatedly for about `durationMs` after a warm-up and returns operations/s. */
export async function measureRate(
  operation: () => unknown | Promise<unknown>,
  options: { durationMs?: number; warmupMs?: number; batch?: number } = {},
): Promise<number> {
  const { durationMs = 2_000, warmupMs = 300, batch = 1 } = options;
  const runFor = async (ms: number): Promise<{ count: number; elapsed: number }> => {
    const start = performance.now();
    let count = 0;
    while (performance.now() - start < ms) {
      for (let index = 0; index < batch; index += 1) {
        const value = operation();
        if (value instanceof Promise) await value;
      }
      count += batch;
    }
    return { count, elapsed: performance.now() - start };
  };
  await runFor(warmupMs);
  const { count, elapsed } = await runFor(durationMs);
  return (count / elapsed) * 1_000;
}

/** Runs `operation` in `concurrency` loops at once until `durationMs` has passed, and returns completed operations/s. */
export async function measureConcurrentRate(operation: () => Promise<unknown>, options: { readonly concurrency: number; readonly durationMs: number }): Promise<number> {
  let count = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < deadline) {
        await operation();
        count += 1;
      }
    }),
  );
  return (count / (performance.now() - started)) * 1_000;
}

/**
 * Measures a baseline and a subject in the same process: one warm-up measurement each, then
 * `rounds` rounds (default 3) of baseline then subject, keeping each side's best rate, so a round
 * slowed by the machine does not decide the comparison.
 */
export async function measureBestRates(options: {
  readonly baseline: () => Promise<number>;
  readonly subject: () => Promise<number>;
  readonly rounds?: number;
}): Promise<{ baseline: number; subject: number }> {
  const { rounds = 3 } = options;
  await options.baseline();
  await options.subject();
  let baseline = 0;
  let subject = 0;
  for (let round = 0; round < rounds; round += 1) {
    baseline = Math.max(baseline, await options.baseline());
    subject = Math.max(subject, await options.subject());
  }
  return { baseline, subject };
}

/** Forces a full GC when the process runs with --expose-gc (the runner passes it). */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

/** Heap and RSS after a forced GC, in bytes. */
export function memoryNow(): { heapUsed: number; rss: number } {
  collectGarbage();
  const usage = process.memoryUsage();
  return { heapUsed: usage.heapUsed, rss: usage.rss };
}

/** A one-line description of this machine, for docs/benchmarks.md. */
export function machineDescription(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'} x${cpus.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
}

/** Percentile of an unsorted array of numbers (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
