/**
 * SQLite sink benchmark: results stored per second.
 *
 * Subject: `sink.write(batch)` with batches of 5,000 ResultRecords (the sink's maxBatchSize), as
 * the core's batch processor calls it; and the same rows enqueued through `createSinkProcessor`
 * (queue, batching, one write in flight) and flushed.
 * Baseline: a raw better-sqlite3 loop: one prepared INSERT per row, 5,000 rows per transaction,
 * into a database with the same schema and pragmas (WAL, synchronous NORMAL), the row's JSON
 * columns serialised inline, as an application writing the same rows by hand would.
 * 100,000 rows per round into a fresh file, rounds alternating, best round of each reported.
 * Rates are per CPU second of this process (SQLite runs on the calling thread), so other load on
 * a shared machine does not skew either side; wall-clock rates are reported beside them.
 * Memory: RSS and heap after a forced GC, after the sink rounds, and the heap growth over them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { collectGarbage, machineDescription, memoryNow, report } from '../../../scripts/bench-kit.js';
import type { ResultRecord } from '../../core/src/contracts/result.js';
import { createSinkProcessor } from '../../core/src/runtime/sink-processor.js';
import { createSqliteSink } from '../src/sqlite-sink.js';

const ROWS = 100_000;
const BATCH = 5_000;
const ROUNDS = 5;

interface Rate {
  /** Rows per CPU second of this process. */
  readonly cpu: number;
  /** Rows per wall-clock second. */
  readonly wall: number;
}

/** CPU milliseconds of this process, user + system. */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1_000;
}

/** Measures `run` (which stores ROWS rows) in CPU and wall time. */
async function measure(run: () => Promise<void> | void): Promise<Rate> {
  const cpuStart = cpuMs();
  const wallStart = performance.now();
  await run();
  return { cpu: (ROWS / (cpuMs() - cpuStart)) * 1_000, wall: (ROWS / (performance.now() - wallStart)) * 1_000 };
}

const workDirectory = mkdtempSync(path.join(tmpdir(), 'vigil-sqlite-bench-'));
let fileCounter = 0;
const freshFile = (): string => path.join(workDirectory, `round-${(fileCounter += 1)}.db`);

/** Realistic TCP check results: 100 checks, one run each per 30 s, 5 % failures. */
function makeRows(count: number): ResultRecord[] {
  const rows: ResultRecord[] = [];
  const origin = Date.UTC(2026, 0, 1);
  const tagsByCheck = Array.from({ length: 100 }, (_unused, index) => Object.freeze({ env: 'prod', region: `eu-${index % 4}`, fleet: 'simplex' }));
  for (let index = 0; index < count; index += 1) {
    const check = index % 100;
    const failed = index % 20 === 0;
    const connect = 3 + ((index * 7919) % 400) / 10;
    const timestamp = origin + Math.floor(index / 100) * 30_000 + check * 10;
    rows.push({
      type: 'result',
      checkId: `check-${check}`,
      checkType: 'tcp',
      target: `10.0.${check % 8}.${check}:443`,
      tags: tagsByCheck[check] as ResultRecord['tags'],
      status: failed ? 'down' : 'up',
      reason: failed ? 'timeout' : 'ok',
      message: failed ? 'no answer within 5 s' : undefined,
      durationMs: failed ? 5_000 : connect + 4.2,
      phases: failed ? { dns: 0.4 } : { dns: 0.4, connect, tls: 3.8, total: connect + 4.2 },
      metrics: [],
      details: undefined,
      timestamp,
      scheduledAt: timestamp - 1,
      lagMs: 1,
      attempts: 1,
    });
  }
  return rows;
}

const rows = makeRows(ROWS);
const signal = AbortSignal.timeout(600_000);

/** The store's schema and pragmas, created by the sink itself so both sides write the same table. */
async function preparedStoreFile(): Promise<string> {
  const file = freshFile();
  const sink = createSqliteSink({ path: file });
  await sink.start?.({ signal });
  await sink.shutdown();
  return file;
}

