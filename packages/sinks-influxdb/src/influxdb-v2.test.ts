import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SinkRecord, WriteResult } from '@vigil/core';
import { type HttpServer, type InfluxdbServer, sampleAlertRecord, sampleResultRecord, startHttpServer, startInfluxdb } from '@vigil/test-utils';
import { createInfluxdbSink } from './influxdb-sink.js';

/*
 * Debian's influxd is 1.6: it has no /api/v2/write. This is the one test that does not talk to
 * the real thing directly. A local server checks every request against InfluxDB's published v2
 * write contract (https://docs.influxdata.com/influxdb/v2/api/#operation/PostWrite: POST
 * /api/v2/write?org=&bucket=&precision=ns|us|ms|s, `Authorization: Token <token>`,
 * `Content-Encoding: gzip|identity`, `Content-Type: text/plain; charset=utf-8`; answers 204, 400
 * `{"code":"invalid"}`, 401 `{"code":"unauthorized"}`, 404 bucket not found, 413 request too
 * large, 429 and 503 with `Retry-After`), then hands the line protocol to the real influxd 1.6
 * (database = bucket), so parsing and storage are still InfluxDB's own.
 */

const TOKEN = 'v2-token-abcdefghijklmnop';
const ORG = 'vigil-org';
const BUCKET = 'v2bucket';

interface SeenRequest {
  readonly method: string | undefined;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingMessage['headers'];
  readonly lines: number;
}

/** A scripted failure of a coming request; `after` requests pass first. */
type Fault = { readonly status: 429 | 503 | 500; readonly retryAfter?: string; after?: number };

