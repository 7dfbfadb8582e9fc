import type { IncomingHttpHeaders } from 'node:http';
import {
  type CertificateExpiryThresholds,
  type CertificateExpiryVerdict,
  type Check,
  type CheckContext,
  type CheckResult,
  type CheckStatus,
  type DialOptions,
  type DialResult,
  type LifecycleOptions,
  type PluginDefinition,
  type PluginMeta,
  type ProxyOptions,
  REDACTED,
  type ReasonCode,
  type TlsDialOptions,
  type TlsSessionSummary,
  VigilError,
  abortReasonCode,
  classifyNetworkError,
  coreVersion,
  createResultFinisher,
  evaluateCertificateExpiry,
  formatProxyUrl,
  isSecretKey,
  parseRedactedOptions,
  proxyFromOptions,
  redactText,
  roundMs,
  splitTlsOptions,
  statelessPattern,
  tlsSessionDetails,
} from '@vigil/core';
import { Client, type Dispatcher, type buildConnector } from 'undici';
import { type BodyMode, BodyCollector, BodyTooLargeError, charsetOf, decodeContent, decodeText, excerptBytes, isUtf8Compatible } from './body.js';
import {
  type HeaderCondition,
  type JsonPathCondition,
  type StatusRange,
  compileJsonPathCondition,
  evaluateHeaderCondition,
  evaluateJsonPathCondition,
  formatStatusRange,
  headerValue,
  parseJsonPathCondition,
  parseStatusRange,
} from './conditions.js';
import { type HttpCheckOptions, type ParsedHttpCheckOptions, httpCheckOptionsSchema } from './options.js';

/** Who the HTTP check is, for the plugin registry. */
export const httpCheckMeta: PluginMeta = Object.freeze({ name: '@vigil/checks-http', kind: 'check', type: 'http', coreRange: '^0.1.0' });

const userAgent = `Vigil/${coreVersion} (checks-http)`;
const redirectStatuses: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
// Sent to the server of the redirect's origin only: credentials stay with the origin they were meant for.
const originBoundHeaders = ['authorization', 'cookie', 'proxy-authorization'];
const shownBodyLength = 120;
// A keep-alive connection stays open until the server closes it (or hints a shorter time).
const keepAliveIdleMs = 600_000;
// Origins (after redirects) a check keeps a client for; more get a client per request.
const maxPooledOrigins = 8;
const ignore = (): void => {};

/** One request of a run: the first, or one after a redirect. Built once for the first. */
interface Hop {
  readonly url: URL;
  readonly origin: string;
  /** Path and query, as sent. */
  readonly path: string;
  readonly display: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
}

/** Everything a run needs, computed once by the factory. */
interface HttpCheckPlan {
  readonly firstHop: Hop;
  readonly target: string;
  readonly connection: 'fresh' | 'keep-alive';
  readonly redirect: 'follow' | 'none' | 'error';
  readonly maxRedirects: number;
  readonly maxBodyBytes: number;
  readonly statusRanges: readonly StatusRange[];
  readonly statusExpectation: string;
  readonly headerConditions: readonly HeaderCondition[];
  readonly contains: readonly string[];
  readonly notContains: readonly string[];
  /** `contains` then `notContains`, UTF-8 encoded, for searching a body without holding it. */
  readonly needles: readonly Buffer[];
  readonly bodyPatterns: readonly RegExp[];
  readonly jsonPathConditions: readonly JsonPathCondition[];
  /** What the body assertions need kept, for an identity-coded UTF-8 body. */
  readonly bodyMode: BodyMode;
  readonly degradedAboveMs: number | undefined;
  readonly tls: TlsDialOptions;
  readonly expiryThresholds: CertificateExpiryThresholds;
  readonly proxy: ProxyOptions | undefined;
  readonly proxyLabel: string | undefined;
  readonly onion: DialOptions['onion'];
  readonly family: DialOptions['family'];
  /** Values that must never appear in a message: header secrets, URL and proxy passwords. */
  readonly secrets: readonly string[];
}

/** The URL as results show it: no credentials, secret-looking query values replaced, no fragment. */
function displayUrl(url: URL): string {
  const search = url.search.replace(/([?&])([^=&]*)=([^&]*)/g, (match, separator: string, key: string) => {
    let name = key;
    try {
      name = decodeURIComponent(key);
    } catch {
      // Keep the raw key: a malformed escape is not a secret name.
    }
    return isSecretKey(name) ? `${separator}${key}=${REDACTED}` : match;
  });
  return `${url.protocol}//${url.host}${url.pathname}${search}`;
}

