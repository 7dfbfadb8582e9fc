import type { AlertEvent, Notification } from '@vigil/core';
import { createNotificationDispatcher } from '@vigil/core';
import { type SmtpServer, cleanupAfterAll, createFakeClock, findClosedPort, sampleAlertEvent, sampleNotification, startSmtpServer, testNotifier } from '@vigil/test-utils';
import { describe, expect, it } from 'vitest';
import { classifySmtpError, createEmailNotifier, emailNotifierPlugin, messageIdFor } from './email-notifier.js';

const { closeLater } = cleanupAfterAll();

async function startServer(options: Parameters<typeof startSmtpServer>[0] = {}): Promise<SmtpServer> {
  return closeLater(await startSmtpServer(options));
}

const signal = (): AbortSignal => AbortSignal.timeout(30_000);
const hostile = '_*[]()~`>#+-=|{}.!<>& <script>alert(1)</script> "quoted" 🔥';
const base = { from: 'Vigil <vigil@example.com>', to: 'ops@example.com', security: 'none' as const };

// The & in the link must come out as &amp; in the HTML body.
function event(overrides: Partial<AlertEvent> = {}): AlertEvent {
  return sampleAlertEvent({ link: 'https://status.example/web?a=1&b=2', ...overrides });
}

testNotifier({
  plugin: emailNotifierPlugin,
  async setup() {
    const server = await startServer();
    return {
      notifier: createEmailNotifier({ ...base, host: server.host, port: server.port }),
      receivedCount: async () => server.messages.length,
      invalidOptions: [{}, { ...base, host: 'x', to: 'not an address' }, { ...base, host: 'x', username: 'only-user' }, { ...base, host: 'x', from: 'a@b.c\r\nBcc: evil@example.com' }],
      teardown: async () => undefined,
    };
  },
});

describe('createEmailNotifier: content', () => {
  it('sends one message with a plain-text and an HTML body, every value escaped in HTML', async () => {
    const server = await startServer();
    const notifier = createEmailNotifier({ ...base, host: server.host, port: server.port, to: ['ops@example.com', 'Second <two@example.com>'], cc: 'cc@example.com' });
    const notification: Notification = { id: 'n-1', events: [event({ message: hostile, tags: { note: hostile } })], createdAt: 0 };
    await expect(notifier.send(notification, { signal: signal() })).resolves.toEqual({ kind: 'sent', id: '<vigil.n-1@example.com>' });
    const [mail] = await server.waitForMessages(1);
    expect(mail?.recipients).toEqual(['ops@example.com', 'two@example.com', 'cc@example.com']);
    expect(mail?.subject).toBe('[vigil] 🔴 FIRING (critical): web');
    expect(mail?.messageId).toBe('<vigil.n-1@example.com>');
    expect(mail?.headers['auto-submitted']).toBe('auto-generated');
    expect(mail?.headers['x-vigil-notification-id']).toBe('n-1');
    expect(mail?.text).toContain(hostile);
    expect(mail?.text).toContain('Since: 2026-01-01 11:59:00 UTC (1m)');
    const html = mail?.html ?? '';
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; 🔥');
    expect(html).toContain('<a href="https://status.example/web?a=1&amp;b=2">Open</a>');
    await notifier.shutdown();
  });

  it('lists all 50 events of a group in one message', async () => {
    const server = await startServer();
    const notifier = createEmailNotifier({ ...base, host: server.host, port: server.port });
    const events = Array.from({ length: 50 }, (_unused, index) => event({ alertId: `down/svc-${index}`, checkId: `svc-${index}`, message: `svc-${index}: down` }));
    await notifier.send({ id: 'group', events, groupKey: 'default:{}', createdAt: 0 }, { signal: signal() });
    const [mail] = await server.waitForMessages(1);
    expect(mail?.subject).toBe('[vigil] 🔴 50 alerts: 50 firing');
    for (let index = 0; index < 50; index += 1) {
      expect(mail?.text).toContain(`svc-${index}: down`);
      expect(mail?.html).toContain(`svc-${index}: down`);
    }
    await notifier.shutdown();
  });

  it('keeps the Message-ID stable for a notification and safe for any id', () => {
    expect(messageIdFor('abc-1', 'a@example.org')).toBe('<vigil.abc-1@example.org>');
    expect(messageIdFor('weird id <x>@y', 'Vigil <a@example.org>')).toMatch(/^<vigil\.[0-9a-f]{32}@example\.org>$/);
  });
});

