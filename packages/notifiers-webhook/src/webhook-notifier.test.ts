import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { type AlertEvent, type Notification, VigilError, createNotificationDispatcher } from '@vigil/core';
import { type HttpServer, createFakeClock, findClosedPort, sampleAlertEvent, sampleNotification, startHttpServer, testNotifier } from '@vigil/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { generateWebhookSecret, signWebhook, verifyWebhook } from './signature.js';
import { createWebhookNotifier, parseRetryAfter, webhookNotifierPlugin } from './webhook-notifier.js';

interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

type Answer = { readonly status: number; readonly headers?: Record<string, string>; readonly body?: string } | 'hang';

interface Receiver {
  readonly server: HttpServer;
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Answers for the next requests, in order; afterwards 200. */
  readonly answers: Answer[];
}

const receivers: Receiver[] = [];
afterAll(async () => {
  await Promise.all(receivers.map((receiver) => receiver.server.close()));
});

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A real HTTP endpoint on loopback that records every request and answers as scripted. */
async function startReceiver(path = '/hook'): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const answers: Answer[] = [];
  const server = await startHttpServer(async (request: IncomingMessage, response: ServerResponse) => {
    const body = await readBody(request);
    requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
    const answer = answers.shift() ?? { status: 200, body: 'ok' };
    if (answer === 'hang') return;
    response.writeHead(answer.status, answer.headers ?? {});
    response.end(answer.body ?? '');
  });
  const receiver = { server, url: `${server.url}${path}`, requests, answers };
  receivers.push(receiver);
  return receiver;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const signal = (): AbortSignal => AbortSignal.timeout(20_000);

function alertEvent(overrides: Partial<AlertEvent> = {}): AlertEvent {
  return sampleAlertEvent({ checkType: 'tcp', target: '127.0.0.1:8080', ...overrides });
}

testNotifier({
  plugin: webhookNotifierPlugin,
  async setup() {
    const receiver = await startReceiver();
    return {
      notifier: createWebhookNotifier({ url: receiver.url, secret: generateWebhookSecret() }),
      receivedCount: async () => receiver.requests.length,
      invalidOptions: [{}, { url: 'ftp://example.com/' }, { url: receiver.url, secret: 'whsec_c2hvcnQ=' }, { url: receiver.url, format: 'slack', body: { a: 1 } }],
      teardown: async () => undefined,
    };
  },
});

