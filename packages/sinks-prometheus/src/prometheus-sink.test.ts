import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { createMonitor } from '@vigil/core';
import type { Check, CheckResult, SinkRecord } from '@vigil/core';
import { checkMetricsWithPromtool, createFakeClock, createMemorySink, sampleAlertRecord, sampleResultRecord, testSink } from '@vigil/test-utils';
import { OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE } from './exposition.js';
import { type PrometheusSink, createPrometheusSink, prometheusSinkPlugin } from './prometheus-sink.js';

/** `name{labels} value` lines of an exposition, parsed enough for assertions. */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const parsed: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`unparsable sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = (pair[2] as string).replace(/\\(.)/g, (_all, character: string) => (character === 'n' ? '\n' : character));
    }
    parsed.push({ name: match[1] as string, labels, value: match[3] === '+Inf' ? Number.POSITIVE_INFINITY : Number(match[3]) });
  }
  return parsed;
}

function valueOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return samples(text).find((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value;
}

const sinks: PrometheusSink[] = [];
afterAll(async () => {
  for (const sink of sinks) await sink.shutdown();
});

async function started(options: Parameters<typeof createPrometheusSink>[0] = {}): Promise<PrometheusSink> {
  const sink = createPrometheusSink({ port: 0, ...options });
  sinks.push(sink);
  await sink.start?.({ signal: AbortSignal.timeout(10_000) });
  return sink;
}

async function scrape(sink: PrometheusSink, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; text: string; encoding: string | null }> {
  const address = sink.address();
  if (!address) throw new Error('not listening');
  const response = await fetch(address.url, { headers });
  return { status: response.status, type: response.headers.get('content-type'), encoding: response.headers.get('content-encoding'), text: await response.text() };
}

const write = (sink: PrometheusSink, batch: SinkRecord[]) => sink.write(batch, { signal: AbortSignal.timeout(10_000) });

testSink({
  plugin: prometheusSinkPlugin,
  async setup() {
    const sink = createPrometheusSink({ port: 0 });
    return {
      sink,
      async countStored() {
        const { text } = await scrape(sink);
        const total = (name: string): number => samples(text).filter((sample) => sample.name === name).reduce((sum, sample) => sum + sample.value, 0);
        return { result: total('vigil_check_results_total'), alert: total('vigil_alert_transitions_total') };
      },
      invalidOptions: [{ port: -1 }, { namespace: '1bad' }, { histogramBuckets: [1, 0.5] }, { quantiles: [1.5] }, { summaryWindow: '1s' }, { path: 'metrics' }, { host: 1 }],
      teardown: async () => {},
    };
  },
});

describe('createPrometheusSink', () => {
  it('exposes status, results by reason, and a histogram whose buckets come from the HDR data', async () => {
    const sink = await started();
    const durations = [0.3, 2, 7, 40, 3_000];
    await write(sink, [
      ...durations.map((durationMs, index) => sampleResultRecord({ checkId: 'web', durationMs, timestamp: Date.UTC(2026, 0, 1) + index })),
      sampleResultRecord({ checkId: 'web', status: 'down', reason: 'timeout', durationMs: 10_000, timestamp: Date.UTC(2026, 0, 1, 1) }),
    ]);
    const { text } = await scrape(sink);
    const web = { check: 'web' };
    expect(valueOf(text, 'vigil_check_up', web)).toBe(0);
    expect(valueOf(text, 'vigil_check_status', { ...web, status: 'down' })).toBe(1);
    expect(valueOf(text, 'vigil_check_status', { ...web, status: 'up' })).toBe(0);
    expect(valueOf(text, 'vigil_check_results_total', { ...web, status: 'up', reason: 'ok' })).toBe(5);
    expect(valueOf(text, 'vigil_check_results_total', { ...web, status: 'down', reason: 'timeout' })).toBe(1);
    expect(valueOf(text, 'vigil_check_info', { ...web, type: 'tcp', target: '127.0.0.1:8080' })).toBe(1);
    // Successful runs only: 0.3 ms, 2 ms, 7 ms, 40 ms, 3 s.
    const bucket = (le: string): number | undefined => valueOf(text, 'vigil_check_duration_seconds_bucket', { ...web, le });
    expect(bucket('0.0005')).toBe(1);
    expect(bucket('0.001')).toBe(1);
    expect(bucket('0.0025')).toBe(2);
    expect(bucket('0.01')).toBe(3);
    expect(bucket('0.05')).toBe(4);
    expect(bucket('2.5')).toBe(4);
    expect(bucket('5.0')).toBe(5);
    expect(bucket('+Inf')).toBe(5);
    expect(valueOf(text, 'vigil_check_duration_seconds_count', web)).toBe(5);
    expect(valueOf(text, 'vigil_check_duration_seconds_sum', web)).toBeCloseTo(3.0493, 9);
    // Summary quantiles from the HDR histogram (3 significant digits).
    expect(valueOf(text, 'vigil_check_duration_recent_seconds', { ...web, quantile: '0.5' })).toBeCloseTo(0.007, 5);
    expect(valueOf(text, 'vigil_check_duration_recent_seconds', { ...web, quantile: '0.99' })! / 3).toBeCloseTo(1, 2);
    expect(valueOf(text, 'vigil_check_last_duration_seconds', web)).toBe(10);
    expect(valueOf(text, 'vigil_monitor_scheduler_lag_seconds_count')).toBe(6);
  });

  it('turns check tags into labels: sanitised names, Vigil names kept apart, values escaped', async () => {
    const sink = await started();
    await write(sink, [
      sampleResultRecord({
        checkId: 'relay',
        tags: { 'region name': 'eu "west"\\1\nb', check: 'not the id', __meta: 'x', '9lives': 'cat' },
        metrics: [{ type: 'gauge', name: 'queue depth', value: 17, unit: 'messages', tags: { queue: 'main' } }],
      }),
    ]);
    const { text } = await scrape(sink);
    expect(text).toContain('vigil_check_up{check="relay",_9lives="cat",tag_meta="x",tag_check="not the id",region_name="eu \\"west\\"\\\\1\\nb"} 1');
    expect(valueOf(text, 'vigil_check_metric_value', { check: 'relay', name: 'queue depth', unit: 'messages', queue: 'main' })).toBe(17);
  });

  it('tracks alert states and transitions', async () => {
    const sink = await started();
    await write(sink, [sampleAlertRecord({ alertId: 'down/web', state: 'firing' })]);
    expect(valueOf((await scrape(sink)).text, 'vigil_alert_firing', { alert: 'down/web', rule: 'web-down', check: 'web', severity: 'critical' })).toBe(1);
    await write(sink, [sampleAlertRecord({ alertId: 'down/web', state: 'resolved', previousState: 'firing' })]);
    const { text } = await scrape(sink);
    expect(valueOf(text, 'vigil_alert_firing', { alert: 'down/web' })).toBe(0);
    expect(valueOf(text, 'vigil_alert_transitions_total', { rule: 'web-down', check: 'web', state: 'firing' })).toBe(1);
    expect(valueOf(text, 'vigil_alert_transitions_total', { rule: 'web-down', check: 'web', state: 'resolved' })).toBe(1);
  });

  it('negotiates OpenMetrics or the text format from the Accept header, and gzips when asked', async () => {
    const sink = await started();
    await write(sink, [sampleResultRecord({ checkId: 'web' })]);
    const plain = await scrape(sink);
    expect(plain.type).toBe(TEXT_CONTENT_TYPE);
    expect(plain.text).toContain('# TYPE vigil_check_results_total counter\n');
    expect(plain.text).not.toContain('# EOF');
    // The header Prometheus 2.x sends.
    const open = await scrape(sink, { accept: 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1' });
    expect(open.type).toBe(OPENMETRICS_CONTENT_TYPE);
    expect(open.text).toContain('# TYPE vigil_check_results counter\n');
    expect(open.text).toContain('# UNIT vigil_check_duration_seconds seconds\n');
    expect(open.text).toContain('vigil_check_results_total{check="web",env="test",region_name="eu=1,\\"west\\"",status="up",reason="ok"} 1\n');
    expect(open.text.endsWith('# EOF\n')).toBe(true);
    expect((await scrape(sink, { accept: 'text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5' })).type).toBe(TEXT_CONTENT_TYPE);
    expect(valueOf((await scrape(sink)).text, 'vigil_scrapes_total', { format: 'openmetrics' })).toBe(1);
    // node:http does not decompress: the raw body must be gzip holding the exposition.
    const raw = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      http
        .get(sink.address()?.url ?? '', { headers: { 'accept-encoding': 'gzip' } }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ encoding: response.headers['content-encoding'], body: Buffer.concat(chunks) }));
        })
        .on('error', reject);
    });
    expect(raw.encoding).toBe('gzip');
    expect(gunzipSync(raw.body).toString('utf8')).toContain('vigil_check_up{check="web"');
  });

  it('serves /healthz and /readyz, 404 elsewhere, 405 for other methods', async () => {
    const sink = await started({ path: '/custom/metrics' });
    const base = sink.address()?.url.replace('/custom/metrics', '') ?? '';
    expect(sink.address()?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/custom\/metrics$/);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect([ready.status, await ready.text()]).toEqual([200, 'ready\n']);
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    expect((await fetch(`${base}/custom/metrics`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/custom/metrics`, { method: 'HEAD' })).status).toBe(200);
  });

  it('computes summary quantiles over the rolling window (fake clock), keeping sum and count cumulative', async () => {
    const clock = createFakeClock();
    const sink = createPrometheusSink({ port: 0, clock, summaryWindow: '1m' });
    sinks.push(sink);
    await write(sink, [sampleResultRecord({ checkId: 'web', durationMs: 50 }), sampleResultRecord({ checkId: 'web', durationMs: 50 })]);
    expect(valueOf(sink.render(), 'vigil_check_duration_recent_seconds', { check: 'web', quantile: '0.5' })).toBeCloseTo(0.05, 4);
    // The window moves in steps of a fifth of itself (12 s here): 1 min + 12 s later the first runs are out.
    await clock.advance(72_000);
    await write(sink, [sampleResultRecord({ checkId: 'web', durationMs: 400 })]);
    expect(valueOf(sink.render(), 'vigil_check_duration_recent_seconds', { check: 'web', quantile: '0.5' })).toBeCloseTo(0.4, 3);
    await clock.advance(120_000);
    const text = sink.render();
    // Nothing in the window: NaN quantiles, as client libraries report an empty summary.
    expect(valueOf(text, 'vigil_check_duration_recent_seconds', { check: 'web', quantile: '0.5' })).toBeNaN();
    expect(valueOf(text, 'vigil_check_duration_recent_seconds_count', { check: 'web' })).toBe(3);
    expect(valueOf(text, 'vigil_check_duration_recent_seconds_sum', { check: 'web' })).toBeCloseTo(0.5, 9);
  });

  it('with createMonitor, exposes the monitor health through bindMonitor', async () => {
    const clock = createFakeClock();
    const prometheus = createPrometheusSink({ port: 0, clock });
    sinks.push(prometheus);
    const check: Check = {
      specificationVersion: 'v1',
      meta: { name: 'test', kind: 'check', type: 'fixed', coreRange: '^0.1.0' },
      target: 'fixed:1',
      async run(): Promise<CheckResult> {
        return { status: 'up', reason: 'ok', durationMs: 3 };
      },
    };
    const stuck = createMemorySink({ script: Array.from({ length: 100 }, () => ({ kind: 'retryable' as const })) });
    const monitor = createMonitor({ clock, checks: [{ id: 'fixed', check, interval: '1m', splay: false }], sinks: [{ id: 'prom', plugin: prometheus }, { id: 'stuck', plugin: stuck }] });
    for (let run = 0; run < 3; run += 1) await monitor.runOnce('fixed');
    await clock.advance(1_000);
    const text = prometheus.render();
    expect(valueOf(text, 'vigil_monitor_results_total')).toBe(3);
    expect(valueOf(text, 'vigil_monitor_checks')).toBe(1);
    expect(valueOf(text, 'vigil_check_results_total', { check: 'fixed', reason: 'ok' })).toBe(3);
    expect(valueOf(text, 'vigil_monitor_sink_queue_depth', { sink: 'stuck' })).toBe(3);
    expect(valueOf(text, 'vigil_monitor_sink_failed_writes_total', { sink: 'stuck' })).toBeGreaterThan(0);
    expect(valueOf(text, 'vigil_monitor_sink_written_records_total', { sink: 'prom' })).toBe(3);
    expect(valueOf(text, 'vigil_monitor_sink_dropped_records_total', { sink: 'stuck', cause: 'overflow' })).toBe(0);
    const stopping = monitor.stop();
    await clock.runAll(120_000);
    await stopping;
  });

  it('passes promtool check metrics (lint included) with every family present', async () => {
    const clock = createFakeClock();
    const prometheus = createPrometheusSink({ port: 0, clock });
    sinks.push(prometheus);
    const monitor = createMonitor({ clock, sinks: [{ id: 'prom', plugin: prometheus }] });
    await write(prometheus, [
      sampleResultRecord({ checkId: 'web', metrics: [{ type: 'counter', name: 'bytes', value: 12 }] }),
      sampleResultRecord({ checkId: 'relay', status: 'down', reason: 'connection_refused', tags: { 'odd-key': 'v' } }),
      sampleAlertRecord(),
    ]);
    const text = prometheus.render('text');
    for (const family of ['check_info', 'check_up', 'check_status', 'check_results_total', 'check_duration_seconds', 'check_duration_recent_seconds', 'check_metric_value', 'alert_firing', 'alert_transitions_total', 'monitor_scheduler_lag_seconds', 'monitor_sink_queue_depth', 'monitor_sink_dropped_records_total', 'scrapes_total']) {
      expect(text, family).toContain(`# TYPE vigil_${family} `);
    }
    const result = await checkMetricsWithPromtool(text);
    expect(result, result.output).toEqual({ exitCode: 0, output: '' });
    const stopping = monitor.stop();
    await clock.runAll(120_000);
    await stopping;
  });

  it('refuses writes after shutdown and a second start', async () => {
    const sink = await started();
    const address = sink.address();
    await sink.shutdown();
    expect(sink.address()).toBeUndefined();
    await expect(fetch(address?.url ?? '')).rejects.toThrow();
    await expect(sink.start?.({ signal: AbortSignal.timeout(1_000) })).rejects.toThrow(/after shutdown/);
  });

  it('fails start on a port in use, and can be started again once it is free', async () => {
    const first = await started();
    const port = first.address()?.port as number;
    const second = createPrometheusSink({ port });
    sinks.push(second);
    await expect(second.start?.({ signal: AbortSignal.timeout(5_000) })).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+.*EADDRINUSE/);
    await first.shutdown();
    await second.start?.({ signal: AbortSignal.timeout(5_000) });
    expect(second.address()?.port).toBe(port);
  });
});
