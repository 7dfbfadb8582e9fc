// End to end with real local services: HTTP services checked by @vigil/checks-http, the core
// monitor and alert manager, and all three notifiers delivering to a local Bot API server, a
// webhook receiver that verifies signatures, and aiosmtpd. The monitor runs on a fake clock
// (checks run when the test says, group windows and retries advance on demand); network I/O
// and the notifiers' own timeouts are real.
import type { IncomingHttpHeaders } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHttpCheck } from '@vigil/checks-http';
import { type FailedDelivery, type Monitor, type Named, type Notifier, consecutiveFailures, createMonitor } from '@vigil/core';
import { createEmailNotifier } from '@vigil/notifiers-email';
import { createWebhookNotifier, generateWebhookSecret, verifyWebhook } from '@vigil/notifiers-webhook';
import {
  type FakeClock,
  type HttpServer,
  type SmtpServer,
  type TelegramBotApiServer,
  createFakeClock,
  createRecordingLogger,
  startHttpServer,
  startSmtpServer,
  startTelegramBotApiServer,
} from '@vigil/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TelegramNotifier, createTelegramNotifier } from './telegram-notifier.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** HTTP services whose health the test switches: healthy answers 200, unhealthy 503. */
interface Services {
  readonly server: HttpServer;
  readonly healthy: Map<string, boolean>;
  url(name: string): string;
}

async function startServices(): Promise<Services> {
  const healthy = new Map<string, boolean>();
  const server = await startHttpServer((request, response) => {
    const name = (request.url ?? '/').slice(1);
    const up = healthy.get(name) ?? true;
    response.writeHead(up ? 200 : 503, { 'content-type': 'text/plain' });
    response.end(up ? 'ok' : 'unavailable');
  });
  cleanups.push(() => server.close());
  return { server, healthy, url: (name) => `${server.url}/${name}` };
}

interface WebhookRequest {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly payload: { type: string; data: { title: string; events: { checkId: string; state: string }[] } };
}

/** A webhook receiver that verifies every request with the exported helper and answers as scripted. */
async function startReceiver(secret: string): Promise<{ server: HttpServer; url: string; requests: WebhookRequest[]; answers: ('hang' | number)[] }> {
  const requests: WebhookRequest[] = [];
  const answers: ('hang' | number)[] = [];
  const server = await startHttpServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const answer = answers.shift() ?? 200;
    if (answer === 'hang') return;
    if (answer === 200) {
      // Throws (and so answers 500) when the signature or timestamp is wrong.
      const verified = verifyWebhook({ headers: request.headers, body, secret });
      requests.push({ headers: request.headers, body, payload: verified.payload as WebhookRequest['payload'] });
    }
    response.writeHead(answer);
    response.end();
  });
  cleanups.push(() => server.close());
  return { server, url: `${server.url}/hooks/vigil`, requests, answers };
}

interface Pipeline {
  readonly clock: FakeClock;
  readonly monitor: Monitor;
  readonly services: Services;
  readonly telegram: TelegramBotApiServer;
  readonly telegramNotifier: TelegramNotifier;
  readonly webhook: Awaited<ReturnType<typeof startReceiver>>;
  readonly smtp: SmtpServer;
  readonly failed: FailedDelivery[];
  readonly errors: { notifier: string; error: string }[];
  /** Runs checks once each, in parallel, through the monitor (rules and notifications included). */
  run(...checkIds: string[]): Promise<void>;
  /** Messages each channel got about a check. */
  received(checkId: string): { telegram: string[]; webhook: string[]; email: string[] };
  /** Waits until every notifier's queue is empty. */
  settle(): Promise<void>;
}