describe('createInfluxdbSink with api v2 (contract server in front of influxd 1.6)', () => {
  let influx: InfluxdbServer;
  let contract: HttpServer;
  const seen: SeenRequest[] = [];
  const faults: Fault[] = [];
  /** Bodies larger than this (after decompression) get 413, like the v2 server's max body size. */
  let maxBodyBytes = Number.POSITIVE_INFINITY;

  const answer = (response: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void => {
    response.writeHead(status, { ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }), ...headers });
    response.end(body === undefined ? undefined : JSON.stringify(body));
  };

  beforeAll(async () => {
    influx = await startInfluxdb();
    await influx.createDatabase(BUCKET);
    contract = await startHttpServer(async (request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks);
      const query = Object.fromEntries(url.searchParams);
      if (request.method !== 'POST' || url.pathname !== '/api/v2/write') return answer(response, 404, { code: 'not found', message: 'path not found' });
      if (request.headers.authorization !== `Token ${TOKEN}`) return answer(response, 401, { code: 'unauthorized', message: 'unauthorized access' });
      if (!query.org) return answer(response, 400, { code: 'invalid', message: 'missing org' });
      if (!query.bucket) return answer(response, 400, { code: 'invalid', message: 'missing bucket' });
      if (query.org !== ORG) return answer(response, 404, { code: 'not found', message: `organization name "${query.org}" not found` });
      if (query.bucket !== BUCKET) return answer(response, 404, { code: 'not found', message: `bucket "${query.bucket}" not found` });
      const precision = query.precision ?? 'ns';
      if (!['ns', 'us', 'ms', 's'].includes(precision)) return answer(response, 400, { code: 'invalid', message: `invalid precision "${precision}"` });
      if (!/^text\/plain(; ?charset=utf-8)?$/i.test(request.headers['content-type'] ?? '')) return answer(response, 400, { code: 'invalid', message: 'expected text/plain' });
      const encoding = request.headers['content-encoding'] ?? 'identity';
      if (encoding !== 'gzip' && encoding !== 'identity') return answer(response, 415, { code: 'unsupported media type', message: `unsupported encoding ${encoding}` });
      const body = encoding === 'gzip' ? gunzipSync(raw) : raw;
      seen.push({ method: request.method, path: url.pathname, query, headers: request.headers, lines: body.toString('utf8').split('\n').filter(Boolean).length });
      const waiting = faults[0];
      let fault: Fault | undefined;
      if (waiting && (waiting.after ?? 0) === 0) fault = faults.shift();
      else if (waiting) waiting.after = (waiting.after ?? 0) - 1;
      if (fault) return answer(response, fault.status, { code: 'unavailable', message: 'try later' }, fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter });
      if (body.length > maxBodyBytes) return answer(response, 413, { code: 'request too large', message: 'unable to read data: points batch is too large' });
      // Storage and parsing: the real influxd, through its v1 API.
      const v1Precision = { ns: 'n', us: 'u', ms: 'ms', s: 's' }[precision as 'ns'];
      const stored = await fetch(`${influx.url}/write?db=${BUCKET}&precision=${v1Precision}`, { method: 'POST', body });
      if (stored.status === 204) return answer(response, 204);
      const detail = (await stored.json()) as { error?: string };
      return answer(response, stored.status === 400 ? 400 : 500, { code: stored.status === 400 ? 'invalid' : 'internal error', message: detail.error ?? 'write failed' });
    });
  });
  afterAll(async () => {
    await contract?.close();
    await influx?.close();
  });

  const sinkFor = (options: { token?: string; bucket?: string; compression?: 'gzip' | 'none'; maxLinesPerRequest?: number } = {}) =>
    createInfluxdbSink({
      url: `${contract.url}/`,
      api: 'v2',
      org: ORG,
      bucket: options.bucket ?? BUCKET,
      token: options.token ?? TOKEN,
      compression: options.compression ?? 'gzip',
      maxLinesPerRequest: options.maxLinesPerRequest,
    });
  const results = (count: number, from = 0): SinkRecord[] =>
    Array.from({ length: count }, (_unused, index) => sampleResultRecord({ checkId: `v2-${from + index}`, timestamp: Date.UTC(2026, 1, 1) + from + index, metrics: [] }));
  const signal = (): AbortSignal => AbortSignal.timeout(30_000);
  const message = (result: WriteResult): string => (result.kind === 'retryable' && result.error instanceof Error ? result.error.message : JSON.stringify(result));

  it('writes through /api/v2/write with the token, org, bucket, precision and gzip the contract asks for', async () => {
    seen.length = 0;
    const sink = sinkFor();
    expect(await sink.write(results(300), { signal: signal() })).toEqual({ kind: 'success' });
    expect(await sink.write(results(1, 300), { signal: signal() })).toEqual({ kind: 'success' });
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ path: '/api/v2/write', query: { org: ORG, bucket: BUCKET, precision: 'ms' }, lines: 300 });
    expect(seen[0]?.headers).toMatchObject({ authorization: `Token ${TOKEN}`, 'content-encoding': 'gzip', 'content-type': 'text/plain; charset=utf-8' });
    // A tiny body is not worth compressing.
    expect(seen[1]?.headers['content-encoding']).toBeUndefined();
    expect(await influx.count(BUCKET, 'vigil_result', 'duration_ms')).toBeGreaterThanOrEqual(301);
    await sink.shutdown();
  });

  it('reports a wrong token (401) and a missing bucket (404) as retryable, without the token in the error', async () => {
    const wrong = sinkFor({ token: 'not-the-token-0123456789' });
    const refused = await wrong.write(results(1), { signal: signal() });
    expect(refused.kind).toBe('retryable');
    expect(message(refused)).toMatch(/HTTP 401 \(check the credentials\): unauthorized access/);
    expect(message(refused)).not.toContain('not-the-token-0123456789');
    const missing = await sinkFor({ bucket: 'nope' }).write(results(1), { signal: signal() });
    expect(message(missing)).toMatch(/HTTP 404 \(does the bucket exist\?\): bucket "nope" not found/);
  });

  it('passes Retry-After of 429 and 503 on to the batch processor', async () => {
    const sink = sinkFor();
    faults.push({ status: 429, retryAfter: '7' });
    const limited = await sink.write(results(2, 1_000), { signal: signal() });
    expect(limited).toMatchObject({ kind: 'retryable', retryAfterMs: 7_000 });
    faults.push({ status: 503, retryAfter: new Date(Date.now() + 120_000).toUTCString() });
    const unavailable = await sink.write(results(2, 1_000), { signal: signal() });
    expect(unavailable.kind === 'retryable' && unavailable.retryAfterMs).toBeGreaterThan(100_000);
    // A 500 carries no Retry-After: the processor's own backoff applies.
    faults.push({ status: 500, retryAfter: '5' });
    const failed = await sink.write(results(2, 1_000), { signal: signal() });
    expect(failed).toMatchObject({ kind: 'retryable' });
    expect(failed.kind === 'retryable' && failed.retryAfterMs).toBeUndefined();
    expect(await sink.write(results(2, 1_000), { signal: signal() })).toEqual({ kind: 'success' });
  });

  it('splits a batch the server finds too large (413) until every part fits', async () => {
    seen.length = 0;
    maxBodyBytes = 20_000;
    try {
      const sink = sinkFor({ compression: 'none' });
      expect(await sink.write(results(400, 2_000), { signal: signal() })).toEqual({ kind: 'success' });
      expect(seen.length).toBeGreaterThan(2);
      const [series] = await influx.query(`SELECT count(duration_ms) FROM vigil_result WHERE time >= ${Date.UTC(2026, 1, 1) + 2_000}ms AND time < ${Date.UTC(2026, 1, 1) + 2_400}ms`, { database: BUCKET });
      expect(series?.values[0]?.[1]).toBe(400);
    } finally {
      maxBodyBytes = Number.POSITIVE_INFINITY;
    }
  });

  it('bisects a 400 to reject only the records InfluxDB refuses', async () => {
    const sink = sinkFor();
    const batch: SinkRecord[] = [...results(5, 5_000), sampleResultRecord({ checkId: 'v2-broken-clock', timestamp: 1e20, metrics: [] }), ...results(5, 5_005), sampleAlertRecord()];
    const result = await sink.write(batch, { signal: signal() });
    expect(result).toMatchObject({ kind: 'partial', accepted: [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11], rejected: [{ index: 5 }] });
    if (result.kind === 'partial') expect(result.rejected[0]?.reason).toMatch(/HTTP 400.*out of range/);
  });

  it('sends a large write as several requests, one at a time, and keeps what was stored when a later one fails', async () => {
    seen.length = 0;
    const sink = sinkFor({ maxLinesPerRequest: 100 });
    expect(await sink.write(results(250, 8_000), { signal: signal() })).toEqual({ kind: 'success' });
    expect(seen.map((request) => request.lines)).toEqual([100, 100, 50]);
    seen.length = 0;
    faults.push({ status: 503, retryAfter: '3', after: 1 });
    const result = await sink.write(results(250, 9_000), { signal: signal() });
    // The first request was stored; the second failed, so the third was never sent.
    expect(result).toEqual({ kind: 'partial', accepted: Array.from({ length: 100 }, (_unused, index) => index), rejected: [] });
    expect(seen).toHaveLength(2);
  });
});
