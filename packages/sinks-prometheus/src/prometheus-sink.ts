import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { VigilError, createMetricsEngine, decodeSnapshot, describeError, parseOptions, systemClock } from '@vigil/core';
import type {
  AlertRecord,
  CheckStatus,
  HistogramSnapshot,
  LatencyStats,
  MetricsEngine,
  MonitorView,
  PluginDefinition,
  ResultRecord,
  SeriesRecorder,
  Sink,
  SinkRecord,
  Tags,
  WriteResult,
} from '@vigil/core';
import {
  type ExpositionFormat,
  type MetricFamily,
  type MetricType,
  OPENMETRICS_CONTENT_TYPE,
  type Sample,
  TEXT_CONTENT_TYPE,
  formatBound,
  negotiateFormat,
  renderExposition,
  renderSamples,
  sanitizeName,
} from './exposition.js';
import { type PrometheusSinkOptions, type PrometheusSinkSettings, prometheusSinkOptionsSchema } from './options.js';

const gzipAsync = promisify(gzip);
const PACKAGE = '@vigil/sinks-prometheus';
const statuses: readonly CheckStatus[] = ['up', 'degraded', 'down', 'unknown'];
/** Label names Vigil sets itself; check tags with these names are exposed as `tag_<name>`. */
const ownLabels: ReadonlySet<string> = new Set(['check', 'type', 'target', 'status', 'reason', 'le', 'quantile', 'name', 'unit', 'rule', 'severity', 'state', 'alert', 'sink', 'cause', 'job', 'instance']);

type Labels = readonly (readonly [string, string])[];

/** Where the endpoint listens once started. */
export interface PrometheusSinkAddress {
  readonly host: string;
  readonly port: number;
  /** `http://host:port/metrics`. */
  readonly url: string;
}

/** The Prometheus sink: a pull sink serving `/metrics`, `/healthz` and `/readyz`. */
export interface PrometheusSink extends Sink {
  /** The listening address; undefined before `start()` or after `shutdown()`. */
  address(): PrometheusSinkAddress | undefined;
  /** The exposition as a scrape would get it, without HTTP. */
  render(format?: ExpositionFormat): string;
}

interface CheckState {
  readonly checkId: string;
  type: string;
  target: string;
  labels: Labels;
  status: CheckStatus;
  lastTimestamp: number;
  lastDurationMs: number;
  lastLagMs: number;
  /** Results by `status\0reason`. */
  readonly results: Map<string, number>;
  /** Sum of the durations in the histogram, in seconds (exact, unlike the buckets). */
  durationSumSeconds: number;
  readonly durations: SeriesRecorder;
  /** Check metrics (gauges and counters) by name and tags. */
  readonly metrics: Map<string, { readonly labels: Labels; value: number }>;
  /** Bumped by every result: the check's rendered sample lines are reused until it changes. */
  version: number;
  /** Sample lines per entry of `checkFamilies`, for `version` and a window step. */
  rendered: { readonly version: number; readonly step: number; readonly chunks: readonly string[] } | undefined;
}

/** A family with one or more samples per check, rendered per check and cached. */
interface CheckFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly unit?: string;
  readonly samples: (state: CheckState, snapshot: HistogramSnapshot) => Sample[];
}

interface AlertState {
  readonly labels: Labels;
  firing: boolean;
}

/** Prometheus label pairs for a check's tags: sanitised names, Vigil's own names kept apart. */
function tagLabels(tags: Tags): [string, string][] {
  const labels: [string, string][] = [];
  const used = new Set<string>();
  for (const key of Object.keys(tags).sort()) {
    let name = sanitizeName(key);
    if (name.startsWith('__') || ownLabels.has(name)) name = `tag_${name.replace(/^_+/, '')}`;
    // Two tags that sanitise to one name: the first (in key order) wins.
    if (used.has(name)) continue;
    used.add(name);
    labels.push([name, tags[key] as string]);
  }
  return labels;
}