async function rawRound(): Promise<Rate> {
  const file = await preparedStoreFile();
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  const insert = database.prepare(
    `INSERT INTO results (check_id, check_type, target, timestamp, scheduled_at, lag_ms, status, reason, message, duration_ms, attempts, tags, phases, metrics, details)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertBatch = database.transaction((batch: readonly ResultRecord[]) => {
    for (const row of batch) {
      insert.run(
        row.checkId,
        row.checkType,
        row.target ?? null,
        row.timestamp,
        row.scheduledAt,
        row.lagMs,
        row.status,
        row.reason,
        row.message ?? null,
        row.durationMs,
        row.attempts,
        JSON.stringify(row.tags),
        JSON.stringify(row.phases),
        JSON.stringify(row.metrics),
        row.details === undefined ? null : JSON.stringify(row.details),
      );
    }
  });
  const rate = await measure(() => {
    for (let offset = 0; offset < ROWS; offset += BATCH) insertBatch(rows.slice(offset, offset + BATCH));
  });
  database.close();
  return rate;
}

async function sinkRound(): Promise<Rate> {
  const sink = createSqliteSink({ path: freshFile(), maxBatchSize: BATCH });
  await sink.start?.({ signal });
  const rate = await measure(async () => {
    for (let offset = 0; offset < ROWS; offset += BATCH) {
      const result = await sink.write(rows.slice(offset, offset + BATCH), { signal });
      if (result.kind !== 'success') throw new Error(`write failed: ${JSON.stringify(result)}`);
    }
  });
  await sink.shutdown();
  return rate;
}

async function processorRound(): Promise<Rate> {
  const sink = createSqliteSink({ path: freshFile(), maxBatchSize: BATCH });
  const processor = createSinkProcessor(sink, { maxQueueSize: ROWS, flushIntervalMs: 1_000 });
  await processor.start();
  const rate = await measure(async () => {
    for (const row of rows) processor.enqueue(row);
    await processor.flush({ timeoutMs: 600_000 });
  });
  const stats = processor.stats();
  await processor.shutdown();
  if (stats.written !== ROWS) throw new Error(`processor wrote ${stats.written} of ${ROWS}`);
  return rate;
}

const raw: Rate[] = [];
const direct: Rate[] = [];
const processed: Rate[] = [];
const baselineMemory = memoryNow();
for (let round = 0; round < ROUNDS; round += 1) {
  raw.push(await rawRound());
  direct.push(await sinkRound());
  processed.push(await processorRound());
  collectGarbage();
}
const afterMemory = memoryNow();
rmSync(workDirectory, { recursive: true, force: true });

const best = (values: readonly Rate[], key: keyof Rate): number => Math.max(...values.map((value) => value[key]));
const format = (values: readonly Rate[]): string => values.map((value) => `${Math.round(value.cpu).toLocaleString('en-US')} cpu, ${Math.round(value.wall).toLocaleString('en-US')} wall`).join(' / ');
process.stdout.write(`machine: ${machineDescription()}\n`);
process.stdout.write(`raw rounds (rows/s): ${format(raw)}\nsink rounds: ${format(direct)}\nprocessor rounds: ${format(processed)}\n`);

const mebibytes = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
const baselineLabel = 'better-sqlite3 prepared insert, 5,000 per transaction';
report({
  name: 'SQLite sink: results per CPU second, sink.write in batches of 5,000 vs raw prepared INSERT loop',
  baseline: { label: baselineLabel, value: best(raw, 'cpu'), unit: 'rows/s', higherIsBetter: true },
  subject: { label: 'sink.write', value: best(direct, 'cpu'), unit: 'rows/s', higherIsBetter: true },
  goal: '>= 0.4x',
  extra: {
    'wall rows/s raw': best(raw, 'wall'),
    'wall rows/s sink': best(direct, 'wall'),
    rows: ROWS,
    rounds: ROUNDS,
    'rss MiB': mebibytes(afterMemory.rss),
    'heap MiB': mebibytes(afterMemory.heapUsed),
    'heap growth MiB': mebibytes(afterMemory.heapUsed - baselineMemory.heapUsed),
  },
});
report({
  name: 'SQLite sink: results per CPU second through createSinkProcessor (enqueue + flush) vs raw prepared INSERT loop',
  baseline: { label: baselineLabel, value: best(raw, 'cpu'), unit: 'rows/s', higherIsBetter: true },
  subject: { label: 'processor + sink', value: best(processed, 'cpu'), unit: 'rows/s', higherIsBetter: true },
  goal: '>= 0.4x',
  extra: { 'wall rows/s processor': best(processed, 'wall'), rows: ROWS, rounds: ROUNDS },
});