describe('Standard Webhooks signatures', () => {
  // The test vector of the Standard Webhooks reference libraries (github.com/standard-webhooks/standard-webhooks).
  const vector = {
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    timestamp: 1614265330,
    body: '{"test": 2432232314}',
    signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  };
  const headers = (overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> => ({
    'webhook-id': vector.id,
    'webhook-timestamp': String(vector.timestamp),
    'webhook-signature': vector.signature,
    ...overrides,
  });
  const now = vector.timestamp * 1_000;
  const failure = (run: () => unknown): unknown => {
    try {
      run();
    } catch (error) {
      expect(VigilError.hasCode(error, 'VIGIL_ERR_WEBHOOK_VERIFICATION')).toBe(true);
      return (error as VigilError).details?.failure;
    }
    throw new Error('expected verification to fail');
  };

  it('reproduces the reference signature and verifies it', () => {
    expect(signWebhook({ id: vector.id, timestamp: vector.timestamp, body: vector.body, secrets: vector.secret })).toBe(vector.signature);
    expect(verifyWebhook({ headers: headers(), body: vector.body, secret: vector.secret, now })).toEqual({ id: vector.id, timestamp: vector.timestamp, payload: { test: 2432232314 } });
  });

  it('rejects a tampered body, a wrong secret, a stale or future timestamp and missing headers', () => {
    expect(failure(() => verifyWebhook({ headers: headers(), body: '{"test": 2432232315}', secret: vector.secret, now }))).toBe('no_matching_signature');
    expect(failure(() => verifyWebhook({ headers: headers(), body: vector.body, secret: generateWebhookSecret(), now }))).toBe('no_matching_signature');
    expect(failure(() => verifyWebhook({ headers: headers(), body: vector.body, secret: vector.secret, now: now + 301_000 }))).toBe('timestamp_too_old');
    expect(failure(() => verifyWebhook({ headers: headers(), body: vector.body, secret: vector.secret, now: now - 301_000 }))).toBe('timestamp_too_new');
    expect(failure(() => verifyWebhook({ headers: headers({ 'webhook-signature': undefined }), body: vector.body, secret: vector.secret, now }))).toBe('missing_header');
    expect(failure(() => verifyWebhook({ headers: headers({ 'webhook-timestamp': '1614265330.5' }), body: vector.body, secret: vector.secret, now }))).toBe('invalid_timestamp');
    // Another scheme's signature with the right bytes is not a v1 signature.
    expect(failure(() => verifyWebhook({ headers: headers({ 'webhook-signature': vector.signature.replace('v1,', 'v1a,') }), body: vector.body, secret: vector.secret, now }))).toBe('no_matching_signature');
    expect(failure(() => verifyWebhook({ headers: headers(), body: vector.body, secret: 'not-a-secret', now }))).toBe('invalid_secret');
  });

  it('accepts timestamps within the tolerance on both sides', () => {
    expect(verifyWebhook({ headers: headers(), body: vector.body, secret: vector.secret, now: now + 299_000 }).id).toBe(vector.id);
    expect(verifyWebhook({ headers: headers(), body: vector.body, secret: vector.secret, now: now - 299_000 }).id).toBe(vector.id);
    expect(verifyWebhook({ headers: headers(), body: vector.body, secret: vector.secret, now: now + 3_599_000, toleranceSeconds: 3_600 }).id).toBe(vector.id);
  });

  it('supports key rotation: several signatures in one header, several secrets at the receiver', () => {
    const fresh = generateWebhookSecret();
    const header = signWebhook({ id: vector.id, timestamp: vector.timestamp, body: vector.body, secrets: [fresh, vector.secret] });
    expect(header.split(' ')).toHaveLength(2);
    expect(header.split(' ')[1]).toBe(vector.signature);
    // A receiver that knows only the old secret, only the new one, or both, accepts it.
    for (const secret of [vector.secret, fresh, [generateWebhookSecret(), fresh]]) {
      expect(verifyWebhook({ headers: headers({ 'webhook-signature': header }), body: vector.body, secret, now }).id).toBe(vector.id);
    }
  });
});

describe('createWebhookNotifier: delivery', () => {
  it('POSTs the Standard Webhooks payload, signed, with the notification id as webhook-id and idempotency key', async () => {
    const receiver = await startReceiver();
    const secret = generateWebhookSecret();
    const notifier = createWebhookNotifier({ url: receiver.url, secret });
    const notification: Notification = { id: 'c0ffee00-1111-4222-8333-444455556666', events: [alertEvent()], groupKey: 'default:{alertId=down/web}', createdAt: Date.UTC(2026, 0, 1, 12) };
    await expect(notifier.send(notification, { signal: signal() })).resolves.toEqual({ kind: 'sent', id: notification.id });
    const [request] = receiver.requests;
    expect(request?.method).toBe('POST');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['webhook-id']).toBe(notification.id);
    expect(request?.headers['idempotency-key']).toBe(notification.id);
    const verified = verifyWebhook({ headers: request?.headers ?? {}, body: request?.body ?? '', secret });
    expect(verified.payload).toMatchObject({
      type: 'alert.firing',
      data: {
        id: notification.id,
        groupKey: 'default:{alertId=down/web}',
        title: '🔴 FIRING (critical): web',
        state: 'firing',
        events: [{ alertId: 'down/web', checkId: 'web', state: 'firing', reason: 'connection_refused', since: '2026-01-01T11:59:00.000Z', values: { failures: 3 } }],
      },
    });
    await notifier.shutdown();
  });

  it('keeps the webhook-id across retries and signs each attempt with its own timestamp', async () => {
    const receiver = await startReceiver();
    const clock = createFakeClock(Date.UTC(2026, 0, 1, 12));
    const secret = generateWebhookSecret();
    const notifier = createWebhookNotifier({ url: receiver.url, secret }, { clock });
    const notification = sampleNotification();
    await notifier.send(notification, { signal: signal() });
    clock.setNow(clock.now() + 90_000);
    await notifier.send(notification, { signal: signal() });
    const [first, second] = receiver.requests;
    expect(first?.headers['webhook-id']).toBe(second?.headers['webhook-id']);
    expect(Number(second?.headers['webhook-timestamp']) - Number(first?.headers['webhook-timestamp'])).toBe(90);
    expect(verifyWebhook({ headers: second?.headers ?? {}, body: second?.body ?? '', secret, now: clock.now() }).id).toBe(notification.id);
    // Signed against the attempt's time: a receiver 6 minutes later refuses the first attempt as a replay.
    expect(() => verifyWebhook({ headers: first?.headers ?? {}, body: first?.body ?? '', secret, now: clock.now() + 300_000 })).toThrow(/more than 300 s old/);
    await notifier.shutdown();
  });

  it('replaces a notification id that could make the signed content ambiguous', async () => {
    const receiver = await startReceiver();
    const notifier = createWebhookNotifier({ url: receiver.url });
    await notifier.send(sampleNotification({ id: 'a.b.c' }), { signal: signal() });
    expect(receiver.requests[0]?.headers['webhook-id']).toMatch(/^msg_[A-Za-z0-9_-]{32}$/);
    await notifier.shutdown();
  });

  it('maps answers: 5xx, 408 and 429 are retryable (honouring Retry-After, capped), 4xx, 410 and redirects fail', async () => {
    const receiver = await startReceiver();
    const clock = createFakeClock(Date.UTC(2026, 0, 1, 12));
    const notifier = createWebhookNotifier({ url: receiver.url, maxRetryAfter: '1m' }, { clock });
    receiver.answers.push(
      { status: 500, body: 'boom' },
      { status: 503, headers: { 'retry-after': '7' } },
      { status: 429, headers: { 'retry-after': new Date(clock.now() + 30_000).toUTCString() } },
      { status: 429, headers: { 'retry-after': '86400' } },
      { status: 408 },
      { status: 400, body: '{"error":"bad payload"}' },
      { status: 410 },
      { status: 302, headers: { location: `${receiver.server.url}/elsewhere` } },
    );
    const results = [];
    for (let attempt = 0; attempt < 8; attempt += 1) results.push(await notifier.send(sampleNotification(), { signal: signal() }));
    expect(results.map((result) => result.kind)).toEqual(['retryable', 'retryable', 'retryable', 'retryable', 'retryable', 'failed', 'failed', 'failed']);
    expect(results.map((result) => (result.kind === 'retryable' ? result.retryAfterMs : undefined))).toEqual([undefined, 7_000, 30_000, 60_000, undefined, undefined, undefined, undefined]);
    const badRequest = results[5];
    expect(badRequest?.kind === 'failed' && String(badRequest.error)).toContain('answered 400: {"error":"bad payload"}');
    // The redirect was not followed.
    expect(receiver.requests.map((request) => request.url)).not.toContain('/elsewhere');
    await notifier.shutdown();
  });

  it('is retryable when nothing listens, and when the endpoint hangs past the timeout', async () => {
    const closed = createWebhookNotifier({ url: `http://127.0.0.1:${await findClosedPort()}/hook` });
    const refused = await closed.send(sampleNotification(), { signal: signal() });
    expect(refused.kind).toBe('retryable');
    expect(refused.kind === 'retryable' && String(refused.error)).toMatch(/ECONNREFUSED/);

    const receiver = await startReceiver();
    const clock = createFakeClock();
    const notifier = createWebhookNotifier({ url: receiver.url, timeout: '10s' }, { clock });
    receiver.answers.push('hang');
    const pending = notifier.send(sampleNotification(), { signal: signal() });
    await until(() => receiver.requests.length === 1, 'the request to arrive');
    await clock.advance(9_999);
    await clock.advance(1);
    const result = await pending;
    expect(result.kind).toBe('retryable');
    expect(result.kind === 'retryable' && String(result.error)).toContain('no answer within 10000 ms');
    await closed.shutdown();
    await notifier.shutdown();
  });

  it('never shows the URL path, query or secrets in errors', async () => {
    const receiver = await startReceiver('/services/T000/B000/XXXXsecretTOKENXXXX?key=querysecret');
    const notifier = createWebhookNotifier({ url: receiver.url, format: 'slack' });
    // A server echoing the request line back must not leak it either.
    receiver.answers.push({ status: 500, body: 'no route for /services/T000/B000/XXXXsecretTOKENXXXX?key=querysecret' });
    const result = await notifier.send(sampleNotification(), { signal: signal() });
    const text = result.kind === 'retryable' ? String(result.error) : '';
    expect(text).toContain('answered 500');
    expect(text).toContain(receiver.server.url);
    expect(text).not.toContain('XXXXsecretTOKENXXXX');
    expect(text).not.toContain('querysecret');
    await notifier.shutdown();
  });

  it('shuts down a send that hangs once the shutdown timeout passes', async () => {
    const receiver = await startReceiver();
    const clock = createFakeClock();
    const notifier = createWebhookNotifier({ url: receiver.url, timeout: '1h' }, { clock });
    receiver.answers.push('hang');
    const pending = notifier.send(sampleNotification(), { signal: signal() });
    await until(() => receiver.requests.length === 1, 'the request to arrive');
    const shutdown = notifier.shutdown({ timeoutMs: 2_000 });
    await clock.advance(2_000);
    await shutdown;
    expect((await pending).kind).toBe('retryable');
  });
});

