/**
 * Prometheus sink costs, against the way client libraries (prom-client, client_golang) keep a
 * histogram: one counter per bucket, incremented at each observation, rendered as is.
 *
 * 1. Write: results per second through `sink.write` (batches of 1,000 results of 1,000 checks:
 *    HDR recording, counters, label bookkeeping) against the baseline's observe loop (find the
 *    bucket, bump counters, sum) for the same durations.
 * 2. Scrape: milliseconds to render `/metrics` (text format) for 1,000 checks with 100 results
 *    each, every check changed since the last scrape (the worst case): the sink derives each
 *    check's buckets from its HDR histogram and its summary quantiles over the window; the
 *    baseline renders its counters (histogram only, no summary, no other families). The sink's
 *    exposition is larger; its size is in `extra`.
 * 3. The same scrape when no check has a new result (the sink reuses each check's rendered lines
 *    until its next result or the next step of the summary window).
 */
import { createPrometheusSink, defaultHistogramBuckets } from '@vigil/sinks-prometheus';
import type { ResultRecord } from '@vigil/core';
import { sampleResultRecord } from '@vigil/test-utils';
import { collectGarbage, report } from '../../../scripts/bench-kit.js';

const CHECKS = 1_000;
const PER_CHECK = 100;
const ROUNDS = 7;

const checkTags = Array.from({ length: CHECKS }, (_unused, index) => ({ env: 'prod', region: index % 2 === 0 ? 'eu-west' : 'us-east' }));
const records: ResultRecord[] = [];
for (let run = 0; run < PER_CHECK; run += 1) {
  for (let check = 0; check < CHECKS; check += 1) {
    records.push(sampleResultRecord({ checkId: `check-${check}`, tags: checkTags[check], durationMs: 1 + ((check * 7 + run * 13) % 500) * 0.8, metrics: [] }));
  }
}

/** The client-library way: fixed buckets counted at observation time. */
function createBaseline() {
  const bounds = defaultHistogramBuckets;
  const series = new Map<string, { labels: string; counts: Float64Array; sum: number; count: number }>();
  return {
    observe(record: ResultRecord): void {
      let entry = series.get(record.checkId);
      if (!entry) {
        const labels = `check="${record.checkId}",env="${record.tags.env}",region="${record.tags.region}"`;
        entry = { labels, counts: new Float64Array(bounds.length), sum: 0, count: 0 };
        series.set(record.checkId, entry);
      }
      const seconds = record.durationMs / 1_000;
      for (let index = 0; index < bounds.length; index += 1) if (seconds <= (bounds[index] as number)) entry.counts[index] = (entry.counts[index] as number) + 1;
      entry.sum += seconds;
      entry.count += 1;
    },
    render(): string {
      const lines: string[] = ['# HELP check_duration_seconds Durations.\n# TYPE check_duration_seconds histogram\n'];
      for (const entry of series.values()) {
        for (let index = 0; index < bounds.length; index += 1) lines.push(`check_duration_seconds_bucket{${entry.labels},le="${bounds[index]}"} ${entry.counts[index]}\n`);
        lines.push(`check_duration_seconds_bucket{${entry.labels},le="+Inf"} ${entry.count}\n`, `check_duration_seconds_sum{${entry.labels}} ${entry.sum}\n`, `check_duration_seconds_count{${entry.labels}} ${entry.count}\n`);
      }
      return lines.join('');
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const signal = AbortSignal.timeout(600_000);
const writeRates: number[] = [];
const baselineRates: number[] = [];
const renderMs: number[] = [];
const cachedRenderMs: number[] = [];
const baselineRenderMs: number[] = [];
let sinkBytes = 0;
let baselineBytes = 0;
for (let round = 0; round < ROUNDS; round += 1) {
  const baseline = createBaseline();
  collectGarbage();
  let started = performance.now();
  for (const record of records) baseline.observe(record);
  baselineRates.push((records.length / (performance.now() - started)) * 1_000);

  const sink = createPrometheusSink({ port: 0 });
  collectGarbage();
  started = performance.now();
  for (let index = 0; index < records.length; index += 1_000) await sink.write(records.slice(index, index + 1_000), { signal });
  writeRates.push((records.length / (performance.now() - started)) * 1_000);

  started = performance.now();
  const baselineText = baseline.render();
  baselineRenderMs.push(performance.now() - started);
  started = performance.now();
  const sinkText = sink.render('text');
  renderMs.push(performance.now() - started);
  started = performance.now();
  sink.render('text');
  cachedRenderMs.push(performance.now() - started);
  sinkBytes = sinkText.length;
  baselineBytes = baselineText.length;
  await sink.shutdown();
}

report({
  name: 'Prometheus sink write: results/s (1,000 checks)',
  baseline: { label: 'fixed-bucket histogram observe (client-library style)', value: median(baselineRates), unit: 'results/s', higherIsBetter: true },
  subject: { label: 'createPrometheusSink write (HDR + counters + labels)', value: median(writeRates), unit: 'results/s', higherIsBetter: true },
});
report({
  name: 'Prometheus sink scrape: render time for 1,000 checks',
  baseline: { label: 'fixed-bucket histograms only', value: median(baselineRenderMs), unit: 'ms', higherIsBetter: false },
  subject: { label: 'every family, buckets and quantiles from HDR, all checks changed', value: median(renderMs), unit: 'ms', higherIsBetter: false },
  extra: { sinkBytes, baselineBytes },
});
report({
  name: 'Prometheus sink scrape: render time for 1,000 unchanged checks',
  baseline: { label: 'fixed-bucket histograms only', value: median(baselineRenderMs), unit: 'ms', higherIsBetter: false },
  subject: { label: 'every family, cached per check', value: median(cachedRenderMs), unit: 'ms', higherIsBetter: false },
  extra: { sinkBytes, baselineBytes },
});
