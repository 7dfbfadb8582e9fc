import { afterAll, describe, expect, it } from 'vitest';
import { VigilError, statsFromSnapshot } from '@vigil/core';
import type { SinkRecord, WriteResult } from '@vigil/core';
import {
  type InfluxdbServer,
  findClosedPort,
  sampleAlertRecord,
  sampleResultRecord,
  sampleSnapshotRecord,
  startInfluxdb,
  testSink,
} from '@vigil/test-utils';
import { createInfluxdbSink, influxdbSinkPlugin, parseRetryAfter } from './influxdb-sink.js';
import type { InfluxdbSinkOptions } from './options.js';

// One influxd for the whole file (each test uses its own database), started on first use.
let server: Promise<InfluxdbServer> | undefined;
const influx = (): Promise<InfluxdbServer> => (server ??= startInfluxdb());
let authServer: Promise<InfluxdbServer> | undefined;
afterAll(async () => {
  await (await server?.catch(() => undefined))?.close();
  await (await authServer?.catch(() => undefined))?.close();
});

let databases = 0;
async function freshDatabase(): Promise<string> {
  databases += 1;
  const name = `vigil_test_${databases}`;
  await (await influx()).createDatabase(name);
  return name;
}

const signal = (): AbortSignal => AbortSignal.timeout(30_000);

async function countByType(database: string): Promise<Partial<Record<SinkRecord['type'], number>>> {
  const instance = await influx();
  return {
    result: await instance.count(database, 'vigil_result', 'duration_ms'),
    snapshot: await instance.count(database, 'vigil_latency', 'count'),
    alert: await instance.count(database, 'vigil_alert', 'event_id'),
  };
}

testSink({
  plugin: influxdbSinkPlugin,
  async setup() {
    const database = await freshDatabase();
    const instance = await influx();
    return {
      sink: createInfluxdbSink({ url: instance.url, database }),
      countStored: () => countByType(database),
      invalidOptions: [
        {},
        { database: 'x', url: 'ftp://host' },
        { api: 'v2', org: 'o', bucket: 'b' },
        { database: 'x', token: 't' },
        { database: 'x', username: 'only-user' },
        { database: 'x', measurements: { result: '#comment' } },
        { database: 'x', precision: 'minutes' },
      ],
      teardown: async () => {},
    };
  },
});

