import { z } from 'zod';

// Measurement names come from options only; these rules keep them writable as line protocol
// ('#' starts a comment line; a backslash could end or escape the name).
const measurementSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^#\s\\][^\n\r\\]*$/, 'expected a measurement name without backslashes or line breaks, not starting with # or a space');

export const influxdbSinkOptionsSchema = z
  .strictObject({
    /** Base URL of the server (a path prefix is kept, e.g. behind a reverse proxy). */
    url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).default('http://127.0.0.1:8086'),
    /** `v1`: `/write` with database and basic auth (InfluxDB 1.x, and 2.x's compatibility API). `v2`: `/api/v2/write` with org, bucket and token. */
    api: z.enum(['v1', 'v2']).default('v1'),
    /** v1: the database (required). */
    database: z.string().min(1).optional(),
    /** v1: the retention policy; default the database's default. */
    retentionPolicy: z.string().min(1).optional(),
    /** v1: basic auth. */
    username: z.string().min(1).optional(),
    password: z.string().optional(),
    /** v2: organization name or id (required). */
    org: z.string().min(1).optional(),
    /** v2: bucket name (required). */
    bucket: z.string().min(1).optional(),
    /** v2: API token (required), sent as `Authorization: Token ...`. */
    token: z.string().min(1).optional(),
    /** Timestamp precision of the points written. */
    precision: z.enum(['ns', 'us', 'ms', 's']).default('ms'),
    /** Request body compression. */
    compression: z.enum(['gzip', 'none']).default('gzip'),
    /** Records per write from the batch processor (each record is one or more points). */
    maxBatchSize: z.number().int().min(1).max(100_000).default(10_000),
    /** Lines per HTTP request; a write of more is sent as several requests, one at a time, each encoded while the previous is in flight. */
    maxLinesPerRequest: z.number().int().min(1).max(100_000).default(5_000),
    measurements: z
      .strictObject({
        result: measurementSchema.default('vigil_result'),
        metric: measurementSchema.default('vigil_metric'),
        snapshot: measurementSchema.default('vigil_latency'),
        alert: measurementSchema.default('vigil_alert'),
      })
      .prefault({}),
    /** Tags added to every point (below the check's own tags), e.g. `{ host: pi-1 }`. */
    tags: z.record(z.string().min(1), z.string()).default({}),
    /** Record types to write; default all. */
    accepts: z.array(z.enum(['result', 'snapshot', 'alert'])).min(1).optional(),
    /** v1: `CREATE DATABASE` at start (needs admin rights; harmless when it exists). */
    createDatabase: z.boolean().default(false),
    /** Longest string field (messages) in characters; longer ones are cut. */
    maxStringLength: z.number().int().min(16).max(65_536).default(4_096),
  })
  .superRefine((options, context) => {
    const require = (key: keyof typeof options, why: string): void => {
      if (options[key] === undefined) context.addIssue({ code: 'custom', path: [key], message: `required ${why}` });
    };
    const forbid = (key: keyof typeof options, why: string): void => {
      if (options[key] !== undefined) context.addIssue({ code: 'custom', path: [key], message: `not used ${why}` });
    };
    if (options.api === 'v1') {
      require('database', 'with api v1');
      for (const key of ['org', 'bucket', 'token'] as const) forbid(key, 'with api v1 (set api: v2)');
      if ((options.username === undefined) !== (options.password === undefined)) {
        context.addIssue({ code: 'custom', path: [options.username === undefined ? 'username' : 'password'], message: 'give both username and password, or neither' });
      }
    } else {
      for (const key of ['org', 'bucket', 'token'] as const) require(key, 'with api v2');
      for (const key of ['database', 'retentionPolicy', 'username', 'password'] as const) forbid(key, 'with api v2 (use org, bucket and token)');
      if (options.createDatabase) context.addIssue({ code: 'custom', path: ['createDatabase'], message: 'only with api v1' });
    }
    try {
      const url = new URL(options.url);
      if (url.search !== '' || url.hash !== '') context.addIssue({ code: 'custom', path: ['url'], message: 'expected a base URL without query or fragment' });
      if (url.username !== '' || url.password !== '') context.addIssue({ code: 'custom', path: ['url'], message: 'credentials belong in username/password (v1) or token (v2), not in the URL' });
    } catch {
      // Reported by z.url().
    }
  });

export type InfluxdbSinkOptions = z.input<typeof influxdbSinkOptionsSchema>;
export type InfluxdbSinkSettings = z.output<typeof influxdbSinkOptionsSchema>;
