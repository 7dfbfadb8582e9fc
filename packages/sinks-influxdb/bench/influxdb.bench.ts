/**
 * InfluxDB sink throughput: points per second into a real influxd 1.x on loopback.
 *
 * Baseline: the same line-protocol lines, encoded beforehand (not timed), POSTed in batches of
 * 2,000 lines, one request at a time, over one keep-alive node:http connection, uncompressed:
 * the cheapest way to push those points into that influxd.
 * Subject: the records themselves enqueued into the core batch processor in front of
 * `createInfluxdbSink`, then `flush()`: encoding, gzip (level 1), the processor's queue and
 * bookkeeping, and the HTTP writes, all timed. The processor hands the sink 10,000 records per
 * write (the default); the sink sends them as requests of 2,000 lines (`maxLinesPerRequest`),
 * one at a time like the baseline, encoding the next while one is in flight. Once with the
 * default gzip, once with `compression: none`.
 * Rounds alternate (baseline, gzip, none, ...) on fresh time ranges of one database each; the
 * median of each is reported, and the median of the per-round ratios (neighbouring rounds share
 * the machine's load) in `extra`. influxd shares the machine's cores with the benchmark.
 */
import http from 'node:http';
import { createSinkProcessor } from '@vigil/core';
import type { ResultRecord } from '@vigil/core';
import { sampleResultRecord, startInfluxdb } from '@vigil/test-utils';
import { createInfluxdbSink, recordLines } from '@vigil/sinks-influxdb';
import { report } from '../../../scripts/bench-kit.js';

const RECORDS = 50_000;
const BATCH = 2_000;
const ROUNDS = 9;

const pointSettings = { precision: 'ms' as const, measurements: { result: 'vigil_result', metric: 'vigil_metric', snapshot: 'vigil_latency', alert: 'vigil_alert' }, tags: {}, maxStringLength: 4_096 };

// One tags object per check, as the runtime hands them out (a check's definition tags).
const checkTags = Array.from({ length: 50 }, (_unused, index) => ({ env: 'prod', region: index % 2 === 0 ? 'eu-west' : 'us-east', fleet: 'simplex' }));

/** Results of 50 checks with realistic tags and phases, one point each, on a fresh time range. */
function records(round: number): ResultRecord[] {
  const start = Date.UTC(2026, 0, 1) + round * 3_600_000;
  return Array.from({ length: RECORDS }, (_unused, index) =>
    sampleResultRecord({
      checkId: `check-${index % 50}`,
      target: `10.0.${index % 50}.1:443`,
      tags: checkTags[index % 50],
      durationMs: 5 + (index % 97) * 0.37,
      phases: { dns: 0.4, connect: 1.8, tls: 3.1, total: 5.3 },
      metrics: [],
      timestamp: start + Math.floor(index / 50),
    }),
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const influx = await startInfluxdb();
try {
  for (const database of ['bench_raw', 'bench_gzip', 'bench_none']) await influx.createDatabase(database);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const post = (database: string, body: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const request = http.request(`${influx.url}/write?db=${database}&precision=ms`, { method: 'POST', agent, headers: { 'content-type': 'text/plain; charset=utf-8' } }, (response) => {
        response.resume();
        response.on('end', () => (response.statusCode === 204 ? resolve() : reject(new Error(`HTTP ${response.statusCode}`))));
      });
      request.on('error', reject);
      request.end(body);
    });

  const rawRound = async (round: number): Promise<number> => {
    const lines = records(round).flatMap((record) => recordLines(record, pointSettings));
    const bodies: string[] = [];
    for (let index = 0; index < lines.length; index += BATCH) bodies.push(lines.slice(index, index + BATCH).join('\n'));
    const started = performance.now();
    for (const body of bodies) await post('bench_raw', body);
    return (lines.length / (performance.now() - started)) * 1_000;
  };

  const sinkRound = async (round: number, compression: 'gzip' | 'none'): Promise<number> => {
    const batch = records(round);
    const points = batch.reduce((sum, record) => sum + recordLines(record, pointSettings).length, 0);
    const sink = createInfluxdbSink({ url: influx.url, database: `bench_${compression}`, compression, maxLinesPerRequest: BATCH });
    const processor = createSinkProcessor(sink, { maxQueueSize: RECORDS });
    await processor.start();
    const started = performance.now();
    for (const record of batch) processor.enqueue(record);
    await processor.flush({ timeoutMs: 300_000 });
    const elapsed = performance.now() - started;
    const stats = processor.stats();
    await processor.shutdown();
    if (stats.written !== batch.length) throw new Error(`sink wrote ${stats.written} of ${batch.length} records`);
    return (points / elapsed) * 1_000;
  };

  // Warm-up: JIT, influxd's first shard, connection set-up.
  await rawRound(100);
  await sinkRound(101, 'gzip');
  await sinkRound(102, 'none');

  const raw: number[] = [];
  const gzip: number[] = [];
  const none: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    raw.push(await rawRound(round * 3));
    gzip.push(await sinkRound(round * 3 + 1, 'gzip'));
    none.push(await sinkRound(round * 3 + 2, 'none'));
  }
  agent.destroy();
  for (const database of ['bench_raw', 'bench_gzip', 'bench_none']) {
    const stored = await influx.count(database, 'vigil_result', 'duration_ms');
    if (stored !== RECORDS * (ROUNDS + 1)) throw new Error(`${database} holds ${stored} points, expected ${RECORDS * (ROUNDS + 1)}`);
  }
  const baseline = { label: `raw batched POSTs (${BATCH} lines, keep-alive, no gzip)`, value: median(raw), unit: 'points/s', higherIsBetter: true };
  const roundRatio = (subject: number[]): string => median(subject.map((value, index) => value / (raw[index] as number))).toFixed(2);
  const extra = { rounds: ROUNDS, pointsPerRound: RECORDS, raw: raw.map(Math.round).join(' ') };
  report({
    name: 'InfluxDB sink points/s (gzip, default)',
    baseline,
    subject: { label: 'createInfluxdbSink via the batch processor, gzip', value: median(gzip), unit: 'points/s', higherIsBetter: true },
    goal: '>= 0.8x',
    extra: { ...extra, subject: gzip.map(Math.round).join(' '), medianRoundRatio: roundRatio(gzip) },
  });
  report({
    name: 'InfluxDB sink points/s (compression: none)',
    baseline,
    subject: { label: 'createInfluxdbSink via the batch processor, no gzip', value: median(none), unit: 'points/s', higherIsBetter: true },
    goal: '>= 0.8x',
    extra: { ...extra, subject: none.map(Math.round).join(' '), medianRoundRatio: roundRatio(none) },
  });
} finally {
  await influx.close();
}
