import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileSpool, createSinkProcessor } from '@vigil/core';
import type { ResultRecord } from '@vigil/core';
import { type InfluxdbServer, sampleResultRecord, startInfluxdb } from '@vigil/test-utils';
import { createInfluxdbSink } from './influxdb-sink.js';
import { recordLines } from './points.js';

/*
 * The "must show": with influxd stopped for 60 s during a run and restarted, the number
 * of points in InfluxDB equals the number produced, and memory stays bounded during the outage.
 * Real time, real influxd (killed with SIGKILL, restarted on the same port and data directory),
 * the core batch processor with its on-disk file spool. Slow by nature (about 75 s): the only
 * such test in the repository. Deterministic: it counts the points it produced.
 */

const RECORDS_PER_TICK = 5;
const TICK_MS = 10;
const BEFORE_MS = 5_000;
const OUTAGE_MS = 60_000;
const AFTER_MS = 5_000;
const MAX_QUEUE = 1_000;

describe('InfluxDB outage', () => {
  let influx: InfluxdbServer | undefined;
  let spoolDirectory: string | undefined;
  afterAll(async () => {
    await influx?.close();
    if (spoolDirectory) await rm(spoolDirectory, { recursive: true, force: true });
  });

  it(
    'loses no point through a 60 s influxd outage, and keeps memory bounded meanwhile',
    async () => {
      influx = await startInfluxdb();
      await influx.createDatabase('outage');
      spoolDirectory = await mkdtemp(path.join(tmpdir(), 'vigil-outage-spool-'));
      const sink = createInfluxdbSink({ url: influx.url, database: 'outage', maxBatchSize: 500 });
      const spool = createFileSpool({ directory: spoolDirectory });
      const drops: string[] = [];
      const processor = createSinkProcessor(sink, {
        maxQueueSize: MAX_QUEUE,
        flushIntervalMs: 200,
        writeTimeoutMs: 5_000,
        retry: { initialDelayMs: 250, maxDelayMs: 2_000 },
        spool,
        onDrop: (count, cause) => drops.push(`${count} ${cause}`),
      });
      await processor.start();

      const pointSettings = { precision: 'ms' as const, measurements: { result: 'vigil_result', metric: 'vigil_metric', snapshot: 'vigil_latency', alert: 'vigil_alert' }, tags: {}, maxStringLength: 4_096 };
      const start = Date.UTC(2026, 2, 1);
      let sequence = 0;
      let producedResults = 0;
      let producedMetrics = 0;
      const produce = (): void => {
        for (let index = 0; index < RECORDS_PER_TICK; index += 1) {
          sequence += 1;
          // Unique timestamps: InfluxDB keeps one point per series and time.
          const record: ResultRecord = sampleResultRecord({
            checkId: 'outage',
            timestamp: start + sequence,
            metrics: sequence % 5 === 0 ? [{ type: 'gauge', name: 'queue', value: sequence }] : [],
          });
          const lines = recordLines(record, pointSettings);
          producedResults += 1;
          producedMetrics += lines.length - 1;
          processor.enqueue(record);
        }
      };

      const samples: { phase: string; queued: number; spooled: number; heapUsed: number }[] = [];
      const sample = (phase: string): void => {
        const stats = processor.stats();
        samples.push({ phase, queued: stats.queued, spooled: stats.spooled, heapUsed: process.memoryUsage().heapUsed });
      };
      const runFor = async (ms: number, phase: string): Promise<void> => {
        const until = performance.now() + ms;
        let nextSample = performance.now();
        while (performance.now() < until) {
          produce();
          if (performance.now() >= nextSample) {
            sample(phase);
            nextSample += 1_000;
          }
          await new Promise((resolve) => setTimeout(resolve, TICK_MS));
        }
      };

      await runFor(BEFORE_MS, 'before');
      await influx.stop('SIGKILL');
      await runFor(OUTAGE_MS, 'outage');
      await influx.restart();
      await runFor(AFTER_MS, 'after');
      await processor.flush({ timeoutMs: 120_000 });

      const storedResults = await influx.count('outage', 'vigil_result', 'duration_ms');
      const storedMetrics = await influx.count('outage', 'vigil_metric', 'value');
      const outage = samples.filter((entry) => entry.phase === 'outage');
      const before = samples.filter((entry) => entry.phase === 'before');
      const peakHeap = Math.max(...outage.map((entry) => entry.heapUsed));
      const peakSpooled = Math.max(...outage.map((entry) => entry.spooled));
      const stats = processor.stats();
      console.log(
        `[outage] produced ${producedResults} results + ${producedMetrics} metric points; stored ${storedResults} + ${storedMetrics}; ` +
          `peak queue ${Math.max(...samples.map((entry) => entry.queued))} (bound ${MAX_QUEUE}), peak spooled ${peakSpooled}; ` +
          `heap before ${(Math.max(...before.map((entry) => entry.heapUsed)) / 2 ** 20).toFixed(1)} MiB, peak during outage ${(peakHeap / 2 ** 20).toFixed(1)} MiB; ` +
          `writes ${stats.writes}, failed ${stats.failedWrites}`,
      );

      expect(storedResults).toBe(producedResults);
      expect(storedMetrics).toBe(producedMetrics);
      expect(drops).toEqual([]);
      expect(stats.dropped).toEqual({ overflow: 0, rejected: 0, shutdown: 0, spool: 0 });
      // Memory is bounded by the queue: everything past it went to disk, and came back.
      for (const entry of samples) expect(entry.queued).toBeLessThanOrEqual(MAX_QUEUE);
      expect(peakSpooled).toBeGreaterThan(OUTAGE_MS / TICK_MS);
      expect(stats.spooled).toBe(0);
      expect(stats.failedWrites).toBeGreaterThan(0);
      await processor.shutdown();
    },
    240_000,
  );
});
