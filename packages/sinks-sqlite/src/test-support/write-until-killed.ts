/**
 * Child process of the kill -9 test (crash.test.ts): writes batches through the sink until it is
 * killed, and prints the number of each batch once its write has resolved (committed). Every
 * batch holds `batchSize` results tagged with the batch number, one 1-minute snapshot and one
 * alert event; simulated time advances a minute per batch so rollups run inside the loop.
 * Usage: node --conditions=@vigil/source --import tsx write-until-killed.ts <file> <batchSize>
 */
import { createRunHistogram } from '@vigil/core';
import type { Clock, SinkRecord } from '@vigil/core';
import { createSqliteSink } from '../sqlite-sink.js';

const [file, batchSizeText] = process.argv.slice(2);
const batchSize = Number(batchSizeText);
if (!file || !Number.isSafeInteger(batchSize) || batchSize < 1) throw new Error('usage: write-until-killed.ts <file> <batchSize>');

const origin = Date.UTC(2026, 6, 1);
let now = origin;
const clock: Clock = {
  now: () => now,
  monotonicNow: () => performance.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
const sink = createSqliteSink({ path: file, rollupDelay: 0 }, { clock });
await sink.start?.({ signal: AbortSignal.timeout(30_000) });

for (let batch = 1; ; batch += 1) {
  const start = origin + (batch - 1) * 60_000;
  now = start + 60_000;
  const records: SinkRecord[] = [];
  const histogram = createRunHistogram('duration', 'ms');
  for (let index = 0; index < batchSize; index += 1) {
    const durationMs = 1 + ((index * 7 + batch) % 97) / 3;
    histogram.record(durationMs);
    records.push({
      type: 'result',
      checkId: 'crash',
      checkType: 'tcp',
      target: '127.0.0.1:9',
      tags: { batch: String(batch) },
      status: index % 10 === 0 ? 'down' : 'up',
      reason: index % 10 === 0 ? 'timeout' : 'ok',
      message: String(batch),
      durationMs,
      phases: { connect: durationMs },
      metrics: [],
      details: { index },
      timestamp: start + index,
      scheduledAt: start + index,
      lagMs: 0,
      attempts: 1,
    });
  }
  records.push({
    type: 'snapshot',
    series: 'crash',
    checkId: 'crash',
    metric: 'duration',
    unit: 'ms',
    tags: {},
    start,
    end: start + 60_000,
    count: batchSize,
    okCount: batchSize,
    histogram: histogram.summarize().snapshot,
  });
  records.push({
    type: 'alert',
    id: `event-${batch}`,
    alertId: 'down/crash',
    ruleId: 'down',
    checkId: 'crash',
    tags: {},
    severity: 'critical',
    state: batch % 2 === 1 ? 'firing' : 'resolved',
    previousState: batch % 2 === 1 ? 'pending' : 'firing',
    reason: 'timeout',
    message: `batch ${batch}`,
    values: {},
    since: start,
    at: start,
  });
  const result = await sink.write(records, { signal: AbortSignal.timeout(60_000) });
  if (result.kind !== 'success') throw new Error(`batch ${batch}: ${JSON.stringify(result)}`);
  process.stdout.write(`${batch}\n`);
}