function secretQueryValues(url: URL): string[] {
  const values: string[] = [];
  for (const [key, value] of url.searchParams) if (isSecretKey(key) && value.length > 0) values.push(value, encodeURIComponent(value));
  return values;
}

function makeHop(url: URL, method: string, headers: Readonly<Record<string, string>>, body: Buffer | undefined): Hop {
  return Object.freeze({ url, origin: url.origin, path: `${url.pathname}${url.search}`, display: displayUrl(url), method, headers: Object.freeze(headers), body });
}

function toList<T>(value: T | readonly T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...(value as readonly T[])] : [value as T];
}

function buildPlan(options: ParsedHttpCheckOptions): HttpCheckPlan {
  const url = new URL(options.url);
  url.hash = '';
  const secrets: string[] = [];
  const headers: Record<string, string> = { 'user-agent': userAgent };
  if (url.username !== '' || url.password !== '') {
    const username = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    const credentials = Buffer.from(`${username}:${password}`).toString('base64');
    headers.authorization = `Basic ${credentials}`;
    secrets.push(credentials);
    if (password.length > 0) secrets.push(password, url.password);
    url.username = '';
    url.password = '';
  }
  for (const [key, value] of Object.entries(options.query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(item));
  }
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const lower = name.toLowerCase();
    headers[lower] = value;
    if (isSecretKey(lower) && value.length > 0) secrets.push(value);
  }
  secrets.push(...secretQueryValues(url));

  let body: Buffer | undefined;
  if (typeof options.body === 'string') body = Buffer.from(options.body, 'utf8');
  else if (options.body !== undefined) {
    body = Buffer.from(JSON.stringify(options.body), 'utf8');
    headers['content-type'] ??= 'application/json';
  }

  const { dialOptions, thresholds: expiryThresholds } = splitTlsOptions(options.tls);
  // Offer HTTP/1.1 by ALPN: this client speaks nothing else, and some servers insist on ALPN.
  const tls: TlsDialOptions = Object.freeze({ ...dialOptions, alpn: Object.freeze(['http/1.1']) });

  const proxy = proxyFromOptions(options);
  if (proxy?.password !== undefined && proxy.password.length > 0) secrets.push(proxy.password);

  const expect = options.expect ?? {};
  const statusRanges = toList(expect.status ?? '2xx').map((item) => parseStatusRange(item) as StatusRange);
  const headerConditions: HeaderCondition[] = Object.entries(expect.headers ?? {}).map(([name, condition]) => {
    const lower = name.toLowerCase();
    if (typeof condition === 'string') return Object.freeze({ name: lower, equals: condition });
    return Object.freeze({
      name: lower,
      ...(condition.equals === undefined ? {} : { equals: condition.equals }),
      ...(condition.matches === undefined ? {} : { matches: statelessPattern(condition.matches) }),
      ...(condition.exists === undefined ? {} : { exists: condition.exists }),
    });
  });
  const contains = toList(expect.body?.contains);
  const notContains = toList(expect.body?.notContains);
  const bodyPatterns = toList(expect.body?.matches).map(statelessPattern);
  const jsonPathConditions = (expect.body?.jsonPath ?? []).map((condition) =>
    typeof condition === 'string' ? parseJsonPathCondition(condition) : compileJsonPathCondition(condition),
  );
  let bodyMode: BodyMode = 'count';
  if (bodyPatterns.length > 0 || jsonPathConditions.length > 0) bodyMode = 'buffer';
  else if (contains.length > 0 || notContains.length > 0) bodyMode = 'search';

  const method = options.method.toUpperCase();
  const firstHop = makeHop(url, method, headers, body);
  return Object.freeze({
    firstHop,
    target: firstHop.display,
    connection: options.connection,
    redirect: options.redirect,
    maxRedirects: options.maxRedirects,
    maxBodyBytes: options.maxBodyBytes,
    statusRanges: Object.freeze(statusRanges),
    statusExpectation: statusRanges.map(formatStatusRange).join(', '),
    headerConditions: Object.freeze(headerConditions),
    contains: Object.freeze(contains),
    notContains: Object.freeze(notContains),
    needles: Object.freeze([...contains, ...notContains].map((text) => Buffer.from(text, 'utf8'))),
    bodyPatterns: Object.freeze(bodyPatterns),
    jsonPathConditions: Object.freeze(jsonPathConditions),
    bodyMode,
    degradedAboveMs: expect.degradedAboveMs,
    tls,
    expiryThresholds,
    proxy,
    proxyLabel: proxy ? formatProxyUrl(proxy) : undefined,
    onion: options.onion,
    family: options.family,
    secrets: Object.freeze([...new Set(secrets)].sort((a, b) => b.length - a.length)),
  });
}