async function startPipeline(options: { checks: readonly { id: string; tags?: Record<string, string> }[]; maxAttempts?: number }): Promise<Pipeline> {
  const clock = createFakeClock(Date.now());
  const services = await startServices();
  const telegram = await startTelegramBotApiServer();
  cleanups.push(() => telegram.close());
  const secret = generateWebhookSecret();
  const webhook = await startReceiver(secret);
  const smtp = await startSmtpServer();
  cleanups.push(() => smtp.close());
  const directory = await mkdtemp(path.join(tmpdir(), 'vigil-e2e-'));
  cleanups.push(() => rm(directory, { recursive: true, force: true }));
  const logger = createRecordingLogger();
  const telegramNotifier = createTelegramNotifier(
    { token: telegram.token, chatId: 42, apiBaseUrl: telegram.url, commands: { allowedChatIds: [42], stateDirectory: directory, pollTimeout: '5s' } },
    { logger },
  );
  const notifiers: Named<Notifier>[] = [
    { id: 'telegram', plugin: telegramNotifier },
    { id: 'webhook', plugin: createWebhookNotifier({ url: webhook.url, secret }) },
    { id: 'email', plugin: createEmailNotifier({ host: smtp.host, port: smtp.port, security: 'none', from: 'vigil@example.com', to: 'ops@example.com' }) },
  ];
  const monitor = createMonitor({
    clock,
    logger,
    // Disabled checks are never scheduled; the test runs them with runOnce.
    checks: options.checks.map((check) => ({ id: check.id, check: createHttpCheck({ url: services.url(check.id) }), enabled: false, timeout: '10s', tags: check.tags ?? {} })),
    rules: [consecutiveFailures({ id: 'down', failures: 3, successes: 2 })],
    notifiers,
    alerting: { routes: [{ matchers: ['fleet=yes'], groupBy: [], groupWindow: '30s' }] },
    notificationDelivery: { sendTimeoutMs: 10_000, maxAttempts: options.maxAttempts ?? 4, retry: { initialDelayMs: 1_000, jitter: 0 } },
  });
  const failed: FailedDelivery[] = [];
  const errors: { notifier: string; error: string }[] = [];
  monitor.on('notifier:failed', (delivery) => failed.push(delivery));
  monitor.on('notifier:error', (event) => errors.push({ notifier: event.notifier, error: event.error }));
  telegramNotifier.attachMonitor(monitor);
  await monitor.start();
  // The monitor starts notifiers lazily (before their first send); the bot must poll from the start.
  await telegramNotifier.start?.({ signal: AbortSignal.timeout(1_000) });
  cleanups.push(() => monitor.stop());
  const titleOf = (payload: WebhookRequest['payload']): string => payload.data.title;
  return {
    clock,
    monitor,
    services,
    telegram,
    telegramNotifier,
    webhook,
    smtp,
    failed,
    errors,
    async run(...checkIds) {
      await Promise.all(checkIds.map((id) => monitor.runOnce(id)));
    },
    received(checkId) {
      const mentions = (text: string): boolean => new RegExp(`(^|[^\\w-])${checkId}([^\\w-]|$)`).test(text);
      return {
        // Notifications only: replies to commands answer someone.
        telegram: telegram.messages.filter((message) => message.replyToMessageId === undefined).map((message) => message.text.split('\n')[0] as string).filter(mentions),
        webhook: webhook.requests.map((request) => titleOf(request.payload)).filter(mentions),
        email: smtp.messages.map((message) => message.subject).filter(mentions),
      };
    },
    async settle() {
      await until(() => Object.values(monitor.stats().notifiers).every((stats) => stats.queued === 0), 'notifier queues to drain');
    },
  };
}