describe('createInfluxdbSink against influxd 1.x', () => {
  const sinks: ReturnType<typeof createInfluxdbSink>[] = [];
  afterAll(async () => {
    for (const sink of sinks) await sink.shutdown();
  });
  const open = async (options: Partial<InfluxdbSinkOptions> & { database: string }): Promise<ReturnType<typeof createInfluxdbSink>> => {
    const sink = createInfluxdbSink({ url: (await influx()).url, ...options });
    sinks.push(sink);
    await sink.start?.({ signal: signal() });
    return sink;
  };

  it('stores results with their tags, typed fields, phases and metrics at the right time', async () => {
    const database = await freshDatabase();
    const sink = await open({ database, tags: { host: 'pi-1', env: 'overridden by the check' } });
    const record = sampleResultRecord({
      checkId: 'relay one',
      tags: { env: 'prod', 'region name': 'eu=1,"west"', time: 'not a time' },
      status: 'down',
      reason: 'connection_refused',
      message: 'refused "twice"\nby 127.0.0.1',
      durationMs: 12.5,
      lagMs: 3,
      attempts: 2,
      phases: { connect: 1.5, firstByte: 7 },
      metrics: [{ type: 'gauge', name: 'queue depth', value: 17, unit: 'messages', tags: { queue: 'main' } }],
      timestamp: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    });
    expect(await sink.write([record], { signal: signal() })).toEqual({ kind: 'success' });
    const instance = await influx();
    const [series] = await instance.query('SELECT * FROM vigil_result GROUP BY *', { database });
    expect(series?.tags).toEqual({
      check: 'relay one',
      check_type: 'tcp',
      env: 'prod',
      host: 'pi-1',
      reason: 'connection_refused',
      'region name': 'eu=1,"west"',
      status: 'down',
      tag_time: 'not a time',
      target: '127.0.0.1:8080',
    });
    const row = Object.fromEntries(series?.columns.map((column, index) => [column, series.values[0]?.[index]]) ?? []);
    expect(row).toEqual({
      time: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
      attempts: 2,
      duration_ms: 12.5,
      lag_ms: 3,
      message: 'refused "twice"\nby 127.0.0.1',
      phase_connect_ms: 1.5,
      phase_firstByte_ms: 7,
      up: 0,
    });
    // Integer fields are integers (the `i` suffix), floats stay floats.
    const fieldTypes = await instance.query('SHOW FIELD KEYS FROM vigil_result', { database });
    expect(Object.fromEntries(fieldTypes[0]?.values.map((value) => [value[0], value[1]]) ?? [])).toMatchObject({ up: 'integer', attempts: 'integer', duration_ms: 'float', message: 'string' });
    const [metric] = await instance.query('SELECT * FROM vigil_metric GROUP BY *', { database });
    expect(metric?.tags).toMatchObject({ check: 'relay one', name: 'queue depth', queue: 'main', type: 'gauge', unit: 'messages' });
    expect(metric?.values[0]?.[metric.columns.indexOf('value')]).toBe(17);
  });

  it('stores HDR snapshots as latency percentiles and alerts as events', async () => {
    const database = await freshDatabase();
    const sink = await open({ database });
    const snapshot = sampleSnapshotRecord([1, 2, 3, 5, 8, 13, 21, 250], { okCount: 7, count: 8 });
    const alert = sampleAlertRecord({ values: { failures: 3, ratio: 0.25 }, link: 'https://status.example/web' });
    expect(await sink.write([snapshot, alert], { signal: signal() })).toEqual({ kind: 'success' });
    const instance = await influx();
    const [latency] = await instance.query('SELECT * FROM vigil_latency GROUP BY *', { database });
    const expected = statsFromSnapshot(snapshot.histogram);
    const row = Object.fromEntries(latency?.columns.map((column, index) => [column, latency.values[0]?.[index]]) ?? []);
    expect(latency?.tags).toEqual({ check: 'web', env: 'test', metric: 'duration', unit: 'ms' });
    expect(row).toMatchObject({ time: snapshot.start, count: 8, ok_count: 7, success_ratio: 7 / 8, interval_ms: 60_000, samples: 8, p50: expected.p50, p95: expected.p95, p99: expected.p99, p99_9: expected.p999, max: expected.max });
    const [event] = await instance.query('SELECT * FROM vigil_alert GROUP BY *', { database });
    expect(event?.tags).toMatchObject({ check: 'web', rule: 'web-down', severity: 'critical', state: 'firing', previous_state: 'pending', reason: 'connection_refused', cause: 'transition' });
    const eventRow = Object.fromEntries(event?.columns.map((column, index) => [column, event.values[0]?.[index]]) ?? []);
    expect(eventRow).toMatchObject({ time: alert.at, message: alert.message, event_id: alert.id, alert_id: alert.alertId, since: alert.since, value_failures: 3, value_ratio: 0.25, link: 'https://status.example/web' });
  });

  it.each(['ns', 'us', 'ms', 's'] as const)('writes timestamps in precision %s', async (precision) => {
    const database = await freshDatabase();
    const sink = await open({ database, precision, compression: 'none' });
    const timestamp = Date.UTC(2026, 4, 6, 7, 8, 9, 123);
    await sink.write([sampleResultRecord({ timestamp, metrics: [] })], { signal: signal() });
    const [series] = await (await influx()).query('SELECT duration_ms FROM vigil_result', { database });
    expect(series?.values[0]?.[0]).toBe(precision === 's' ? timestamp - 123 : timestamp);
  });

  it('gzips large batches and InfluxDB stores every point', async () => {
    const database = await freshDatabase();
    const sink = await open({ database, compression: 'gzip' });
    const batch = Array.from({ length: 500 }, (_unused, index) => sampleResultRecord({ checkId: `c${index % 10}`, timestamp: Date.UTC(2026, 0, 1) + index, metrics: [] }));
    expect(await sink.write(batch, { signal: signal() })).toEqual({ kind: 'success' });
    expect(await (await influx()).count(database, 'vigil_result', 'duration_ms')).toBe(500);
  });

  it('rejects only the record InfluxDB cannot parse (a timestamp out of range) and keeps the rest', async () => {
    const database = await freshDatabase();
    const sink = await open({ database });
    const batch = [
      sampleResultRecord({ checkId: 'a', metrics: [] }),
      sampleResultRecord({ checkId: 'broken-clock', timestamp: 1e20, metrics: [] }),
      sampleResultRecord({ checkId: 'b', metrics: [] }),
      sampleAlertRecord(),
    ];
    const result = await sink.write(batch, { signal: signal() });
    expect(result.kind).toBe('partial');
    if (result.kind !== 'partial') return;
    expect(result.accepted).toEqual([0, 2, 3]);
    expect(result.rejected.map((rejection) => rejection.index)).toEqual([1]);
    expect(result.rejected[0]?.reason).toMatch(/could not parse.*out of range/);
    const counts = await countByType(database);
    expect(counts).toMatchObject({ result: 2, alert: 1 });
  });

  it('finds the refused records by bisection when InfluxDB does not name them (type conflicts)', async () => {
    const database = await freshDatabase();
    const instance = await influx();
    // Someone stored `message` of vigil_alert as a number in the same shard (field types are per
    // shard in 1.x): every alert point there now conflicts.
    const seed = await fetch(`${instance.url}/write?db=${database}&precision=ms`, { method: 'POST', body: `vigil_alert,check=old message=1 ${Date.UTC(2026, 0, 1)}` });
    expect(seed.status).toBe(204);
    const sink = await open({ database });
    const batch: SinkRecord[] = [];
    for (let index = 0; index < 40; index += 1) {
      batch.push(index % 10 === 3 ? sampleAlertRecord({ at: Date.UTC(2026, 0, 1) + index }) : sampleResultRecord({ checkId: `c${index}`, timestamp: Date.UTC(2026, 0, 1) + index, metrics: [] }));
    }
    const result = await sink.write(batch, { signal: signal() });
    expect(result.kind).toBe('partial');
    if (result.kind !== 'partial') return;
    expect(result.rejected.map((rejection) => rejection.index)).toEqual([3, 13, 23, 33]);
    expect(result.rejected[0]?.reason).toMatch(/field type conflict/);
    expect(result.accepted).toHaveLength(36);
    expect(await instance.count(database, 'vigil_result', 'duration_ms')).toBe(36);
  });

  it('rejects points older than the retention policy (named with retentionPolicy) and keeps the recent ones', async () => {
    const database = await freshDatabase();
    const instance = await influx();
    await instance.query(`CREATE RETENTION POLICY "day" ON "${database}" DURATION 1d REPLICATION 1`);
    const sink = await open({ database, retentionPolicy: 'day' });
    const now = Date.now();
    const result = await sink.write(
      [sampleResultRecord({ checkId: 'recent', timestamp: now, metrics: [] }), sampleResultRecord({ checkId: 'ancient', timestamp: now - 10 * 86_400_000, metrics: [] })],
      { signal: signal() },
    );
    expect(result).toMatchObject({ kind: 'partial', accepted: [0], rejected: [{ index: 1 }] });
    const [series] = await instance.query('SELECT count(duration_ms) FROM "day".vigil_result', { database });
    expect(series?.values[0]?.[1]).toBe(1);
  });

  it('creates the database at start when asked, and says so when it is missing', async () => {
    const instance = await influx();
    const missing = await open({ database: 'never_created' });
    const result = await missing.write([sampleResultRecord()], { signal: signal() });
    expect(result.kind).toBe('retryable');
    if (result.kind === 'retryable') expect(describeOf(result)).toMatch(/HTTP 404.*database "never_created".*createDatabase/);
    const created = await open({ database: 'made_at_start', createDatabase: true });
    expect(await created.write([sampleResultRecord({ metrics: [] })], { signal: signal() })).toEqual({ kind: 'success' });
    expect(await instance.count('made_at_start', 'vigil_result', 'duration_ms')).toBe(1);
  });

  it('reports an unreachable server as retryable', async () => {
    const port = await findClosedPort();
    const sink = createInfluxdbSink({ url: `http://127.0.0.1:${port}`, database: 'x' });
    sinks.push(sink);
    const result = await sink.write([sampleResultRecord()], { signal: signal() });
    expect(result.kind).toBe('retryable');
    expect(describeOf(result)).toMatch(/cannot reach 127\.0\.0\.1:\d+.*ECONNREFUSED/);
  });

  it('authenticates with basic auth and never shows the password in errors', async () => {
    authServer ??= startInfluxdb({ auth: true });
    const secured = await authServer;
    await secured.createDatabase('secured');
    const password = 'hunter2-very-secret';
    await secured.query(`CREATE USER "writer" WITH PASSWORD '${password}'`);
    await secured.query('GRANT WRITE ON "secured" TO "writer"');
    const good = createInfluxdbSink({ url: secured.url, database: 'secured', username: 'writer', password });
    const bad = createInfluxdbSink({ url: secured.url, database: 'secured', username: 'writer', password: `${password}-wrong` });
    sinks.push(good, bad);
    expect(await good.write([sampleResultRecord({ metrics: [] })], { signal: signal() })).toEqual({ kind: 'success' });
    const refused = await bad.write([sampleResultRecord()], { signal: signal() });
    expect(refused.kind).toBe('retryable');
    const text = describeOf(refused);
    expect(text).toMatch(/HTTP 401 \(check the credentials\)/);
    expect(text).not.toContain(password);
    expect(await secured.count('secured', 'vigil_result', 'duration_ms')).toBe(1);
    // Config errors do not echo it either.
    let configError: unknown;
    try {
      createInfluxdbSink({ url: secured.url, database: 'secured', password: 'also-very-secret' } as InfluxdbSinkOptions);
    } catch (error) {
      configError = error;
    }
    expect(VigilError.hasCode(configError, 'VIGIL_ERR_CONFIG')).toBe(true);
    expect(String((configError as Error).message)).not.toContain('also-very-secret');
  });

  it('settles a write whose signal aborts while it is in flight', async () => {
    const database = await freshDatabase();
    const sink = await open({ database });
    const controller = new AbortController();
    const batch = Array.from({ length: 2_000 }, (_unused, index) => sampleResultRecord({ timestamp: Date.UTC(2026, 0, 1) + index }));
    const writing = sink.write(batch, { signal: controller.signal });
    controller.abort(new VigilError('VIGIL_ERR_SINK_TIMEOUT', 'test abort'));
    const result: WriteResult = await writing;
    // Either the server was faster than the abort, or the write is reported retryable.
    expect(['success', 'retryable']).toContain(result.kind);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, bounded to 10 minutes', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('86400', now)).toBe(600_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

function describeOf(result: WriteResult): string {
  return result.kind === 'retryable' && result.error instanceof Error ? result.error.message : JSON.stringify(result);
}
