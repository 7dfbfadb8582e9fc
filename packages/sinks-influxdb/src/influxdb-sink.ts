import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { VigilError, coreVersion, describeError, parseOptions, redactText } from '@vigil/core';
import type { PluginDefinition, RejectedRecord, Sink, SinkRecord, WriteResult } from '@vigil/core';
import { type InfluxdbSinkOptions, type InfluxdbSinkSettings, influxdbSinkOptionsSchema } from './options.js';
import { type EncodedBatch, createPointEncoder } from './points.js';

const gzipAsync = promisify(gzip);

const PACKAGE = '@vigil/sinks-influxdb';
/** Bodies smaller than this are sent as is: compressing them costs more than it saves. */
const GZIP_MIN_BYTES = 1_024;
/** zlib level 1: line protocol still shrinks about 8x, at a fraction of the default level's CPU. */
const GZIP_LEVEL = 1;
/** Longest wait a server may ask for with Retry-After. */
const MAX_RETRY_AFTER_MS = 10 * 60_000;
/** Error bodies are read up to this size. */
const MAX_RESPONSE_BYTES = 1 << 20;

// InfluxDB 1.x reads `precision` as n/u/ms/s (anything else means nanoseconds); 2.x as ns/us/ms/s.
const v1Precision = { ns: 'n', us: 'u', ms: 'ms', s: 's' } as const;

interface HttpAnswer {
  readonly status: number;
  readonly body: string;
  readonly retryAfterMs: number | undefined;
}

/** The outcome of one POST of some records' lines. */
type Attempt =
  | { readonly kind: 'ok' }
  | { readonly kind: 'rejected'; readonly status: number; readonly message: string }
  | { readonly kind: 'retry'; readonly error: unknown; readonly retryAfterMs?: number };

/** Parses `Retry-After`: seconds, or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  const milliseconds = /^\d+$/.test(trimmed) ? Number(trimmed) * 1_000 : Date.parse(trimmed) - now;
  if (!Number.isFinite(milliseconds)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, milliseconds));
}

/** The server's error text: InfluxDB answers `{"error": ...}` (1.x) or `{"code", "message"}` (2.x). */
function serverMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON (a proxy's page, say): use the text.
  }
  return body.trim().slice(0, 2_000);
}

/**
 * When InfluxDB 1.x cannot parse some lines it writes the others and answers 400 `partial write:
 * unable to parse '<line>': <why> ... dropped=0`, naming each bad line (checked against influxd
 * 1.6). If every line it names is found in the batch, the records holding them are rejected and
 * the rest were stored; otherwise undefined (the caller bisects instead).
 */
function rejectionsFromParseErrors(indices: readonly number[], encoded: EncodedBatch, message: string): { accepted: number[]; rejected: RejectedRecord[] } | undefined {
  const marker = "unable to parse '";
  let named = 0;
  for (let position = message.indexOf(marker); position !== -1; position = message.indexOf(marker, position + marker.length)) named += 1;
  if (named === 0 || /dropped=[1-9]/.test(message)) return undefined;
  const accepted: number[] = [];
  const rejected: RejectedRecord[] = [];
  let matched = 0;
  for (const index of indices) {
    let reason: string | undefined;
    for (let line = encoded.starts[index] as number; line < (encoded.starts[index + 1] as number); line += 1) {
      const quoted = `${marker}${encoded.lines[line] as string}': `;
      const at = message.indexOf(quoted);
      if (at === -1) continue;
      matched += 1;
      const rest = message.slice(at + quoted.length);
      reason ??= `InfluxDB could not parse the point: ${rest.split('\n')[0]?.replace(/ dropped=\d+$/, '')}`;
    }
    if (reason === undefined) accepted.push(index);
    else rejected.push({ index, reason });
  }
  return matched === named ? { accepted, rejected } : undefined;
}

/**
 * Creates the InfluxDB sink: records become line-protocol points (see README), written in
 * batches (gzip) to the v1 or v2 write API. Retries, backoff and the on-disk spool belong to the
 * core's batch processor; this sink maps InfluxDB's answers onto `WriteResult`s.
 */