describe('end to end: monitor, alert manager and the three notifiers against real local services', () => {
  let pipeline: Pipeline;
  const fleet = Array.from({ length: 50 }, (_unused, index) => `node-${String(index).padStart(2, '0')}`);
  beforeAll(async () => {
    pipeline = await startPipeline({ checks: [{ id: 'shop' }, { id: 'flappy' }, { id: 'blog' }, ...fleet.map((id) => ({ id, tags: { fleet: 'yes' } }))] });
  });

  it('an HTTP service goes down: after 3 failures exactly one message per channel; it comes back: one resolved message each', async () => {
    const { services, run, received, settle, telegram, webhook, smtp } = pipeline;
    await run('shop');
    services.healthy.set('shop', false);
    await run('shop');
    await run('shop');
    await settle();
    expect(received('shop')).toEqual({ telegram: [], webhook: [], email: [] });
    await run('shop');
    await until(() => telegram.messages.length === 1 && webhook.requests.length === 1 && smtp.messages.length === 1, 'one firing notice per channel');
    // Still down: nothing more.
    await run('shop');
    await run('shop');
    await settle();
    const firing = '🔴 FIRING (critical): shop';
    expect(received('shop')).toEqual({ telegram: [firing], webhook: [firing], email: [`[vigil] ${firing}`] });
    expect(telegram.messages[0]?.text.split('\n')[1]).toMatch(/^shop: 3 consecutive failures \(assertion_failed: .*got 503 Service Unavailable/);
    expect(webhook.requests[0]?.payload).toMatchObject({ type: 'alert.firing', data: { events: [{ checkId: 'shop', state: 'firing' }] } });
    expect(webhook.requests[0]?.headers['webhook-signature']).toMatch(/^v1,/);

    services.healthy.set('shop', true);
    await run('shop');
    await settle();
    expect(received('shop').telegram).toHaveLength(1);
    await run('shop');
    await until(() => received('shop').email.length === 2 && received('shop').telegram.length === 2 && received('shop').webhook.length === 2, 'one resolved notice per channel');
    await run('shop');
    await settle();
    const resolved = '✅ RESOLVED: shop';
    expect(received('shop')).toEqual({ telegram: [firing, resolved], webhook: [firing, resolved], email: [`[vigil] ${firing}`, `[vigil] ${resolved}`] });
  });

  it('a flapping service sends one flapping notice per channel, then stays quiet', async () => {
    const { services, run, received, settle } = pipeline;
    for (let round = 0; round < 40; round += 1) {
      services.healthy.set('flappy', round % 2 === 1);
      await run('flappy');
    }
    await settle();
    const flapping = received('flappy');
    expect(flapping.telegram).toEqual(['🔀 FLAPPING (critical): flappy']);
    expect(flapping.webhook).toEqual(['🔀 FLAPPING (critical): flappy']);
    expect(flapping.email).toEqual(['[vigil] 🔀 FLAPPING (critical): flappy']);
    expect(pipeline.monitor.alerts.alert('down/flappy')?.state).toBe('flapping');
  });

  it('/silence from an allowed chat silences the alert; from another chat it is refused', async () => {
    const { telegram, monitor, services, run, received, settle } = pipeline;
    const refused = await telegram.waitForReply(telegram.pushMessage({ chatId: 99, text: '/silence blog 1h', from: { id: 13, username: 'mallory' } }));
    expect(refused.text).toContain('not allowed');
    expect(monitor.alerts.silences()).toEqual([]);
    const accepted = await telegram.waitForReply(telegram.pushMessage({ chatId: 42, text: '/silence blog 1h', from: { id: 7, username: 'alice' } }));
    expect(accepted.text).toContain('Silenced checkId=blog');
    expect(monitor.alerts.silences()).toMatchObject([{ createdBy: 'telegram:@alice', matchers: [{ name: 'checkId', value: 'blog' }] }]);
    services.healthy.set('blog', false);
    for (let round = 0; round < 4; round += 1) await run('blog');
    await settle();
    expect(monitor.alerts.alert('down/blog')).toMatchObject({ state: 'firing', silencedBy: [monitor.alerts.silences()[0]?.id] });
    expect(received('blog')).toEqual({ telegram: [], webhook: [], email: [] });
  });

  it('50 services failing at once, grouped: one message per channel listing all of them', async () => {
    const { services, run, clock, telegram, webhook, smtp, settle } = pipeline;
    const before = { telegram: telegram.messages.length, webhook: webhook.requests.length, email: smtp.messages.length };
    for (const id of fleet) services.healthy.set(id, false);
    for (let round = 0; round < 3; round += 1) await run(...fleet);
    await settle();
    // The group window is still open: nothing yet.
    expect([telegram.messages.length, webhook.requests.length, smtp.messages.length]).toEqual([before.telegram, before.webhook, before.email]);
    await clock.advance(35_000);
    await until(() => telegram.messages.length === before.telegram + 1 && webhook.requests.length === before.webhook + 1 && smtp.messages.length === before.email + 1, 'one grouped message per channel');
    await settle();
    const title = '🔴 50 alerts: 50 firing';
    const message = telegram.messages.at(-1);
    expect(message?.text.split('\n')[0]).toBe(title);
    const request = webhook.requests.at(-1);
    expect(request?.payload.data.events).toHaveLength(50);
    const mail = smtp.messages.at(-1);
    expect(mail?.subject).toBe(`[vigil] ${title}`);
    for (const id of fleet) {
      expect(message?.text).toContain(`${id}:`);
      expect(mail?.text).toContain(`${id}:`);
    }
    expect([telegram.messages.length, webhook.requests.length, smtp.messages.length]).toEqual([before.telegram + 1, before.webhook + 1, before.email + 1]);
  });

  it('nothing failed to deliver along the way', () => {
    expect(pipeline.failed).toEqual([]);
  });
});

describe('end to end: bad input never crashes the monitor; failures are retried and reported', () => {
  it('malformed Bot API updates, a webhook that hangs then answers 500, an SMTP server that defers then rejects', async () => {
    const pipeline = await startPipeline({ checks: [{ id: 'api' }, { id: 'db' }], maxAttempts: 4 });
    const { telegram, webhook, smtp, services, run, clock, monitor, failed, errors } = pipeline;

    // Garbage from the Bot API: the bot skips it and still answers.
    for (const garbage of [null, 'x', { update_id: 'x' }, (slot: number) => ({ update_id: slot, message: { chat: 7 } }), (slot: number) => ({ update_id: slot, message: { text: ['/status'] } })]) {
      telegram.pushRawUpdate(garbage);
    }
    const status = await telegram.waitForReply(telegram.pushMessage({ chatId: 42, text: '/status' }));
    expect(status.text).toContain('2 checks');
    expect(pipeline.telegramNotifier.botStats()?.invalid).toBeGreaterThanOrEqual(4);

    // The webhook hangs (the dispatcher's 10 s timeout ends it), then answers 500, then takes it.
    webhook.answers.push('hang', 500);
    // The SMTP server defers (451: retried).
    await smtp.setBehaviour({ kind: 'tempfail' });
    services.healthy.set('api', false);
    for (let round = 0; round < 3; round += 1) await run('api');
    await until(() => telegram.messages.some((message) => message.text.startsWith('🔴 FIRING (critical): api')), 'the telegram notice');
    await until(() => webhook.server.requests >= 1 && errors.some((error) => error.notifier === 'email'), 'the first webhook and e-mail attempts');
    await clock.advance(10_000);
    await until(() => errors.filter((error) => error.notifier === 'webhook').length >= 1, 'the webhook timeout to be reported');
    expect(errors.find((error) => error.notifier === 'webhook')?.error).toMatch(/timed out|aborted/);
    await smtp.setBehaviour({ kind: 'accept' });
    await clock.advance(1_000);
    await until(() => errors.filter((error) => error.notifier === 'webhook').length >= 2, 'the 500 to be reported');
    expect(errors.filter((error) => error.notifier === 'webhook')[1]?.error).toContain('answered 500');
    await clock.advance(2_000);
    await until(() => webhook.requests.length === 1 && smtp.messages.length === 1, 'delivery after retries');
    expect(webhook.requests[0]?.payload.data.title).toBe('🔴 FIRING (critical): api');
    expect(errors.some((error) => error.notifier === 'email' && error.error.includes('451'))).toBe(true);

    // The SMTP server now rejects for good: reported as a failed delivery, not retried.
    await smtp.setBehaviour({ kind: 'reject' });
    services.healthy.set('db', false);
    for (let round = 0; round < 3; round += 1) await run('db');
    await until(() => failed.some((delivery) => delivery.notifier === 'email'), 'the rejected e-mail to be recorded');
    expect(failed.find((delivery) => delivery.notifier === 'email')).toMatchObject({ attempts: 1, cause: 'failed' });
    expect(failed.find((delivery) => delivery.notifier === 'email')?.error).toContain('550 5.7.1 Message rejected');
    await until(() => telegram.messages.some((message) => message.text.startsWith('🔴 FIRING (critical): db')), 'the db notice on telegram');

    // The monitor is alive and well.
    expect((await monitor.runOnce('api')).status).toBe('down');
    expect(pipeline.telegramNotifier.botStats()?.polling).toBe(true);
    expect((await telegram.waitForReply(telegram.pushMessage({ chatId: 42, text: '/alerts' }))).text).toContain('down/db');
  });
});