/** Where a request stood when it ended. */
type Stage = 'connecting' | 'waiting' | 'receiving';

/** What one exchange (request and response) produced. */
type ExchangeOutcome =
  | {
      readonly kind: 'response';
      readonly statusCode: number;
      readonly statusText: string;
      readonly headers: IncomingHttpHeaders;
      readonly body: BodyCollector;
      /** The body passed maxBodyBytes and was cut off there. */
      readonly tooLarge: boolean;
      readonly dial: DialResult | undefined;
      readonly requestStartedAt: number;
      readonly headersAt: number;
      readonly endedAt: number;
    }
  | {
      readonly kind: 'failed';
      readonly stage: Stage;
      readonly error: unknown;
      /** Set when the run's signal ended the exchange. */
      readonly abortReason: unknown;
      readonly dial: DialResult | undefined;
      readonly statusCode: number | undefined;
      readonly bodyBytes: number;
    };

/** An undici client the check keeps for one origin, and the exchange using it right now. */
interface PooledClient {
  readonly client: Client;
  owner: Exchange | undefined;
}

/** Facts about the connection that served the last response, kept for keep-alive reuse. */
interface ConnectionFacts {
  readonly tls: TlsSessionSummary | undefined;
  readonly remoteAddress: string | undefined;
}

/**
 * One request and its response, driven by undici's dispatch handler callbacks. It is also the
 * connector for its connection (through the core dialer), and the listener of the run's signal.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private stage: Stage = 'connecting';
  private controller: Dispatcher.DispatchController | undefined;
  private abortReason: unknown;
  private dial: DialResult | undefined;
  private requestStartedAt = 0;
  private headersAt = 0;
  private statusCode: number | undefined;
  private statusText = '';
  private headers: IncomingHttpHeaders = {};
  private body: BodyCollector | undefined;
  private tooLarge = false;
  private settled = false;
  private method = 'GET';

  constructor(
    private readonly plan: HttpCheckPlan,
    private readonly context: CheckContext,
    private readonly resolve: (outcome: ExchangeOutcome) => void,
  ) {}

  /** The undici connector: one dial through the core dialer (DNS, SOCKS5, TLS, pins, timings). */
  connect(options: buildConnector.Options, callback: buildConnector.Callback): void {
    const secure = options.protocol === 'https:';
    const { plan } = this;
    this.context.dialer
      .connect({
        host: options.hostname,
        port: options.port === '' ? (secure ? 443 : 80) : Number(options.port),
        signal: this.context.signal,
        tls: secure ? plan.tls : undefined,
        proxy: plan.proxy,
        onion: plan.onion,
        family: plan.family,
      })
      .then(
        (result) => {
          this.dial = result;
          callback(null, result.socket);
        },
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
      );
  }

  start(dispatcher: Dispatcher, hop: Hop, reset: boolean): void {
    this.method = hop.method;
    const { signal } = this.context;
    signal.addEventListener('abort', this);
    try {
      dispatcher.dispatch({ origin: hop.origin, path: hop.path, method: hop.method as Dispatcher.HttpMethod, headers: hop.headers, body: hop.body ?? null, reset }, this);
    } catch (error) {
      this.onResponseError(undefined, error as Error);
    }
  }

  /** The run's signal fired (EventListenerObject). */
  handleEvent(): void {
    const reason: unknown = this.context.signal.reason;
    this.abortReason = reason ?? new Error('aborted');
    // While connecting, the dialer sees the same signal and fails the dial naming its phase.
    this.controller?.abort(reason instanceof Error ? reason : new Error('aborted'));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    this.stage = 'waiting';
    this.requestStartedAt = this.context.clock.monotonicNow();
    if (this.abortReason !== undefined) controller.abort(this.abortReason instanceof Error ? this.abortReason : new Error('aborted'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    // 1xx responses are interim; the final response follows on the same request.
    if (statusCode < 200) return;
    this.headersAt = this.context.clock.monotonicNow();
    this.stage = 'receiving';
    this.statusCode = statusCode;
    this.statusText = statusMessage ?? '';
    this.headers = headers;
    const { plan } = this;
    // A redirect's body is only counted: the response that matters comes after it.
    this.body = new BodyCollector(isRedirect(plan, statusCode, headers) ? 'count' : bodyModeFor(plan, headers), plan.needles, plan.maxBodyBytes);
    // A HEAD, 204 or 304 response declares a length it does not send.
    const declared = this.method === 'HEAD' || statusCode === 204 || statusCode === 304 ? 0 : Number(headerValue(headers, 'content-length'));
    if (Number.isFinite(declared) && declared > plan.maxBodyBytes) {
      // No need to read what is already known to be too much.
      this.body.bytes = declared;
      this.tooLarge = true;
      controller.abort(new BodyTooLargeError('declared body too large'));
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.tooLarge || this.body === undefined) return;
    if (!this.body.push(chunk)) {
      this.tooLarge = true;
      controller.abort(new BodyTooLargeError('body too large'));
    }
  }

  onResponseEnd(): void {
    this.respond(this.context.clock.monotonicNow());
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.tooLarge && this.statusCode !== undefined) {
      this.respond(this.context.clock.monotonicNow());
      return;
    }
    this.finish({
      kind: 'failed',
      stage: this.stage,
      error,
      abortReason: this.abortReason,
      dial: this.dial,
      statusCode: this.statusCode,
      bodyBytes: this.body?.bytes ?? 0,
    });
  }

  private respond(endedAt: number): void {
    this.finish({
      kind: 'response',
      statusCode: this.statusCode as number,
      statusText: this.statusText,
      headers: this.headers,
      body: this.body as BodyCollector,
      tooLarge: this.tooLarge,
      dial: this.dial,
      requestStartedAt: this.requestStartedAt,
      headersAt: this.headersAt,
      endedAt,
    });
  }

  private finish(outcome: ExchangeOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.context.signal.removeEventListener('abort', this);
    this.resolve(outcome);
  }
}