export function createInfluxdbSink(options: InfluxdbSinkOptions): Sink {
  const settings: InfluxdbSinkSettings = Object.freeze(parseOptions(influxdbSinkOptionsSchema, options, { source: 'sinks-influxdb' }));
  const base = new URL(settings.url);
  const transport = base.protocol === 'https:' ? https : http;
  const hostname = base.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = base.port === '' ? undefined : Number(base.port);
  const prefix = base.pathname.replace(/\/+$/, '');
  const secrets = [settings.password, settings.token].filter((secret): secret is string => secret !== undefined && secret !== '');
  const writePath =
    settings.api === 'v1'
      ? `${prefix}/write?${new URLSearchParams({ db: settings.database as string, ...(settings.retentionPolicy === undefined ? {} : { rp: settings.retentionPolicy }), precision: v1Precision[settings.precision] })}`
      : `${prefix}/api/v2/write?${new URLSearchParams({ org: settings.org as string, bucket: settings.bucket as string, precision: settings.precision })}`;
  const authorization =
    settings.api === 'v2'
      ? `Token ${settings.token as string}`
      : settings.username !== undefined
        ? `Basic ${Buffer.from(`${settings.username}:${settings.password ?? ''}`).toString('base64')}`
        : undefined;
  const where = `${base.host}${prefix}`;
  const meta = { name: PACKAGE, kind: 'sink', type: 'influxdb', coreRange: '^0.1.0' } as const;

  const encoder = createPointEncoder(settings);
  let agent: http.Agent | undefined;
  let shutdownPromise: Promise<void> | undefined;

  const clean = (text: string): string => redactText(text, secrets);
  const failure = (message: string, cause?: unknown): VigilError =>
    new VigilError('VIGIL_ERR_SINK_WRITE', clean(`[sinks-influxdb] ${message}`), cause === undefined ? {} : { cause });

  const request = (path: string, body: Buffer, headers: Record<string, string>, signal: AbortSignal): Promise<HttpAnswer> =>
    new Promise<HttpAnswer>((resolve, reject) => {
      // Keep-alive: one write follows another on the same connection.
      agent ??= new transport.Agent({ keepAlive: true, maxSockets: 4 });
      const outgoing = transport.request(
        {
          hostname,
          port,
          path,
          method: 'POST',
          agent,
          signal,
          headers: {
            'user-agent': `vigil-sinks-influxdb/${coreVersion}`,
            'content-length': String(body.length),
            ...(authorization === undefined ? {} : { authorization }),
            ...headers,
          },
          // influxd copies rejected lines, control characters included, into its X-Influxdb-Error
          // header; a strict parser would turn that answer into a network error.
          insecureHTTPParser: true,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            if (size < MAX_RESPONSE_BYTES) chunks.push(chunk);
            size += chunk.length;
          });
          response.on('end', () => {
            const retryAfter = response.headers['retry-after'];
            resolve({
              status: response.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter),
            });
          });
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });

  const post = async (body: string, signal: AbortSignal): Promise<HttpAnswer> => {
    let payload = Buffer.from(body, 'utf8');
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    if (settings.compression === 'gzip' && payload.length >= GZIP_MIN_BYTES) {
      payload = await gzipAsync(payload, { level: GZIP_LEVEL });
      headers['content-encoding'] = 'gzip';
    }
    return request(writePath, payload, headers, signal);
  };

  /** POSTs the lines of `indices` (ascending record indexes) and classifies the answer. */
  const attempt = async (indices: readonly number[], encoded: EncodedBatch, signal: AbortSignal): Promise<Attempt> => {
    const first = indices[0] as number;
    const last = indices[indices.length - 1] as number;
    let body: string;
    if (last - first === indices.length - 1) {
      // A contiguous run of records: their lines are contiguous too.
      body = encoded.lines.slice(encoded.starts[first], encoded.starts[last + 1]).join('\n');
    } else {
      const lines: string[] = [];
      for (const index of indices) for (let line = encoded.starts[index] as number; line < (encoded.starts[index + 1] as number); line += 1) lines.push(encoded.lines[line] as string);
      body = lines.join('\n');
    }
    if (body === '') return { kind: 'ok' };
    let answer: HttpAnswer;
    try {
      answer = await post(body, signal);
    } catch (error) {
      const cause = signal.aborted ? signal.reason : error;
      return { kind: 'retry', error: failure(`cannot reach ${where}: ${describeError(cause)}`, cause) };
    }
    const { status } = answer;
    if (status >= 200 && status < 300) return { kind: 'ok' };
    const message = serverMessage(answer.body);
    // 400: unparsable or conflicting points; 422 (2.x): points refused for their content;
    // 413: too large. The batch holds points InfluxDB will never take: find them.
    if (status === 400 || status === 413 || status === 422) return { kind: 'rejected', status, message: clean(message) };
    const hint =
      status === 401 || status === 403
        ? ' (check the credentials)'
        : status === 404
          ? settings.api === 'v1'
            ? ` (does database "${settings.database}" exist? createDatabase: true makes it)`
            : ' (does the bucket exist?)'
          : '';
    return { kind: 'retry', error: failure(`write to ${where} failed: HTTP ${status}${hint}: ${message}`), retryAfterMs: status === 429 || status === 503 ? answer.retryAfterMs : undefined };
  };

  const sink: Sink = {
    specificationVersion: 'v1',
    meta,
    maxBatchSize: settings.maxBatchSize,
    accepts: settings.accepts,
    async start({ signal }) {
      if (shutdownPromise) throw new VigilError('VIGIL_ERR_SHUT_DOWN', '[sinks-influxdb] start after shutdown');
      if (settings.api !== 'v1' || !settings.createDatabase) return;
      const statement = `CREATE DATABASE "${(settings.database as string).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
      let answer: HttpAnswer;
      try {
        answer = await request(`${prefix}/query`, Buffer.from(new URLSearchParams({ q: statement }).toString()), { 'content-type': 'application/x-www-form-urlencoded' }, signal);
      } catch (error) {
        throw failure(`cannot reach ${where} to create database "${settings.database}": ${describeError(error)}`, error);
      }
      const message = answer.status === 200 ? /"error":"([^"]*)"/.exec(answer.body)?.[1] : serverMessage(answer.body);
      if (answer.status !== 200 || message !== undefined) {
        throw failure(`cannot create database "${settings.database}" on ${where}: HTTP ${answer.status}: ${message ?? ''}`);
      }
    },
    async write(batch: readonly SinkRecord[], { signal }): Promise<WriteResult> {
      if (shutdownPromise) throw new VigilError('VIGIL_ERR_SHUT_DOWN', '[sinks-influxdb] write after shutdown');
      if (signal.aborted) return { kind: 'retryable', error: signal.reason };
      const lines: string[] = [];
      const starts = new Int32Array(batch.length + 1);
      const encoded: EncodedBatch = { lines, starts };
      const accepted: number[] = [];
      const rejected: RejectedRecord[] = [];
      let retry: Extract<Attempt, { kind: 'retry' }> | undefined;
      // Splits a refused set of records in halves until the records InfluxDB refuses are alone.
      // Rewriting points that were already stored is harmless: a point with the same series and
      // time replaces the old one with the same values.
      const settle = async (indices: readonly number[]): Promise<void> => {
        if (retry !== undefined) return;
        if (signal.aborted) {
          retry = { kind: 'retry', error: signal.reason };
          return;
        }
        const outcome = await attempt(indices, encoded, signal);
        if (outcome.kind === 'ok') {
          accepted.push(...indices);
          return;
        }
        if (outcome.kind === 'retry') {
          retry = outcome;
          return;
        }
        if (settings.api === 'v1' && outcome.status === 400) {
          const known = rejectionsFromParseErrors(indices, encoded, outcome.message);
          if (known) {
            accepted.push(...known.accepted);
            rejected.push(...known.rejected);
            return;
          }
        }
        if (indices.length === 1) {
          rejected.push({ index: indices[0] as number, reason: `InfluxDB refused the point (HTTP ${outcome.status}): ${outcome.message}` });
          return;
        }
        const middle = Math.ceil(indices.length / 2);
        await settle(indices.slice(0, middle));
        await settle(indices.slice(middle));
      };

      // One request of at most maxLinesPerRequest lines at a time; the next request's lines are
      // encoded while the previous one is in flight, so encoding hides behind InfluxDB's work.
      let next = 0;
      let inFlight: Promise<void> = Promise.resolve();
      while (next < batch.length) {
        const first = next;
        const firstLine = lines.length;
        while (next < batch.length && (next === first || lines.length - firstLine < settings.maxLinesPerRequest)) {
          starts[next] = lines.length;
          encoder.recordLines(batch[next] as SinkRecord, lines);
          next += 1;
        }
        starts[next] = lines.length;
        await inFlight;
        if (retry !== undefined) break;
        const indices = Array.from({ length: next - first }, (_unused, offset) => first + offset);
        inFlight = settle(indices);
      }
      await inFlight;

      const failed = retry as Extract<Attempt, { kind: 'retry' }> | undefined;
      if (failed && accepted.length === 0 && rejected.length === 0) {
        return failed.retryAfterMs === undefined ? { kind: 'retryable', error: failed.error } : { kind: 'retryable', error: failed.error, retryAfterMs: failed.retryAfterMs };
      }
      if (!failed && rejected.length === 0) return { kind: 'success' };
      return { kind: 'partial', accepted: accepted.sort((left, right) => left - right), rejected };
    },
    shutdown() {
      shutdownPromise ??= (async () => {
        agent?.destroy();
        agent = undefined;
      })();
      return shutdownPromise;
    },
  };
  return sink;
}

/** Registrable definition of the InfluxDB sink (`type: influxdb`). */
export const influxdbSinkPlugin: PluginDefinition<typeof influxdbSinkOptionsSchema, Sink> = {
  meta: { name: PACKAGE, kind: 'sink', type: 'influxdb', coreRange: '^0.1.0' },
  optionsSchema: influxdbSinkOptionsSchema,
  create: createInfluxdbSink,
  description: 'Writes results, latency percentiles and alerts to InfluxDB 1.x or 2.x as line protocol.',
};
