import { afterAll, describe, expect, it } from 'vitest';
import { createMonitor } from '@vigil/core';
import type { Check, CheckResult, Monitor } from '@vigil/core';
import { type PrometheusServer, startPrometheus } from '@vigil/test-utils';
import { type PrometheusSink, createPrometheusSink } from './prometheus-sink.js';

/*
 * A real Prometheus (Debian's package) scrapes the sink on loopback every second, while a real
 * monitor runs a check every 200 ms; its query API must return the series, parsed from the
 * format it negotiated (OpenMetrics).
 */
describe('a real Prometheus scraping the sink', () => {
  let prometheus: PrometheusServer | undefined;
  let monitor: Monitor | undefined;
  let sink: PrometheusSink | undefined;
  afterAll(async () => {
    await prometheus?.close();
    await monitor?.stop();
    await sink?.shutdown();
  });

  it('stores the check, histogram, summary and monitor-health series it scraped', async () => {
    let run = 0;
    const check: Check = {
      specificationVersion: 'v1',
      meta: { name: 'test', kind: 'check', type: 'fixed', coreRange: '^0.1.0' },
      target: 'fixed:1',
      async run(): Promise<CheckResult> {
        run += 1;
        return run % 4 === 0 ? { status: 'down', reason: 'timeout', durationMs: 100 } : { status: 'up', reason: 'ok', durationMs: 2 + (run % 5) };
      },
    };
    sink = createPrometheusSink({ port: 0 });
    monitor = createMonitor({
      checks: [{ id: 'web', check, interval: '200ms', splay: false, tags: { env: 'test' } }],
      sinks: [{ id: 'prometheus', plugin: sink }],
      sinkQueue: { flushIntervalMs: 100 },
    });
    await monitor.start();
    const address = sink.address();
    expect(address).toBeDefined();
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${address?.port}`], scrapeIntervalMs: 1_000 });

    const up = await prometheus.waitFor('up{job="vigil"} == 1', { timeoutMs: 60_000 });
    expect(up).toHaveLength(1);
    const checkUp = await prometheus.waitFor('vigil_check_up{check="web"}');
    expect(checkUp[0]?.metric).toMatchObject({ check: 'web', env: 'test', job: 'vigil' });
    const results = await prometheus.waitFor('sum by (reason) (vigil_check_results_total{check="web"})', { accept: (samples) => samples.length === 2 });
    expect(results.map((sample) => sample.metric.reason).sort()).toEqual(['ok', 'timeout']);
    const buckets = await prometheus.waitFor('vigil_check_duration_seconds_bucket{check="web",le="+Inf"} > 0');
    expect(Number(buckets[0]?.value[1])).toBeGreaterThan(0);
    // The histogram is usable by PromQL: the median lies within the successful runs' 2-6 ms.
    const median = await prometheus.waitFor('histogram_quantile(0.5, vigil_check_duration_seconds_bucket{check="web"})', {
      accept: (samples) => samples.length === 1 && Number.isFinite(Number(samples[0]?.value[1])),
    });
    expect(Number(median[0]?.value[1])).toBeGreaterThan(0.001);
    expect(Number(median[0]?.value[1])).toBeLessThanOrEqual(0.01);
    const quantile = await prometheus.waitFor('vigil_check_duration_recent_seconds{check="web",quantile="0.99"}');
    expect(Number(quantile[0]?.value[1])).toBeCloseTo(0.006, 4);
    const queue = await prometheus.waitFor('vigil_monitor_sink_queue_depth{sink="prometheus"}');
    expect(queue[0]?.value[1]).toMatch(/^\d+$/);
    await prometheus.waitFor('vigil_monitor_scheduler_lag_seconds_count > 0');
    // Prometheus asked for OpenMetrics and parsed it.
    const negotiated = await prometheus.waitFor('vigil_scrapes_total{format="openmetrics"} > 0');
    expect(negotiated).toHaveLength(1);
  }, 120_000);
});
