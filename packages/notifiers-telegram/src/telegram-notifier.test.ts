import type { AlertEvent, Notification } from '@vigil/core';
import { VigilError, createNotificationDispatcher } from '@vigil/core';
import {
  type TelegramBotApiServer,
  cleanupAfterAll,
  createFakeClock,
  createRecordingLogger,
  findClosedPort,
  sampleAlertEvent,
  sampleNotification,
  startTelegramBotApiServer,
  testNotifier,
} from '@vigil/test-utils';
import { describe, expect, it } from 'vitest';
import { createTelegramNotifier, telegramNotifierPlugin } from './telegram-notifier.js';

const { closeLater } = cleanupAfterAll();

async function startServer(options: Parameters<typeof startTelegramBotApiServer>[0] = {}): Promise<TelegramBotApiServer> {
  return closeLater(await startTelegramBotApiServer(options));
}

const signal = (): AbortSignal => AbortSignal.timeout(20_000);
const hostile = '_*[]()~`>#+-=|{}.!<>& 🔥 \\ @everyone';

// Parentheses in the link must survive MarkdownV2 escaping: the tests parse the URL back.
function event(overrides: Partial<AlertEvent> = {}): AlertEvent {
  return sampleAlertEvent({ checkType: 'tcp', target: '127.0.0.1:8080', link: 'https://status.example/web?tab=(a)', ...overrides });
}

testNotifier({
  plugin: telegramNotifierPlugin,
  async setup() {
    const server = await startServer();
    return {
      notifier: createTelegramNotifier({ token: server.token, chatId: 42, apiBaseUrl: server.url }),
      receivedCount: async () => server.messages.length,
      invalidOptions: [{}, { token: 'nope', chatId: 1 }, { token: server.token }, { token: server.token, chatId: 1, chats: [{ chatId: 2 }] }, { token: server.token, chatId: 'general' }],
      teardown: async () => undefined,
    };
  },
});

describe('createTelegramNotifier: messages', () => {
  it('sends MarkdownV2 that Telegram parses back to exactly the plain text, for hostile values', async () => {
    const server = await startServer();
    const notifier = createTelegramNotifier({ token: server.token, chatId: 42, apiBaseUrl: server.url });
    const notification: Notification = { id: 'n1', events: [event({ message: hostile, tags: { note: hostile }, target: hostile })], createdAt: 0 };
    await expect(notifier.send(notification, { signal: signal() })).resolves.toMatchObject({ kind: 'sent' });
    const [message] = server.messages;
    expect(message?.parseMode).toBe('MarkdownV2');
    expect(message?.text.split('\n')).toEqual([
      '🔴 FIRING (critical): web',
      hostile,
      `Check: web (tcp ${hostile})`,
      'Rule: down',
      'Reason: connection_refused',
      `Tags: note=${hostile}`,
      'Values: failures=3',
      'Since: 2026-01-01 11:59:00 UTC (1m)',
      'Open',
    ]);
    expect(message?.entities).toContainEqual({ type: 'bold', offset: 0, length: '🔴 FIRING (critical): web'.length });
    expect(message?.entities.find((entity) => entity.type === 'text_link')?.url).toBe('https://status.example/web?tab=(a)');
    await notifier.shutdown();
  });

  it('sends HTML that Telegram parses back to the same text', async () => {
    const server = await startServer();
    const notifier = createTelegramNotifier({ token: server.token, chatId: 42, apiBaseUrl: server.url, parseMode: 'HTML' });
    await notifier.send({ id: 'n1', events: [event({ message: hostile })], createdAt: 0 }, { signal: signal() });
    expect(server.messages[0]?.parseMode).toBe('HTML');
    expect(server.messages[0]?.text.split('\n')[1]).toBe(hostile);
    await notifier.shutdown();
  });

  it('sends to several chats and forum topics, and quietly for resolved notices when asked', async () => {
    const server = await startServer({ chats: [-1001, 42], topics: { '-1001': [7] } });
    const notifier = createTelegramNotifier({ token: server.token, chats: [{ chatId: '-1001', topicId: 7 }, { chatId: 42 }], apiBaseUrl: server.url, silent: 'resolved' });
    await notifier.send({ id: 'a', events: [event()], createdAt: 0 }, { signal: signal() });
    await notifier.send({ id: 'b', events: [event({ state: 'resolved', previousState: 'firing' })], createdAt: 0 }, { signal: signal() });
    expect(server.messages.map((message) => [message.chatId, message.messageThreadId, message.disableNotification])).toEqual([
      [-1001, 7, false],
      [42, undefined, false],
      [-1001, 7, true],
      [42, undefined, true],
    ]);
    await notifier.shutdown();
  });

  it('lists 50 grouped events in one message, and splits what cannot fit into parts of at most 4096 characters', async () => {
    const server = await startServer();
    const notifier = createTelegramNotifier({ token: server.token, chatId: 42, apiBaseUrl: server.url });
    const fifty = Array.from({ length: 50 }, (_unused, index) => event({ alertId: `down/svc-${index}`, checkId: `svc-${index}`, message: `svc-${index}: 3 consecutive failures (connection_refused: refused)` }));
    await notifier.send({ id: 'group', events: fifty, groupKey: 'default:{}', createdAt: 0 }, { signal: signal() });
    expect(server.messages).toHaveLength(1);
    for (let index = 0; index < 50; index += 1) expect(server.messages[0]?.text).toContain(`svc-${index}:`);

    const huge = Array.from({ length: 400 }, (_unused, index) => event({ alertId: `down/svc-${index}`, checkId: `svc-${index}`, message: `svc-${index}: ${'*'.repeat(300)}` }));
    await notifier.send({ id: 'huge', events: huge, createdAt: 0 }, { signal: signal() });
    const parts = server.messages.slice(1);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part.text.length).toBeLessThanOrEqual(4_096);
    const all = parts.map((part) => part.text).join('\n');
    for (let index = 0; index < 400; index += 1) expect(all).toContain(`svc-${index}:`);
    await notifier.shutdown();
  });
});

