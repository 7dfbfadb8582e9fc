/**
 * Metrics engine benchmark.
 *
 * 1. Hot path: values per second through `SeriesRecorder.record(ms)` against raw hdr-histogram-js
 *    `recordValue` of the same sequence, in the same process, alternating rounds (best of 5
 *    each), once per backend (JS, WebAssembly), against two baselines: pre-converted integer
 *    microseconds, and `Math.round(ms * 1000)` (the same input as the recorder). The recorder
 *    also clamps, counts runs and failures, keeps exact sums and both jitters. The series is
 *    busy, so a live histogram counts it (the path that matters for speed). Rates are per CPU
 *    second of this process, so other load on the machine does not skew either side.
 * 2. Quiet series (the common case): CPU ms per minute for 1,000 series of 6 values a minute each,
 *    recording, closing the interval and encoding one snapshot per series, against a live
 *    hdr-histogram-js histogram per series encoded (hdr-histogram-js's own encoder) and reset.
 * 3. Memory: 1,000 series each holding an hour of one value per 10 s (360 values, 60 closed
 *    intervals, snapshots collected every minute), heap + array buffers after a forced GC, per
 *    series, against one plain live hdr-histogram-js histogram per series holding the same values
 *    (the floor of the naive design, which would keep ~60 of them for a 1 h window).
 */
import { type Histogram, build, encodeIntoCompressedBase64, initWebAssemblySync } from 'hdr-histogram-js';
import { collectGarbage, machineDescription, report } from '../../../scripts/bench-kit.js';
import type { Clock } from '../src/util/clock.js';
import { createMetricsEngine } from '../src/metrics/index.js';
import type { MetricsEngine, SeriesRecorder } from '../src/metrics/index.js';

const VALUES = 1 << 16;
const ROUNDS = 5;
const ROUND_MS = 600;

/** Deterministic log-normal latencies around 80 ms (a few ms to a few seconds). */
function latencies(count: number, seed: number): Float64Array {
  let state = seed;
  const next = (): number => {
    state = (state * 48_271) % 2_147_483_647;
    return state / 2_147_483_647;
  };
  const values = new Float64Array(count);
  for (let index = 0; index < count; index += 1) {
    const normal = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
    values[index] = Math.exp(Math.log(80) + 0.9 * normal);
  }
  return values;
}

/** CPU milliseconds of this process: unlike wall time, other processes on the machine do not count. */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Values recorded per CPU second by `recordAll` (which records the whole sequence once). */
function rate(recordAll: () => void): number {
  const start = cpuMs();
  let passes = 0;
  while (cpuMs() - start < ROUND_MS) {
    recordAll();
    passes += 1;
  }
  return (passes * VALUES * 1000) / (cpuMs() - start);
}

/** Best of alternating rounds, so both sides see the same machine state. */
function compare(baseline: () => void, subject: () => void): { baseline: number; subject: number } {
  for (let warmup = 0; warmup < 3; warmup += 1) {
    rate(baseline);
    rate(subject);
  }
  let best = { baseline: 0, subject: 0 };
  for (let round = 0; round < ROUNDS; round += 1) {
    best = { baseline: Math.max(best.baseline, rate(baseline)), subject: Math.max(best.subject, rate(subject)) };
  }
  return best;
}

const milliseconds = latencies(VALUES, 12_345);
const microseconds = milliseconds.map((value) => Math.round(value * 1000));

interface HotPathResult {
  /** recordValue of pre-converted integer microseconds. */
  readonly raw: number;
  /** recordValue(Math.round(ms * 1000)): what a caller holding milliseconds writes. */
  readonly rawConverting: number;
  readonly recorder: number;
}

