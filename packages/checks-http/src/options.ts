import { dialOptionsShape, randomCredentialsNeedProxyRule, regexOptionSchema, tlsOptionsRules, tlsOptionsShape } from '@vigil/core';
import { z } from 'zod';
import { compileJsonPathCondition, parseJsonPathCondition, parseStatusRange } from './conditions.js';

// TLS and proxy fields mean the same in every check, so the core spells, defaults and validates
// them once; this schema adds only what is the HTTP check's own.
const tlsObjectSchema = z.strictObject(tlsOptionsShape).check(...tlsOptionsRules);

const urlSchema = z.string().superRefine((text, context) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    context.addIssue({ code: 'custom', message: 'expected an absolute http:// or https:// URL' });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    context.addIssue({ code: 'custom', message: `expected an http:// or https:// URL, got the scheme "${url.protocol.replace(/:$/, '')}"` });
  }
});

// RFC 9110 token characters for methods and header names.
const tokenPattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const methodSchema = z
  .string()
  .regex(tokenPattern, 'expected an HTTP method such as GET, HEAD or POST')
  .refine((method) => !['CONNECT', 'UPGRADE'].includes(method.toUpperCase()), 'CONNECT and UPGRADE cannot be checked; use a tcp check');

const headerNameSchema = z.string().regex(tokenPattern, 'expected a header name (letters, digits and !#$%&\'*+.^_`|~-)');
// A CR or LF in a value would let one header smuggle another into the request.
const headerValueSchema = z.string().refine((value) => !/[\r\n\0]/.test(value), 'header values cannot contain CR, LF or NUL');

const scalarSchema = z.union([z.string(), z.number(), z.boolean()]);

const statusItemSchema = z.union([z.number(), z.string()]).refine((value) => parseStatusRange(value) !== undefined, 'expected a status code (200), a class (2xx) or a range (200-299)');

const stringOrListSchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const jsonPathConditionObjectSchema = z.strictObject({
  path: z.string().min(1),
  /** Compare the length (items, characters or keys) instead of the value. */
  length: z.boolean().optional(),
  exists: z.boolean().optional(),
  equals: z.json().optional(),
  notEquals: z.json().optional(),
  greaterThan: z.number().optional(),
  greaterThanOrEqual: z.number().optional(),
  lessThan: z.number().optional(),
  lessThanOrEqual: z.number().optional(),
  matches: z.string().optional(),
  notMatches: z.string().optional(),
});

const jsonPathConditionSchema = z.union([z.string().min(1), jsonPathConditionObjectSchema]).superRefine((condition, context) => {
  try {
    if (typeof condition === 'string') parseJsonPathCondition(condition);
    else compileJsonPathCondition(condition);
  } catch (error) {
    context.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
  }
});

const headerExpectationSchema = z.union([
  z.string(),
  z
    .strictObject({ equals: z.string().optional(), matches: regexOptionSchema.optional(), exists: z.boolean().optional() })
    .refine((condition) => condition.exists !== false || (condition.equals === undefined && condition.matches === undefined), 'exists: false cannot be combined with equals or matches'),
]);

const bodyExpectationSchema = z.strictObject({
  /** Text the body must contain (every one of them). */
  contains: stringOrListSchema.optional(),
  /** Text the body must not contain. */
  notContains: stringOrListSchema.optional(),
  /** Regular expressions the body must match (every one of them). */
  matches: z.union([regexOptionSchema, z.array(regexOptionSchema).min(1)]).optional(),
  /** Conditions on the JSON body: `$.status == "UP"`, `len($.items) > 0`, or objects `{ path, equals }`. */
  jsonPath: z.array(jsonPathConditionSchema).min(1).optional(),
});

const expectSchema = z.strictObject({
  /** Acceptable final status codes: codes, classes (`2xx`) or ranges (`200-204`). Default `2xx`. */
  status: z.union([statusItemSchema, z.array(statusItemSchema).min(1)]).optional(),
  /** Response headers (names case-insensitive): a string for equality, or `{ equals | matches | exists }`. */
  headers: z.record(headerNameSchema, headerExpectationSchema).optional(),
  body: bodyExpectationSchema.optional(),
  /** A run slower than this (total, in milliseconds) is `degraded` / `slow_response`. */
  degradedAboveMs: z.number().positive().optional(),
});

/** Options of the HTTP check (the core adds `id`, `interval`, `timeoutMs`, `tags` and retries). */
export const httpCheckOptionsSchema = z
  .strictObject({
    /** `http://` or `https://`; `user:pass@` becomes a Basic Authorization header and is never shown. */
    url: urlSchema,
    method: methodSchema.default('GET'),
    /** Request headers. Values of secret-like headers (authorization, cookie, ...) never appear in results. */
    headers: z.record(headerNameSchema, headerValueSchema).optional(),
    /** Query parameters appended to the URL's own. */
    query: z.record(z.string().min(1), z.union([scalarSchema, z.array(scalarSchema)])).optional(),
    /** The request body: text as is, or a JSON value (sent as JSON, with content-type application/json unless set). */
    body: z.union([z.string(), z.json()]).optional(),
    /** `fresh`: a new connection per run, so connect and TLS are measured. `keep-alive`: reuse one per origin. */
    connection: z.enum(['fresh', 'keep-alive']).default('fresh'),
    /** Redirects: follow up to `maxRedirects`, treat the 3xx as the response (`none`), or fail (`error`). */
    redirect: z.enum(['follow', 'none', 'error']).default('follow'),
    maxRedirects: z.number().int().min(0).max(20).default(5),
    /** Read at most this many body bytes; a longer body is aborted there and fails the check. */
    maxBodyBytes: z.number().int().min(0).max(1_073_741_824).default(4_194_304),
    expect: expectSchema.optional(),
    /** TLS options for https:// URLs (and redirects to them). */
    tls: tlsObjectSchema.optional(),
    // proxy, onion, randomCredentials and family.
    ...dialOptionsShape,
  })
  .check(randomCredentialsNeedProxyRule)
  .refine((options) => options.method.toUpperCase() !== 'HEAD' || options.expect?.body === undefined, {
    message: 'a HEAD response has no body to assert on',
    path: ['expect', 'body'],
  });

/** What `createHttpCheck` accepts. */
export type HttpCheckOptions = z.input<typeof httpCheckOptionsSchema>;

/** The options after parsing, with defaults applied. */
export type ParsedHttpCheckOptions = z.output<typeof httpCheckOptionsSchema>;