/** The body mode for one response: search needs identity coding and a UTF-8-compatible charset. */
function bodyModeFor(plan: HttpCheckPlan, headers: IncomingHttpHeaders): BodyMode {
  if (plan.bodyMode !== 'search') return plan.bodyMode;
  const coding = headerValue(headers, 'content-encoding');
  if (coding !== undefined && coding.trim().toLowerCase() !== 'identity') return 'buffer';
  return isUtf8Compatible(charsetOf(headerValue(headers, 'content-type'))) ? 'search' : 'buffer';
}

function isRedirect(plan: HttpCheckPlan, statusCode: number, headers: IncomingHttpHeaders): boolean {
  return plan.redirect !== 'none' && redirectStatuses.has(statusCode) && headerValue(headers, 'location') !== undefined;
}

/** The request after a redirect, as browsers make it; a string explains a Location that cannot be followed. */
function nextHop(hop: Hop, statusCode: number, location: string): Hop | string {
  let url: URL;
  try {
    url = new URL(location, hop.url);
  } catch {
    return `the redirect's Location ${JSON.stringify(location.slice(0, shownBodyLength))} is not a valid URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `the redirect leads to an unsupported scheme "${url.protocol.replace(/:$/, '')}"`;
  url.hash = '';
  // Credentials in a Location are not ours to send.
  url.username = '';
  url.password = '';
  let method = hop.method;
  let body = hop.body;
  const headers: Record<string, string> = { ...hop.headers };
  // 303 always, and 301/302 after a POST, continue as GET without the body (RFC 9110 15.4, and what browsers do).
  if ((statusCode === 303 && method !== 'HEAD') || ((statusCode === 301 || statusCode === 302) && method === 'POST')) {
    method = 'GET';
    body = undefined;
    delete headers['content-type'];
    delete headers['content-length'];
  }
  if (url.origin !== hop.url.origin) for (const name of originBoundHeaders) delete headers[name];
  return makeHop(url, method, headers, body);
}

function quote(text: string): string {
  const quoted = JSON.stringify(text.length > shownBodyLength ? `${text.slice(0, shownBodyLength)}...` : text);
  return text.length > shownBodyLength ? `${quoted} (${text.length} chars)` : quoted;
}

const errorCodeTexts: ReadonlyMap<string, { readonly reason: ReasonCode; readonly text: string }> = new Map([
  ['UND_ERR_HEADERS_OVERFLOW', { reason: 'protocol_error', text: 'the response headers are larger than allowed (16 KiB)' }],
  ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', { reason: 'protocol_error', text: 'the response body does not match its content-length' }],
  ['UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', { reason: 'config_error', text: 'the request body does not match its content-length header' }],
  ['UND_ERR_HEADERS_TIMEOUT', { reason: 'timeout', text: 'the response headers did not arrive in time' }],
  ['UND_ERR_BODY_TIMEOUT', { reason: 'timeout', text: 'the response body stalled' }],
  ['UND_ERR_INVALID_ARG', { reason: 'config_error', text: 'the request is invalid' }],
  ['UND_ERR_NOT_SUPPORTED', { reason: 'protocol_error', text: 'the response uses a feature this client does not support' }],
]);

const resetCodes: ReadonlySet<string> = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_SOCKET_CLOSED']);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** What a failed exchange means: reason, one line, and the phase (`dns`...`tls`, `response`, `body`). */
function classifyExchangeFailure(outcome: Extract<ExchangeOutcome, { kind: 'failed' }>, elapsedMs: number): { reason: ReasonCode; message: string; phase: string; details: Record<string, unknown> } {
  const { error, stage } = outcome;
  const waiting = stage === 'receiving' ? `reading the body (after ${outcome.bodyBytes} bytes of HTTP ${outcome.statusCode})` : 'waiting for the response headers';
  const phase = stage === 'receiving' ? 'body' : 'response';
  if (stage !== 'connecting' && outcome.abortReason !== undefined) {
    const reason = abortReasonCode(outcome.abortReason);
    return { reason, message: `${reason === 'timeout' ? 'timed out' : 'aborted'} ${waiting} (after ${Math.round(elapsedMs)} ms)`, phase, details: {} };
  }
  if (stage === 'connecting' || VigilError.isInstance(error)) {
    const failure = classifyNetworkError(error);
    return { reason: failure.reason, message: failure.message.replace(/^\[[a-z-]+\] /, ''), phase: failure.phase ?? 'connect', details: { ...failure.details } };
  }
  const code = errorCode(error);
  const text = error instanceof Error ? error.message : String(error);
  if (code !== undefined && code.startsWith('HPE_')) {
    return { reason: 'protocol_error', message: `malformed HTTP response: ${text} (${code})`, phase, details: { code } };
  }
  const known = code === undefined ? undefined : errorCodeTexts.get(code);
  if (known) return { reason: known.reason, message: `${known.text} (${code})`, phase, details: { code } };
  if (code !== undefined && resetCodes.has(code)) {
    const what = stage === 'receiving' ? `the connection closed while ${waiting}` : 'the server closed the connection without a response';
    return { reason: 'connection_reset', message: `${what} (${code})`, phase, details: { code } };
  }
  const failure = classifyNetworkError(error, { phase });
  return { reason: failure.reason === 'probe_error' ? 'protocol_error' : failure.reason, message: `${failure.message} ${waiting}`, phase, details: { ...failure.details } };
}

/** Undoes content coding and charset of a buffered body; a string explains why there is no text. */
function bodyText(outcome: Extract<ExchangeOutcome, { kind: 'response' }>, limit: number): { text: string } | { problem: string; tooLarge: boolean } {
  const decoded = decodeContent(outcome.body.raw(), headerValue(outcome.headers, 'content-encoding'), limit);
  if (!decoded.ok) return { problem: decoded.message, tooLarge: decoded.tooLarge };
  return { text: decodeText(decoded.bytes, charsetOf(headerValue(outcome.headers, 'content-type'))) };
}

/** The start of the body for messages; empty when it is compressed or absent. */
function bodyExcerpt(outcome: Extract<ExchangeOutcome, { kind: 'response' }>): string {
  const coding = headerValue(outcome.headers, 'content-encoding');
  if (coding !== undefined && coding.trim().toLowerCase() !== 'identity') return '';
  const raw = outcome.body.raw();
  return decodeText(raw.subarray(0, excerptBytes), charsetOf(headerValue(outcome.headers, 'content-type')));
}

/** Checks the body assertions; pushes one line per failure. */
function checkBody(plan: HttpCheckPlan, outcome: Extract<ExchangeOutcome, { kind: 'response' }>, failures: string[]): void {
  const { body } = outcome;
  if (body.mode === 'search') {
    plan.contains.forEach((text, index) => {
      if (!body.contains(index)) failures.push(`body: expected to contain ${quote(text)}, it does not (${body.bytes} bytes; starts ${quote(bodyExcerpt(outcome))})`);
    });
    plan.notContains.forEach((text, index) => {
      if (body.contains(plan.contains.length + index)) failures.push(`body: expected not to contain ${quote(text)}, it does (${body.bytes} bytes)`);
    });
    return;
  }
  if (body.mode !== 'buffer') return;
  const decoded = bodyText(outcome, plan.maxBodyBytes);
  if (!('text' in decoded)) {
    failures.push(`body: ${decoded.problem}`);
    return;
  }
  const { text } = decoded;
  for (const needle of plan.contains) if (!text.includes(needle)) failures.push(`body: expected to contain ${quote(needle)}, got ${quote(text)}`);
  for (const needle of plan.notContains) if (text.includes(needle)) failures.push(`body: expected not to contain ${quote(needle)}, it does (${text.length} chars)`);
  for (const pattern of plan.bodyPatterns) if (!pattern.test(text)) failures.push(`body: expected to match ${String(pattern)}, got ${quote(text)}`);
  if (plan.jsonPathConditions.length === 0) return;
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    failures.push(`JSON path: the body is not JSON (${error instanceof Error ? error.message : String(error)}); got ${quote(text)}`);
    return;
  }
  for (const condition of plan.jsonPathConditions) {
    const seen = evaluateJsonPathCondition(condition, document);
    if (seen !== undefined) failures.push(`JSON path ${condition.text}: ${seen}`);
  }
}

/** Creates an HTTP(S) check: one request (following redirects), assertions, phases and TLS facts. */
export function createHttpCheck(options: HttpCheckOptions): Check {
  // URLs and proxy URLs may carry passwords; config errors quote the bad value.
  const parsed = parseRedactedOptions(httpCheckOptionsSchema, options, { source: 'checks-http' });
  const plan = buildPlan(parsed);
  const redact = (text: string): string => redactText(text, plan.secrets);

  // One undici Client per origin, kept by the check. Its connector dials for the exchange that
  // owns the client, which is the only one using it: runs of one instance never overlap (and if
  // someone runs one instance twice at once anyway, the second run gets a client of its own).
  // With `fresh`, every request is sent with `reset: true`, so undici closes the connection after
  // the response and the next run dials again; reusing the client object still saves building and
  // destroying one per run (about a third of undici's CPU per fresh-connection request).
  const pooled = new Map<string, PooledClient>();
  const connectionFacts = new Map<string, ConnectionFacts>();
  const keepAlive = plan.connection === 'keep-alive';
  let shutdownPromise: Promise<void> | undefined;

  const clientFor = (origin: string): PooledClient | undefined => {
    let entry = pooled.get(origin);
    if (entry === undefined && pooled.size < maxPooledOrigins) {
      const holder: { owner: Exchange | undefined } = { owner: undefined };
      const client = new Client(origin, {
        connect: (connectOptions, callback) => {
          if (holder.owner) holder.owner.connect(connectOptions, callback);
          else callback(new VigilError('VIGIL_ERR_STATE', '[checks-http] a connection was asked for outside a run'), null);
        },
        pipelining: 1,
        keepAliveTimeout: keepAliveIdleMs,
        keepAliveMaxTimeout: keepAliveIdleMs,
      });
      entry = Object.assign(holder, { client });
      pooled.set(origin, entry);
    }
    return entry?.owner === undefined ? entry : undefined;
  };

  const exchange = async (hop: Hop, context: CheckContext): Promise<ExchangeOutcome> => {
    const entry = clientFor(hop.origin);
    if (entry) {
      const outcome = await new Promise<ExchangeOutcome>((resolve) => {
        const current = new Exchange(plan, context, resolve);
        entry.owner = current;
        current.start(entry.client, hop, !keepAlive);
      });
      // Released only now: the dial, if any, has settled, so no late connection reaches the next owner.
      entry.owner = undefined;
      return outcome;
    }
    // Busy (a concurrent run of this instance) or too many origins: a client of its own, destroyed after.
    let client: Client | undefined;
    const outcome = await new Promise<ExchangeOutcome>((resolve) => {
      const current = new Exchange(plan, context, resolve);
      client = new Client(hop.origin, { connect: (connectOptions, callback) => current.connect(connectOptions, callback), pipelining: 1 });
      current.start(client, hop, true);
    });
    client?.destroy().catch(ignore);
    return outcome;
  };

  const run = async (context: CheckContext): Promise<CheckResult> => {
    const { clock } = context;
    const started = clock.monotonicNow();
    const details: Record<string, unknown> = { url: plan.target, method: plan.firstHop.method };
    if (plan.proxyLabel) details.proxy = plan.proxyLabel;
    const phases: Record<string, number> = {};
    const finish = createResultFinisher({ clock, started, phases, details });
    if (shutdownPromise) return finish('unknown', 'aborted', `${plan.target}: the check has been shut down`);
    if (context.signal.aborted) {
      const reason = abortReasonCode(context.signal.reason);
      return finish(reason === 'timeout' ? 'down' : 'unknown', reason, `${plan.target}: ${reason === 'timeout' ? 'timed out' : 'aborted'} before the request started`);
    }

    let hop = plan.firstHop;
    let hopStarted = started;
    let redirects: { status: number; location: string }[] | undefined;
    let retriedStale = false;
    let outcome: ExchangeOutcome;
    for (;;) {
      outcome = await exchange(hop, context);
      if (outcome.kind === 'failed') {
        // A kept-alive connection the server closed while idle fails before any response: retry once on a new one.
        if (keepAlive && !retriedStale && outcome.dial === undefined && outcome.stage === 'waiting' && outcome.abortReason === undefined && resetCodes.has(errorCode(outcome.error) ?? '')) {
          retriedStale = true;
          continue;
        }
        break;
      }
      if (outcome.tooLarge || !isRedirect(plan, outcome.statusCode, outcome.headers)) break;
      const location = headerValue(outcome.headers, 'location') as string;
      const next = nextHop(hop, outcome.statusCode, location);
      const shownLocation = typeof next === 'string' ? redact(location) : next.display;
      redirects ??= [];
      redirects.push({ status: outcome.statusCode, location: shownLocation });
      details.redirects = redirects;
      if (typeof next === 'string') return finish('down', 'protocol_error', redact(`${plan.target}: ${next}`));
      if (plan.redirect === 'error') {
        return finish('down', 'assertion_failed', `${plan.target}: redirect: expected none (redirect: error), got ${outcome.statusCode} to ${shownLocation}`);
      }
      if (redirects.length > plan.maxRedirects) {
        return finish('down', 'assertion_failed', `${plan.target}: redirect: more than ${plan.maxRedirects} redirects; the last went to ${shownLocation}`);
      }
      hop = next;
      hopStarted = clock.monotonicNow();
    }
    if (redirects !== undefined) {
      phases.redirect = roundMs(hopStarted - started);
      details.finalUrl = hop.display;
    }

    const dial = outcome.dial;
    let facts: ConnectionFacts | undefined;
    if (dial) {
      const { timings } = dial;
      if (timings.dns !== undefined) phases.dns = roundMs(timings.dns);
      phases.connect = roundMs(timings.connect);
      if (timings.proxy !== undefined) phases.proxy = roundMs(timings.proxy);
      if (timings.tls !== undefined) phases.tls = roundMs(timings.tls);
      facts = { tls: dial.tls, remoteAddress: dial.remoteAddress };
      if (keepAlive) connectionFacts.set(hop.origin, facts);
    } else if (keepAlive) {
      facts = connectionFacts.get(hop.origin);
    }
    if (keepAlive) details.connection = dial ? 'new' : 'reused';
    details.remoteAddress = facts?.remoteAddress ?? null;

    if (outcome.kind === 'failed') {
      const failure = classifyExchangeFailure(outcome, clock.monotonicNow() - started);
      if (outcome.statusCode !== undefined) details.statusCode = outcome.statusCode;
      Object.assign(details, failure.details, { phase: failure.phase });
      const status: CheckStatus = failure.reason === 'aborted' || failure.reason === 'config_error' ? 'unknown' : 'down';
      return finish(status, failure.reason, redact(`${plan.target}: ${failure.message}`));
    }

    phases.firstByte = roundMs(outcome.headersAt - outcome.requestStartedAt);
    phases.download = roundMs(outcome.endedAt - outcome.headersAt);
    const { statusCode } = outcome;
    details.statusCode = statusCode;
    details.statusText = outcome.statusText;
    details.bodyBytes = outcome.body.bytes;
    const contentType = headerValue(outcome.headers, 'content-type');
    if (contentType !== undefined) details.contentType = contentType;
    context.metrics.gauge('http_status_code', statusCode);
    context.metrics.gauge('http_response_body_bytes', outcome.body.bytes, { unit: 'B' });

    let expiry: CertificateExpiryVerdict | undefined;
    const tls = facts?.tls;
    if (tls) {
      details.tls = tlsSessionDetails(tls);
      expiry = evaluateCertificateExpiry(tls, { now: clock.now(), thresholds: plan.expiryThresholds, metrics: context.metrics });
      // Expired or critical fails at once; a warning waits until the assertions have had their say.
      if (expiry?.status === 'down') return finish(expiry.status, expiry.reason, `${plan.target}: ${expiry.message}`);
    }

    const failures: string[] = [];
    if (outcome.tooLarge) failures.push(`body: larger than maxBodyBytes (${plan.maxBodyBytes}); stopped reading at ${outcome.body.bytes} bytes`);
    if (!plan.statusRanges.some((range) => statusCode >= range.min && statusCode <= range.max)) {
      const excerpt = bodyExcerpt(outcome);
      failures.push(`status: expected ${plan.statusExpectation}, got ${statusCode}${outcome.statusText ? ` ${outcome.statusText}` : ''}${excerpt ? `; body ${quote(excerpt)}` : ''}`);
    }
    for (const condition of plan.headerConditions) {
      const seen = evaluateHeaderCondition(condition, outcome.headers);
      if (seen !== undefined) failures.push(seen);
    }
    if (!outcome.tooLarge) checkBody(plan, outcome, failures);
    if (failures.length > 0) {
      details.failures = failures.map(redact);
      const excerpt = bodyExcerpt(outcome);
      if (excerpt) details.bodyExcerpt = redact(excerpt);
      const more = failures.length > 1 ? ` (and ${failures.length - 1} more failed assertion${failures.length > 2 ? 's' : ''})` : '';
      return finish('down', 'assertion_failed', redact(`${plan.target}: ${failures[0]}${more}`));
    }
    if (expiry) return finish(expiry.status, expiry.reason, `${plan.target}: ${expiry.message}`);
    const totalMs = clock.monotonicNow() - started;
    if (plan.degradedAboveMs !== undefined && totalMs > plan.degradedAboveMs) {
      return finish('degraded', 'slow_response', `${plan.target}: took ${Math.round(totalMs)} ms (degraded above ${plan.degradedAboveMs} ms)`);
    }
    return finish('up', 'ok', `${plan.target}: ${statusCode}${outcome.statusText ? ` ${outcome.statusText}` : ''}`);
  };

  const shutdown = (_options?: LifecycleOptions): Promise<void> => {
    shutdownPromise ??= Promise.all([...pooled.values()].map((entry) => entry.client.destroy().catch(ignore))).then(() => {
      pooled.clear();
    });
    return shutdownPromise;
  };

  return Object.freeze({
    specificationVersion: 'v1' as const,
    meta: httpCheckMeta,
    target: plan.target,
    run,
    shutdown,
  });
}

/** The HTTP check as a registrable plugin (`type: http` in config files). */
export const httpCheckPlugin: PluginDefinition<typeof httpCheckOptionsSchema, Check> = Object.freeze({
  meta: httpCheckMeta,
  optionsSchema: httpCheckOptionsSchema,
  create: createHttpCheck,
  description: 'Sends an HTTP(S) request (optionally through SOCKS5) and checks status, headers, body, JSON paths, response time and the TLS certificate.',
});