describe('createTelegramNotifier: failures', () => {
  it('maps 429 with retry_after to retryable with the wait, 5xx and timeouts to retryable, other 4xx to failed', async () => {
    const server = await startServer({ chats: [42] });
    const clock = createFakeClock();
    const notifier = createTelegramNotifier({ token: server.token, chatId: 42, apiBaseUrl: server.url, timeout: '5s' }, { clock });
    server.failNext('sendMessage', { kind: 'error', errorCode: 429, description: 'Too Many Requests', retryAfter: 17 }, { kind: 'error', errorCode: 502, description: 'Bad Gateway' });
    const limited = await notifier.send(sampleNotification(), { signal: signal() });
    expect(limited).toMatchObject({ kind: 'retryable', retryAfterMs: 17_000 });
    expect((await notifier.send(sampleNotification(), { signal: signal() })).kind).toBe('retryable');
    server.failNext('sendMessage', { kind: 'hang' });
    const hanging = notifier.send(sampleNotification(), { signal: signal() });
    for (let waited = 0; server.calls.filter((call) => call.outcome === 'hang').length === 0; waited += 1) {
      if (waited > 1_000) throw new Error('the request never arrived');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await clock.advance(5_000);
    expect(await hanging).toMatchObject({ kind: 'retryable' });
    const wrongChat = createTelegramNotifier({ token: server.token, chatId: 7, apiBaseUrl: server.url }, { clock });
    const failed = await wrongChat.send(sampleNotification(), { signal: signal() });
    expect(failed.kind).toBe('failed');
    expect(failed.kind === 'failed' && String(failed.error)).toContain('400 Bad Request: chat not found');
    await notifier.shutdown();
    await wrongChat.shutdown();
  });

  it('never lets the token appear in errors or logs, whatever fails', async () => {
    const server = await startServer();
    const logger = createRecordingLogger();
    const closedPort = await findClosedPort();
    const results = [];
    const unreachable = createTelegramNotifier({ token: server.token, chatId: 42, apiBaseUrl: `http://127.0.0.1:${closedPort}` }, { logger });
    results.push(await unreachable.send(sampleNotification(), { signal: signal() }));
    const badToken = createTelegramNotifier({ token: `${server.botId}:AAwrongwrongwrongwrongwrongwrong`, chatId: 42, apiBaseUrl: server.url }, { logger });
    results.push(await badToken.send(sampleNotification(), { signal: signal() }));
    const echoing = createTelegramNotifier({ token: server.token, chatId: 42, apiBaseUrl: server.url }, { logger });
    server.failNext('sendMessage', { kind: 'raw', status: 502, body: `<html>proxy error for /bot${server.token}/sendMessage</html>` });
    results.push(await echoing.send(sampleNotification(), { signal: signal() }));
    expect(results.map((result) => result.kind)).toEqual(['retryable', 'failed', 'retryable']);
    const texts = [...results.map((result) => (result.kind === 'sent' ? '' : String(result.error))), ...logger.lines()].join('\n');
    expect(texts).toContain('ECONNREFUSED');
    expect(texts).toContain('401 Unauthorized');
    expect(texts).not.toContain(server.token);
    expect(texts).not.toContain(server.token.split(':')[1]);
    expect(texts).not.toContain('AAwrongwrongwrongwrongwrongwrong');
    for (const notifier of [unreachable, badToken, echoing]) await notifier.shutdown();
  });

  it('falls back to plain text when Telegram cannot parse the formatting, and follows a group that became a supergroup', async () => {
    const server = await startServer();
    const logger = createRecordingLogger();
    const notifier = createTelegramNotifier({ token: server.token, chatId: -100, apiBaseUrl: server.url }, { logger });
    server.failNext('sendMessage', { kind: 'error', errorCode: 400, description: "Bad Request: can't parse entities: Can't find end of Bold entity at byte offset 0" });
    await expect(notifier.send(sampleNotification(), { signal: signal() })).resolves.toMatchObject({ kind: 'sent' });
    expect(server.messages[0]?.parseMode).toBeUndefined();
    expect(server.messages[0]?.text).toContain('*bold* _under_ [link](x) <b>&amp;</b>');
    server.failNext('sendMessage', { kind: 'error', errorCode: 400, description: 'Bad Request: group chat was upgraded to a supergroup chat', migrateToChatId: -1009 });
    await notifier.send(sampleNotification(), { signal: signal() });
    await notifier.send(sampleNotification(), { signal: signal() });
    expect(server.messages.slice(1).map((message) => message.chatId)).toEqual([-1009, -1009]);
    expect(logger.lines().some((line) => line.includes('became a supergroup'))).toBe(true);
    await notifier.shutdown();
  });

  it('does not send a part twice when a retry follows a partial delivery', async () => {
    const server = await startServer();
    const notifier = createTelegramNotifier({ token: server.token, chats: [{ chatId: 1 }, { chatId: 2 }], apiBaseUrl: server.url });
    const notification = sampleNotification({ id: 'partial' });
    // The first chat gets it, the second hits flood control.
    server.failNext('sendMessage', { kind: 'raw', status: 200, body: JSON.stringify({ ok: true, result: { message_id: 1 } }) }, { kind: 'error', errorCode: 429, description: 'Too Many Requests', retryAfter: 1 });
    expect((await notifier.send(notification, { signal: signal() })).kind).toBe('retryable');
    expect((await notifier.send(notification, { signal: signal() })).kind).toBe('sent');
    const sendCalls = server.calls.filter((call) => call.method === 'sendmessage').map((call) => call.parameters.chat_id);
    expect(sendCalls).toEqual([1, 2, 2]);
    await notifier.shutdown();
  });

  it('with the core dispatcher: waits retry_after, then delivers once', async () => {
    const server = await startServer();
    const clock = createFakeClock();
    const notifier = createTelegramNotifier({ token: server.token, chatId: 42, apiBaseUrl: server.url }, { clock });
    const delays: number[] = [];
    const dispatcher = createNotificationDispatcher(notifier, { clock, retry: { initialDelayMs: 1_000, jitter: 0 }, onError: (_error, _id, retryInMs) => delays.push(retryInMs ?? -1) });
    server.failNext('sendMessage', { kind: 'error', errorCode: 429, description: 'Too Many Requests', retryAfter: 30 });
    dispatcher.dispatch(sampleNotification());
    for (let waited = 0; delays.length === 0; waited += 1) {
      if (waited > 1_000) throw new Error('no retry scheduled');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(delays).toEqual([30_000]);
    await clock.advance(29_999);
    expect(server.messages).toHaveLength(0);
    await clock.advance(1);
    await server.waitForMessages(1);
    await dispatcher.shutdown();
    expect(server.messages).toHaveLength(1);
  });

  it('refuses sends after shutdown', async () => {
    const server = await startServer();
    const notifier = createTelegramNotifier({ token: server.token, chatId: 42, apiBaseUrl: server.url });
    await notifier.shutdown();
    await expect(notifier.send(sampleNotification(), { signal: signal() })).rejects.toSatisfy((error: unknown) => VigilError.hasCode(error, 'VIGIL_ERR_SHUT_DOWN'));
  });
});