function hotPath(backend: 'js' | 'wasm'): HotPathResult {
  const useWebAssembly = backend === 'wasm';
  const raw = build({ bitBucketSize: 32, autoResize: true, numberOfSignificantValueDigits: 3, useWebAssembly });
  const rawConverting = build({ bitBucketSize: 32, autoResize: true, numberOfSignificantValueDigits: 3, useWebAssembly });
  const engine = createMetricsEngine({ histogramBackend: backend, rotation: 'manual' });
  const series = engine.series({ checkId: 'web' });
  const recordRaw = (): void => {
    for (let index = 0; index < VALUES; index += 1) raw.recordValue(microseconds[index] as number);
  };
  const recordRawConverting = (): void => {
    for (let index = 0; index < VALUES; index += 1) rawConverting.recordValue(Math.round((milliseconds[index] as number) * 1000));
  };
  const recordSeries = (): void => {
    for (let index = 0; index < VALUES; index += 1) series.record(milliseconds[index] as number, true);
  };
  const strict = compare(recordRaw, recordSeries);
  const converting = compare(recordRawConverting, recordSeries);
  if (engine.usage().liveHistogramCount !== 1) throw new Error('the benchmarked series should be live');
  // The recorder's histogram must hold what raw recording holds (same values, same buckets).
  const percentiles = [50, 99, 99.9].map((percentile) => [rawConverting.getValueAtPercentile(percentile) / 1000, series.percentile(percentile)]);
  if (percentiles.some(([expected, actual]) => expected !== actual)) throw new Error(`recorder and raw histograms differ: ${JSON.stringify(percentiles)}`);
  raw.destroy();
  rawConverting.destroy();
  engine.destroy();
  return { raw: strict.baseline, rawConverting: converting.baseline, recorder: Math.max(strict.subject, converting.subject) };
}

initWebAssemblySync();
const hotPaths = { js: hotPath('js'), wasm: hotPath('wasm') };
for (const backend of ['wasm', 'js'] as const) {
  const result = hotPaths[backend];
  const name = backend === 'js' ? 'JS' : 'WebAssembly';
  report({
    name: `SeriesRecorder.record(ms), busy series, ${name} backend vs raw recordValue(us)`,
    baseline: { label: `raw hdr-histogram-js ${backend} recordValue of integer us`, value: result.raw, unit: 'values/s', higherIsBetter: true },
    subject: { label: `SeriesRecorder.record (${backend})`, value: result.recorder, unit: 'values/s', higherIsBetter: true },
    goal: '>= 0.8x',
    extra: { nsPerValueRaw: 1e9 / result.raw, nsPerValueRecorder: 1e9 / result.recorder },
  });
  report({
    name: `SeriesRecorder.record(ms), busy series, ${name} backend vs raw recordValue(Math.round(ms * 1000))`,
    baseline: { label: `raw hdr-histogram-js ${backend} recordValue, converting ms`, value: result.rawConverting, unit: 'values/s', higherIsBetter: true },
    subject: { label: `SeriesRecorder.record (${backend})`, value: result.recorder, unit: 'values/s', higherIsBetter: true },
    goal: '>= 0.8x',
    extra: { nsPerValueRaw: 1e9 / result.rawConverting, nsPerValueRecorder: 1e9 / result.recorder },
  });
}
// The default backend (auto = WebAssembly) against the library's default build (JS).
report({
  name: 'SeriesRecorder.record(ms), default backend vs hdr-histogram-js default build',
  baseline: { label: 'raw hdr-histogram-js build() recordValue of integer us', value: hotPaths.js.raw, unit: 'values/s', higherIsBetter: true },
  subject: { label: 'SeriesRecorder.record (auto: WebAssembly)', value: hotPaths.wasm.recorder, unit: 'values/s', higherIsBetter: true },
  goal: '>= 0.8x',
});