describe('createWebhookNotifier: templates', () => {
  it('fills a body template (whole placeholders keep their type) and header templates', async () => {
    const receiver = await startReceiver();
    const notifier = createWebhookNotifier({
      url: receiver.url,
      headers: { 'X-Alert-State': '{{state}}', 'X-Check': 'check={{event.checkId}}' },
      body: { summary: '{{title}}', count: '{{counts.firing}}', events: '{{events}}', first: 'rule {{events.0.ruleId}} on {{event.target}}', missing: '{{event.nothing}}', fixed: [1, true, null] },
    });
    await notifier.send({ id: 'n-1', events: [alertEvent(), alertEvent({ alertId: 'down/api', checkId: 'api', id: 'event-2' })], createdAt: 0 }, { signal: signal() });
    const [request] = receiver.requests;
    expect(request?.headers['x-alert-state']).toBe('firing');
    expect(request?.headers['x-check']).toBe('check=api');
    const body = JSON.parse(request?.body ?? '{}') as Record<string, unknown>;
    expect(body.summary).toBe('🔴 2 alerts: 2 firing');
    expect(body.count).toBe(2);
    expect(Array.isArray(body.events) && body.events.length).toBe(2);
    expect(body.first).toBe('rule down on 127.0.0.1:8080');
    expect(body.missing).toBeNull();
    expect(body.fixed).toEqual([1, true, null]);
    await notifier.shutdown();
  });

  it('keeps alert text from adding header lines', () => {
    const notifier = createWebhookNotifier({ url: 'http://127.0.0.1:1/hook', headers: { 'X-Message': '{{event.message}}' } });
    const request = notifier.buildRequest({ id: 'n', events: [alertEvent({ message: 'down\r\nX-Injected: yes' })], createdAt: 0 });
    expect(request.headers['x-message']).toBe('down X-Injected: yes');
  });

  it('refuses unknown placeholders, reserved headers and bad secrets as config errors without echoing the secret', () => {
    const error = (options: unknown): string => {
      try {
        webhookNotifierPlugin.create(options as never);
      } catch (caught) {
        expect(VigilError.hasCode(caught, 'VIGIL_ERR_CONFIG')).toBe(true);
        return (caught as Error).message;
      }
      throw new Error('expected a config error');
    };
    expect(error({ url: 'http://127.0.0.1/h', body: { a: '{{notification.secret}}' } })).toContain('body: unknown placeholder {{notification.secret}}');
    expect(error({ url: 'http://127.0.0.1/h', headers: { 'webhook-signature': 'x' } })).toContain('headers.webhook-signature: this header is set by the notifier');
    const secretError = error({ url: 'http://127.0.0.1/h', secret: ['whsec_c2VjcmV0LXZhbHVlLTEyMzQ1Njc4OTAxMjM0NTY=', 'whsec_dG9vc2hvcnQ='] });
    expect(secretError).toContain('secret: expected whsec_');
    expect(secretError).toContain('(entry 1)');
    expect(secretError).not.toContain('dG9vc2hvcnQ');
  });
});