describe('createEmailNotifier: TLS and AUTH', () => {
  it('upgrades with STARTTLS, verifying the certificate against the given CA', async () => {
    const server = await startServer({ tls: 'starttls' });
    const notifier = createEmailNotifier({ ...base, security: 'starttls', host: server.host, port: server.port, tls: { ca: server.certificate?.certificatePem, servername: 'localhost' } });
    expect((await notifier.send(sampleNotification(), { signal: signal() })).kind).toBe('sent');
    expect((await server.waitForMessages(1))[0]?.tls).toBe(true);
    await notifier.shutdown();
  });

  it('never sends in the clear when STARTTLS is required but not available (454, RFC 3207: retried)', async () => {
    const server = await startServer();
    const notifier = createEmailNotifier({ ...base, security: 'starttls', host: server.host, port: server.port });
    const result = await notifier.send(sampleNotification(), { signal: signal() });
    expect(result.kind).toBe('retryable');
    expect(String(result.kind === 'retryable' ? result.error : '')).toContain('454 TLS not available');
    expect(server.messages).toHaveLength(0);
    await notifier.shutdown();
  });

  it('speaks SMTPS with AUTH; a wrong password fails without appearing in the error', async () => {
    const server = await startServer({ tls: 'implicit', auth: { username: 'vigil', password: 'correct horse' } });
    const tls = { ca: server.certificate?.certificatePem, servername: 'localhost' };
    const good = createEmailNotifier({ ...base, security: 'implicit', host: server.host, port: server.port, tls, username: 'vigil', password: 'correct horse' });
    expect((await good.send(sampleNotification(), { signal: signal() })).kind).toBe('sent');
    expect((await server.waitForMessages(1))[0]).toMatchObject({ tls: true, login: 'vigil' });
    const bad = createEmailNotifier({ ...base, security: 'implicit', host: server.host, port: server.port, tls, username: 'vigil', password: 'wrong battery staple' });
    const result = await bad.send(sampleNotification(), { signal: signal() });
    expect(result.kind).toBe('failed');
    expect(String(result.kind === 'failed' ? result.error : '')).toMatch(/535/);
    expect(String(result.kind === 'failed' ? result.error : '')).not.toContain('wrong battery staple');
    await good.shutdown();
    await bad.shutdown();
  });

  it('fails when the certificate cannot be verified', async () => {
    const server = await startServer({ tls: 'implicit' });
    const notifier = createEmailNotifier({ ...base, security: 'implicit', host: server.host, port: server.port });
    const result = await notifier.send(sampleNotification(), { signal: signal() });
    expect(result.kind).toBe('failed');
    expect(String(result.kind === 'failed' ? result.error : '')).toContain('self-signed certificate');
    expect(server.messages).toHaveLength(0);
    await notifier.shutdown();
  });
});

describe('createEmailNotifier: failures', () => {
  it('maps a 550 rejection and refused recipients to failed, a 451 and a dead server to retryable', async () => {
    const server = await startServer({ behaviour: { kind: 'reject' } });
    const notifier = createEmailNotifier({ ...base, host: server.host, port: server.port });
    const rejected = await notifier.send(sampleNotification(), { signal: signal() });
    expect(rejected.kind).toBe('failed');
    expect(String(rejected.kind === 'failed' ? rejected.error : '')).toContain('550 5.7.1 Message rejected');
    await server.setBehaviour({ kind: 'reject-recipient' });
    expect((await notifier.send(sampleNotification(), { signal: signal() })).kind).toBe('failed');
    await server.setBehaviour({ kind: 'tempfail' });
    expect((await notifier.send(sampleNotification(), { signal: signal() })).kind).toBe('retryable');
    const nobody = createEmailNotifier({ ...base, host: '127.0.0.1', port: await findClosedPort() });
    const refused = await nobody.send(sampleNotification(), { signal: signal() });
    expect(refused.kind).toBe('retryable');
    expect(String(refused.kind === 'retryable' ? refused.error : '')).toMatch(/ECONNREFUSED|ESOCKET|ECONNECTION/);
    await notifier.shutdown();
    await nobody.shutdown();
  });

  it('a server that hangs is retryable once the send is aborted (the dispatcher timeout)', async () => {
    const server = await startServer({ behaviour: { kind: 'hang' } });
    const notifier = createEmailNotifier({ ...base, host: server.host, port: server.port });
    const controller = new AbortController();
    const pending = notifier.send(sampleNotification(), { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 300));
    controller.abort(new Error('send timed out'));
    expect((await pending).kind).toBe('retryable');
    await notifier.shutdown();
  });

  it('with the core dispatcher: a 451 is retried with backoff and the message delivered once', async () => {
    const server = await startServer({ behaviour: { kind: 'tempfail' } });
    const clock = createFakeClock();
    const notifier = createEmailNotifier({ ...base, host: server.host, port: server.port }, { clock });
    let retries = 0;
    const dispatcher = createNotificationDispatcher(notifier, { clock, retry: { initialDelayMs: 5_000, jitter: 0 }, onError: () => (retries += 1) });
    dispatcher.dispatch(sampleNotification({ id: 'once' }));
    for (let waited = 0; retries === 0; waited += 1) {
      if (waited > 2_000) throw new Error('no retry scheduled');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await server.setBehaviour({ kind: 'accept' });
    await clock.advance(5_000);
    const [mail] = await server.waitForMessages(1);
    expect(mail?.messageId).toBe('<vigil.once@example.com>');
    await dispatcher.shutdown();
    expect(dispatcher.stats()).toMatchObject({ sent: 1, retries: 1, failed: 0 });
    expect(server.messages).toHaveLength(1);
  });

  it('classifies SMTP errors by reply code first (RFC 5321), then by connection error', () => {
    expect(classifySmtpError({ responseCode: 550 })).toBe('failed');
    expect(classifySmtpError({ responseCode: 535, code: 'EAUTH' })).toBe('failed');
    expect(classifySmtpError({ responseCode: 503 })).toBe('retryable');
    expect(classifySmtpError({ responseCode: 421 })).toBe('retryable');
    expect(classifySmtpError({ code: 'ETIMEDOUT' })).toBe('retryable');
    expect(classifySmtpError({ code: 'ETLS' })).toBe('failed');
    expect(classifySmtpError({ code: 'ESOCKET', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID' })).toBe('failed');
    expect(classifySmtpError({ code: 'ESOCKET', originalCode: 'ECONNRESET' })).toBe('retryable');
    expect(classifySmtpError(new Error('unknown'))).toBe('retryable');
  });
});