// 2. Quiet series: the per-minute cost of 1,000 series with 6 values a minute each.
{
  const SERIES = 1_000;
  const PER_MINUTE = 6;
  const MINUTES = 60;
  const values = latencies(SERIES * PER_MINUTE * MINUTES, 4_242);
  let now = Date.UTC(2026, 0, 1);
  const clock: Clock = { now: () => now, monotonicNow: () => now, setTimeout: () => 0, clearTimeout: () => {} };

  const runEngine = (): { msPerMinute: number; snapshots: number } => {
    now = Date.UTC(2026, 0, 1);
    const engine = createMetricsEngine({ clock, rotation: 'manual' });
    const recorders = Array.from({ length: SERIES }, (_, index) => engine.series({ checkId: `check-${index}` }));
    let snapshots = 0;
    const start = cpuMs();
    for (let minute = 0; minute < MINUTES; minute += 1) {
      for (let run = 0; run < PER_MINUTE; run += 1) {
        for (let index = 0; index < SERIES; index += 1) {
          (recorders[index] as SeriesRecorder).record(values[(minute * PER_MINUTE + run) * SERIES + index] as number, true);
        }
      }
      now += 60_000;
      snapshots += engine.collectSnapshots(now).length;
    }
    const msPerMinute = (cpuMs() - start) / MINUTES;
    engine.destroy();
    return { msPerMinute, snapshots };
  };
  const runNaive = (): { msPerMinute: number; snapshots: number } => {
    const histograms = Array.from({ length: SERIES }, () => build({ bitBucketSize: 32, autoResize: true, numberOfSignificantValueDigits: 3 }));
    let snapshots = 0;
    const start = cpuMs();
    for (let minute = 0; minute < MINUTES; minute += 1) {
      for (let run = 0; run < PER_MINUTE; run += 1) {
        for (let index = 0; index < SERIES; index += 1) {
          (histograms[index] as Histogram).recordValue(Math.round((values[(minute * PER_MINUTE + run) * SERIES + index] as number) * 1000));
        }
      }
      for (const histogram of histograms) {
        if (encodeIntoCompressedBase64(histogram).length > 0) snapshots += 1;
        histogram.reset();
      }
    }
    return { msPerMinute: (cpuMs() - start) / MINUTES, snapshots };
  };
  let engineBest = Number.POSITIVE_INFINITY;
  let naiveBest = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round += 1) {
    const engineRun = runEngine();
    const naiveRun = runNaive();
    if (engineRun.snapshots !== SERIES * MINUTES || naiveRun.snapshots !== SERIES * MINUTES) throw new Error('every series should emit one snapshot a minute');
    engineBest = Math.min(engineBest, engineRun.msPerMinute);
    naiveBest = Math.min(naiveBest, naiveRun.msPerMinute);
  }
  report({
    name: '1,000 series x 6 values a minute: CPU per minute (record, close, encode snapshots)',
    baseline: { label: 'live hdr-histogram-js per series, encode + reset each minute', value: naiveBest, unit: 'ms/min', higherIsBetter: false },
    subject: { label: 'engine record + collectSnapshots', value: engineBest, unit: 'ms/min', higherIsBetter: false },
  });
}

// 3. Memory: 1,000 series, one hour of a value every 10 s.
{
  const SERIES = 1_000;
  const STEP_MS = 10_000;
  const STEPS = 360;
  const values = latencies(SERIES * STEPS, 777);
  const bytesInUse = (): number => {
    collectGarbage();
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers;
  };

  let now = Date.UTC(2026, 0, 1);
  const clock: Clock = { now: () => now, monotonicNow: () => now, setTimeout: () => 0, clearTimeout: () => {} };
  const ids = Array.from({ length: SERIES }, (_, index) => `check-${index}`);
  const beforeEngine = bytesInUse();
  let engine: MetricsEngine | undefined = createMetricsEngine({ clock, rotation: 'manual' });
  const recorders: SeriesRecorder[] = ids.map((checkId) => (engine as MetricsEngine).series({ checkId }));
  let emitted = 0;
  for (let step = 0; step < STEPS; step += 1) {
    for (let index = 0; index < SERIES; index += 1) (recorders[index] as SeriesRecorder).record(values[step * SERIES + index] as number, true);
    now += STEP_MS;
    if (now % 60_000 === 0) emitted += engine.collectSnapshots(now).length;
  }
  const usage = engine.usage();
  const hourStats = (recorders[0] as SeriesRecorder).stats(3_600_000);
  const engineBytes = bytesInUse() - beforeEngine;
  if (hourStats.sampleCount !== STEPS) throw new Error(`expected ${STEPS} values in the hour window, got ${hourStats.sampleCount}`);
  engine.destroy();
  engine = undefined;
  recorders.length = 0;

  const beforeHistograms = bytesInUse();
  const histograms: Histogram[] = ids.map(() => build({ bitBucketSize: 32, autoResize: true, numberOfSignificantValueDigits: 3 }));
  for (let step = 0; step < STEPS; step += 1) {
    for (let index = 0; index < SERIES; index += 1) (histograms[index] as Histogram).recordValue(Math.round((values[step * SERIES + index] as number) * 1000));
  }
  const histogramBytes = bytesInUse() - beforeHistograms;
  if (histograms.length !== SERIES) throw new Error('keep the histograms alive until measured');

  report({
    name: '1,000 series x 1 h of 10 s values: bytes per series',
    baseline: { label: 'one live hdr-histogram-js histogram per series', value: histogramBytes / SERIES, unit: 'B', higherIsBetter: false },
    subject: { label: 'metrics engine series (1 min/5 min/1 h windows)', value: engineBytes / SERIES, unit: 'B', higherIsBetter: false },
    extra: {
      naiveRingOf61Estimate: (61 * histogramBytes) / SERIES,
      closedIntervalsPerSeries: usage.closedIntervalCount / SERIES,
      storedCountBytesPerSeries: usage.storedCountBytes / SERIES,
      snapshotsEmitted: emitted,
    },
  });
}

process.stderr.write(`machine: ${machineDescription()}\n`);