describe('createWebhookNotifier: with the core dispatcher', () => {
  it('retries a failing endpoint with backoff until it answers, delivering once with one webhook-id', async () => {
    const receiver = await startReceiver();
    const clock = createFakeClock();
    const notifier = createWebhookNotifier({ url: receiver.url, secret: generateWebhookSecret() }, { clock });
    const retryDelays: number[] = [];
    const dispatcher = createNotificationDispatcher(notifier, {
      clock,
      retry: { initialDelayMs: 1_000, maxDelayMs: 60_000, jitter: 0 },
      onError: (_error, _id, retryInMs) => retryDelays.push(retryInMs ?? -1),
    });
    receiver.answers.push({ status: 500 }, { status: 503, headers: { 'retry-after': '30' } });
    dispatcher.dispatch(sampleNotification({ id: 'retry-me' }));
    // Time moves only once the retry is scheduled, so no timer is created after the clock moved.
    await until(() => retryDelays.length === 1, 'the first retry to be scheduled');
    await clock.advance(1_000);
    await until(() => retryDelays.length === 2, 'the second retry to be scheduled');
    expect(retryDelays).toEqual([1_000, 30_000]);
    // Retry-After 30 s beats the 2 s backoff: nothing before it.
    await clock.advance(29_000);
    expect(receiver.requests).toHaveLength(2);
    await clock.advance(1_000);
    await until(() => dispatcher.stats().sent === 1, 'delivery');
    expect(new Set(receiver.requests.map((request) => request.headers['webhook-id']))).toEqual(new Set(['retry-me']));
    expect(dispatcher.stats()).toMatchObject({ sent: 1, retries: 2, failed: 0 });
    await dispatcher.shutdown();
  });

  it('records a delivery that finally failed, with the endpoint answer and no URL path', async () => {
    const receiver = await startReceiver('/hooks/private-token-path');
    const clock = createFakeClock();
    const notifier = createWebhookNotifier({ url: receiver.url }, { clock });
    let retriesScheduled = 0;
    const dispatcher = createNotificationDispatcher(notifier, { clock, maxAttempts: 3, retry: { initialDelayMs: 1_000, jitter: 0 }, onError: () => (retriesScheduled += 1) });
    receiver.answers.push({ status: 500 }, { status: 500 }, { status: 500, body: 'still broken' });
    dispatcher.dispatch(sampleNotification({ id: 'doomed' }));
    for (let retry = 1; retry <= 2; retry += 1) {
      await until(() => retriesScheduled === retry, `retry ${retry} to be scheduled`);
      await clock.advance(10_000);
    }
    await until(() => dispatcher.failedDeliveries().length === 1, 'the failure record');
    const [failed] = dispatcher.failedDeliveries();
    expect(failed).toMatchObject({ notificationId: 'doomed', attempts: 3, cause: 'attempts_exhausted' });
    expect(failed?.error).toContain('answered 500: still broken');
    expect(failed?.error).not.toContain('private-token-path');
    await dispatcher.shutdown();
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(new Date(now + 5_000).toUTCString(), now)).toBe(5_000);
    expect(parseRetryAfter(new Date(now - 5_000).toUTCString(), now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