/**
 * Creates the Prometheus sink. `write` updates in-memory state (results, alert states); `start`
 * listens (default 127.0.0.1:9464) and serves it. Duration histograms and summaries come from
 * HDR histograms of each check's successful runs. With `createMonitor`, the monitor's own health
 * (sink queues, drops, scheduler) is exposed too, through `bindMonitor`.
 */
export function createPrometheusSink(options: PrometheusSinkOptions = {}): PrometheusSink {
  const settings: PrometheusSinkSettings = Object.freeze(parseOptions(prometheusSinkOptionsSchema, options, { source: 'sinks-prometheus' }));
  const prefix = settings.namespace;
  const bucketsMicros = settings.histogramBuckets.map((bound) => bound * 1_000_000);
  const windowMs = settings.summaryWindow;
  const checks = new Map<string, CheckState>();
  const alerts = new Map<string, AlertState>();
  const alertTransitions = new Map<string, { readonly labels: Labels; count: number }>();
  let engine: MetricsEngine | undefined;
  let lagSeries: SeriesRecorder | undefined;
  let lagSumSeconds = 0;
  let monitor: MonitorView | undefined;
  let server: http.Server | undefined;
  let listening: PrometheusSinkAddress | undefined;
  let startPromise: Promise<void> | undefined;
  let shutdownPromise: Promise<void> | undefined;
  const sockets = new Set<Socket>();
  const scrapes: Record<ExpositionFormat, number> = { text: 0, openmetrics: 0 };

  const clock = settings.clock ?? systemClock;
  // Engine intervals of a fifth of the window keep the rolling quantiles smooth.
  const stepMs = Math.min(60_000, Math.max(1_000, Math.floor(windowMs / 5)));
  const metrics = (): MetricsEngine => (engine ??= createMetricsEngine({ clock, windowsMs: [windowMs], snapshotIntervalMs: stepMs }));

  const checkState = (record: ResultRecord): CheckState => {
    let state = checks.get(record.checkId);
    if (!state) {
      state = {
        checkId: record.checkId,
        type: record.checkType,
        target: record.target ?? '',
        labels: [],
        status: record.status,
        lastTimestamp: record.timestamp,
        lastDurationMs: record.durationMs,
        lastLagMs: record.lagMs,
        results: new Map(),
        durationSumSeconds: 0,
        durations: metrics().series({ checkId: record.checkId, unit: 'ms' }),
        metrics: new Map(),
        version: 0,
        rendered: undefined,
      };
      checks.set(record.checkId, state);
    }
    return state;
  };

  const observeResult = (record: ResultRecord): void => {
    const state = checkState(record);
    state.version += 1;
    // Labels follow the latest record (a check's tags may change with a config reload).
    state.labels = [['check', record.checkId], ...tagLabels(record.tags)];
    state.type = record.checkType;
    state.target = record.target ?? '';
    state.status = record.status;
    state.lastTimestamp = record.timestamp;
    state.lastDurationMs = record.durationMs;
    state.lastLagMs = record.lagMs;
    const key = `${record.status}\u0000${record.reason}`;
    state.results.set(key, (state.results.get(key) ?? 0) + 1);
    // Latency describes successful runs, as in the monitor's own metrics; failures count in results.
    if ((record.status === 'up' || record.status === 'degraded') && Number.isFinite(record.durationMs)) {
      state.durations.record(record.durationMs, true);
      state.durationSumSeconds += Math.max(0, record.durationMs) / 1_000;
    }
    if (Number.isFinite(record.lagMs)) {
      lagSeries ??= metrics().series({ checkId: '__monitor', metric: 'lag', unit: 'ms' });
      lagSeries.record(record.lagMs, true);
      lagSumSeconds += Math.max(0, record.lagMs) / 1_000;
    }
    for (const metric of record.metrics) {
      if (metric.type === 'histogram') continue;
      const labels: (readonly [string, string])[] = [...state.labels, ['name', metric.name]];
      if (metric.unit !== undefined) labels.push(['unit', metric.unit]);
      if (metric.tags) for (const pair of tagLabels(metric.tags)) if (!labels.some(([name]) => name === pair[0])) labels.push(pair);
      const metricKey = JSON.stringify(labels.slice(1));
      const entry = state.metrics.get(metricKey);
      if (entry) entry.value = metric.value;
      else state.metrics.set(metricKey, { labels, value: metric.value });
    }
  };

  const observeAlert = (record: AlertRecord): void => {
    const labels: Labels = [
      ['alert', record.alertId],
      ['rule', record.ruleId],
      ['check', record.checkId],
      ['severity', record.severity],
    ];
    const current = alerts.get(record.alertId);
    if (current) current.firing = record.state === 'firing';
    else alerts.set(record.alertId, { labels, firing: record.state === 'firing' });
    const key = `${record.ruleId}\u0000${record.checkId}\u0000${record.state}`;
    const transitions = alertTransitions.get(key);
    if (transitions) transitions.count += 1;
    else alertTransitions.set(key, { labels: [['rule', record.ruleId], ['check', record.checkId], ['state', record.state]], count: 1 });
  };

  /** Cumulative bucket counts from the check's HDR histogram since it started. */
  const histogramSamples = (state: CheckState, snapshot: HistogramSnapshot): Sample[] => {
    const samples: Sample[] = [];
    let bucketIndex = 0;
    let cumulative = 0;
    // A value belongs to the first bound at or above the lowest value of its HDR bucket (values in
    // one HDR bucket are equivalent to 3 significant digits).
    for (const [boundIndex, bound] of bucketsMicros.entries()) {
      while (bucketIndex < snapshot.buckets.length && (snapshot.buckets[bucketIndex]?.lowestValue as number) <= bound) {
        cumulative += snapshot.buckets[bucketIndex]?.count as number;
        bucketIndex += 1;
      }
      samples.push({ suffix: '_bucket', labels: [...state.labels, ['le', formatBound(settings.histogramBuckets[boundIndex] as number)]], value: cumulative });
    }
    samples.push({ suffix: '_bucket', labels: [...state.labels, ['le', '+Inf']], value: snapshot.totalCount });
    samples.push({ suffix: '_sum', labels: state.labels, value: state.durationSumSeconds });
    samples.push({ suffix: '_count', labels: state.labels, value: snapshot.totalCount });
    return samples;
  };

  // The default quantiles are exactly those one stats() pass computes; others cost a pass each.
  const statsQuantiles: Readonly<Record<string, keyof LatencyStats>> = { '0.5': 'p50', '0.9': 'p90', '0.95': 'p95', '0.99': 'p99', '0.999': 'p999' };
  const quantilesFromStats = settings.quantiles.every((quantile) => statsQuantiles[String(quantile)] !== undefined);

  const summarySamples = (series: SeriesRecorder, labels: Labels, sumSeconds: number, count: number): Sample[] => {
    const windowStats = quantilesFromStats ? series.stats(windowMs) : undefined;
    const samples: Sample[] = settings.quantiles.map((quantile) => ({
      suffix: '',
      labels: [...labels, ['quantile', formatBound(quantile)]],
      // No runs in the window: NaN, as Prometheus client libraries report an empty summary.
      value: (windowStats ? (windowStats[statsQuantiles[String(quantile)] as keyof LatencyStats] as number) : series.percentile(quantile * 100, windowMs)) / 1_000,
    }));
    samples.push({ suffix: '_sum', labels, value: sumSeconds });
    samples.push({ suffix: '_count', labels, value: count });
    return samples;
  };

  const name = (suffix: string): string => `${prefix}_${suffix}`;
  const checkFamilies: readonly CheckFamily[] = [
    { name: name('check_info'), help: 'Checks known to this sink: plugin type and target (value 1).', type: 'gauge', samples: (state) => [{ suffix: '', labels: [...state.labels, ['type', state.type], ['target', state.target]], value: 1 }] },
    { name: name('check_up'), help: 'Whether the latest run of the check was up or degraded (1) or not (0).', type: 'gauge', samples: (state) => [{ suffix: '', labels: state.labels, value: state.status === 'up' || state.status === 'degraded' ? 1 : 0 }] },
    {
      name: name('check_status'),
      help: 'Status of the latest run: 1 for the current status, 0 for the others.',
      type: 'gauge',
      samples: (state) => statuses.map((status) => ({ suffix: '', labels: [...state.labels, ['status', status]] as Labels, value: state.status === status ? 1 : 0 })),
    },
    {
      name: name('check_results'),
      help: 'Check runs by status and reason code.',
      type: 'counter',
      samples: (state) =>
        [...state.results].map(([key, count]) => {
          const [status = '', reason = ''] = key.split('\u0000');
          return { suffix: '_total', labels: [...state.labels, ['status', status], ['reason', reason]] as Labels, value: count };
        }),
    },
    { name: name('check_duration_seconds'), help: 'Durations of successful runs since start (buckets from the HDR histogram, to 3 significant digits).', type: 'histogram', unit: 'seconds', samples: histogramSamples },
    {
      name: name('check_duration_recent_seconds'),
      help: `Quantiles of successful run durations over the last ${windowMs / 1_000} s, from the HDR histogram; sum and count since start.`,
      type: 'summary',
      unit: 'seconds',
      samples: (state, snapshot) => summarySamples(state.durations, state.labels, state.durationSumSeconds, snapshot.totalCount),
    },
    { name: name('check_last_duration_seconds'), help: 'Duration of the latest run (any status).', type: 'gauge', unit: 'seconds', samples: (state) => [{ suffix: '', labels: state.labels, value: state.lastDurationMs / 1_000 }] },
    { name: name('check_last_run_timestamp_seconds'), help: 'Start of the latest run, Unix time.', type: 'gauge', unit: 'seconds', samples: (state) => [{ suffix: '', labels: state.labels, value: state.lastTimestamp / 1_000 }] },
    { name: name('check_lag_seconds'), help: 'How late the latest run started (scheduler lag).', type: 'gauge', unit: 'seconds', samples: (state) => [{ suffix: '', labels: state.labels, value: state.lastLagMs / 1_000 }] },
    { name: name('check_metric_value'), help: 'Gauges and counters checks report with their results (name and unit in labels).', type: 'gauge', samples: (state) => [...state.metrics.values()].map((entry) => ({ suffix: '', labels: entry.labels, value: entry.value })) },
  ];

  /** A check's sample lines per family, rebuilt only after new results or a step of the window. */
  const renderCheck = (state: CheckState): readonly string[] => {
    const step = Math.floor(clock.now() / stepMs);
    const cached = state.rendered;
    if (cached && cached.version === state.version && cached.step === step) return cached.chunks;
    const snapshot = decodeSnapshot(state.durations.snapshot('all'));
    const chunks = checkFamilies.map((family) => renderSamples(family.name, family.samples(state, snapshot)));
    state.rendered = { version: state.version, step, chunks };
    return chunks;
  };

  const families = (): MetricFamily[] => {
    const rendered = [...checks.values()].map(renderCheck);
    const list: MetricFamily[] = checkFamilies.map((family, index) => ({
      name: family.name,
      help: family.help,
      type: family.type,
      ...(family.unit === undefined ? {} : { unit: family.unit }),
      samples: [],
      rendered: rendered.map((chunks) => chunks[index] as string),
    }));
    list.push(
      { name: name('alert_firing'), help: 'Whether the alert is firing (1) or not (0), by alert, rule and check.', type: 'gauge', samples: [...alerts.values()].map((alert) => ({ suffix: '', labels: alert.labels, value: alert.firing ? 1 : 0 })) },
      { name: name('alert_transitions'), help: 'Alert state changes by rule, check and new state.', type: 'counter', samples: [...alertTransitions.values()].map((entry) => ({ suffix: '_total', labels: entry.labels, value: entry.count })) },
      {
        name: name('monitor_scheduler_lag_seconds'),
        help: `How late check runs started: quantiles over the last ${windowMs / 1_000} s; sum and count since start.`,
        type: 'summary',
        unit: 'seconds',
        samples: lagSeries ? summarySamples(lagSeries, [], lagSumSeconds, lagSeries.stats('all').sampleCount) : [],
      },
    );
    if (monitor) list.push(...monitorFamilies(monitor));
    list.push({
      name: name('scrapes'),
      help: 'Scrapes of the metrics endpoint served, by format (text 0.0.4 or OpenMetrics).',
      type: 'counter',
      samples: (['text', 'openmetrics'] as const).map((format) => ({ suffix: '_total', labels: [['format', format]] as Labels, value: scrapes[format] })),
    });
    return list;
  };

  /** The monitor's own health, read at scrape time through the bindMonitor view. */
  const monitorFamilies = (view: MonitorView): MetricFamily[] => {
    let stats: ReturnType<MonitorView['stats']>;
    try {
      stats = view.stats();
    } catch {
      return [];
    }
    const sinks = Object.entries(stats.sinks);
    const perSink = (pick: (sink: (typeof sinks)[number][1]) => number): Sample[] => sinks.map(([sink, sinkStats]) => ({ suffix: '', labels: [['sink', sink]], value: pick(sinkStats) }));
    const counter = (samples: Sample[]): Sample[] => samples.map((sample) => ({ ...sample, suffix: '_total' }));
    return [
      { name: name('monitor_checks'), help: 'Checks in the monitor.', type: 'gauge', samples: [{ suffix: '', labels: [], value: stats.checks }] },
      { name: name('monitor_results'), help: 'Results the monitor produced since start.', type: 'counter', samples: [{ suffix: '_total', labels: [], value: stats.results }] },
      { name: name('monitor_scheduler_running'), help: 'Check runs in progress.', type: 'gauge', samples: [{ suffix: '', labels: [], value: stats.scheduler.running }] },
      { name: name('monitor_scheduler_queued'), help: 'Check runs waiting for a concurrency slot.', type: 'gauge', samples: [{ suffix: '', labels: [], value: stats.scheduler.queued }] },
      { name: name('monitor_scheduler_skipped_runs'), help: 'Runs skipped because the previous run of the check had not finished.', type: 'counter', samples: [{ suffix: '_total', labels: [], value: stats.scheduler.skipped }] },
      { name: name('monitor_scheduler_missed_runs'), help: 'Runs missed because the scheduler was late (event-loop stalls).', type: 'counter', samples: [{ suffix: '_total', labels: [], value: stats.scheduler.missed }] },
      { name: name('monitor_sink_queue_depth'), help: 'Records waiting in each sink\'s memory queue.', type: 'gauge', samples: perSink((sink) => sink.queued) },
      { name: name('monitor_sink_spooled_records'), help: 'Records waiting in each sink\'s on-disk spool.', type: 'gauge', samples: perSink((sink) => sink.spooled) },
      { name: name('monitor_sink_written_records'), help: 'Records each sink stored.', type: 'counter', samples: counter(perSink((sink) => sink.written)) },
      { name: name('monitor_sink_failed_writes'), help: 'Writes that failed and were retried.', type: 'counter', samples: counter(perSink((sink) => sink.failedWrites)) },
      {
        name: name('monitor_sink_dropped_records'),
        help: 'Records a sink dropped, by cause: overflow (queue full, no spool), rejected (refused by the backend), shutdown, spool (spool full).',
        type: 'counter',
        samples: sinks.flatMap(([sink, sinkStats]) =>
          Object.entries(sinkStats.dropped).map(([cause, count]) => ({ suffix: '_total', labels: [['sink', sink], ['cause', cause]] as Labels, value: count })),
        ),
      },
    ];
  };

  const render = (format: ExpositionFormat = 'text'): string => renderExposition(families(), format);

  const respond = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<void> => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok\n');
      return;
    }
    if (path === '/readyz') {
      const ready = shutdownPromise === undefined;
      response.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' }).end(ready ? 'ready\n' : 'shutting down\n');
      return;
    }
    if (path !== settings.path) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`not found; metrics are at ${settings.path}\n`);
      return;
    }
    const format = negotiateFormat(request.headers.accept);
    scrapes[format] += 1;
    let body: Buffer = Buffer.from(render(format), 'utf8');
    const headers: Record<string, string> = { 'content-type': format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE, vary: 'Accept, Accept-Encoding' };
    if (/\bgzip\b/.test(request.headers['accept-encoding'] ?? '') && body.length >= 1_024) {
      body = await gzipAsync(body);
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = String(body.length);
    response.writeHead(200, headers);
    response.end(request.method === 'HEAD' ? undefined : body);
  };

  const sink: PrometheusSink = {
    specificationVersion: 'v1',
    meta: { name: PACKAGE, kind: 'sink', type: 'prometheus', coreRange: '^0.1.0' },
    maxBatchSize: 10_000,
    accepts: settings.accepts,
    bindMonitor(view) {
      monitor = view;
    },
    start() {
      if (shutdownPromise) return Promise.reject(new VigilError('VIGIL_ERR_SHUT_DOWN', '[sinks-prometheus] start after shutdown'));
      startPromise ??= new Promise<void>((resolve, reject) => {
        const created = http.createServer((request, response) => {
          respond(request, response).catch((error: unknown) => {
            if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
            response.end(`[sinks-prometheus] ${describeError(error)}\n`);
          });
        });
        created.on('connection', (socket: Socket) => {
          sockets.add(socket);
          socket.once('close', () => sockets.delete(socket));
        });
        created.once('error', (error) => {
          // A failed start may be retried (the processor does): forget this attempt.
          startPromise = undefined;
          reject(new VigilError('VIGIL_ERR_SINK_WRITE', `[sinks-prometheus] cannot listen on ${settings.host}:${settings.port}: ${describeError(error)}`, { cause: error }));
        });
        created.listen({ host: settings.host, port: settings.port }, () => {
          const address = created.address() as AddressInfo;
          const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          server = created;
          listening = { host: address.address, port: address.port, url: `http://${host}:${address.port}${settings.path}` };
          resolve();
        });
      });
      return startPromise;
    },
    async write(batch: readonly SinkRecord[], { signal }): Promise<WriteResult> {
      if (shutdownPromise) throw new VigilError('VIGIL_ERR_SHUT_DOWN', '[sinks-prometheus] write after shutdown');
      if (signal.aborted) return { kind: 'retryable', error: signal.reason };
      for (const record of batch) {
        if (record.type === 'result') observeResult(record);
        else if (record.type === 'alert') observeAlert(record);
      }
      return { kind: 'success' };
    },
    shutdown() {
      shutdownPromise ??= (async () => {
        const current = server;
        server = undefined;
        listening = undefined;
        if (current) {
          const closed = new Promise<void>((resolve) => current.close(() => resolve()));
          for (const socket of sockets) socket.destroy();
          await closed;
        }
        engine?.destroy();
      })();
      return shutdownPromise;
    },
    address: () => listening,
    render,
  };
  return sink;
}

/** Registrable definition of the Prometheus sink (`type: prometheus`). */
export const prometheusSinkPlugin: PluginDefinition<typeof prometheusSinkOptionsSchema, Sink> = {
  meta: { name: PACKAGE, kind: 'sink', type: 'prometheus', coreRange: '^0.1.0' },
  optionsSchema: prometheusSinkOptionsSchema,
  create: createPrometheusSink,
  description: 'Serves check status, HDR-derived latency histograms and summaries, and the monitor health on /metrics for Prometheus.',
};
