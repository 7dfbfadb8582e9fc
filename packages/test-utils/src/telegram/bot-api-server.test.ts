import { describe, expect, it } from 'vitest';
import { cleanupAfterAll } from '../cleanup.js';
import { type TelegramBotApiServer, startTelegramBotApiServer } from './bot-api-server.js';

const { closeLater } = cleanupAfterAll();

async function start(options: Parameters<typeof startTelegramBotApiServer>[0] = {}): Promise<TelegramBotApiServer> {
  return closeLater(await startTelegramBotApiServer(options));
}

async function call(server: TelegramBotApiServer, method: string, parameters: Record<string, unknown> = {}, token = server.token): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(parameters),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('startTelegramBotApiServer', () => {
  it('answers getMe, and 401 for a wrong token, 404 for an unknown method', async () => {
    const server = await start({ botUsername: 'vigil_bot' });
    expect(server.token).toMatch(/^\d+:[A-Za-z0-9_-]{35}$/);
    expect(await call(server, 'getMe')).toMatchObject({ status: 200, body: { ok: true, result: { id: server.botId, is_bot: true, username: 'vigil_bot' } } });
    expect(await call(server, 'getMe', {}, `${server.botId}:wrong`)).toEqual({ status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } });
    expect(await call(server, 'sendCarrierPigeon')).toEqual({ status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } });
  });

  it('sends messages, parsing MarkdownV2 and refusing unescaped characters like Telegram', async () => {
    const server = await start();
    const sent = await call(server, 'sendMessage', { chat_id: 42, text: '*web* is down\\!', parse_mode: 'MarkdownV2' });
    expect(sent).toMatchObject({ status: 200, body: { ok: true, result: { chat: { id: 42 }, text: 'web is down!', entities: [{ type: 'bold', offset: 0, length: 3 }] } } });
    expect(await call(server, 'sendMessage', { chat_id: 42, text: 'Version 1.0', parse_mode: 'MarkdownV2' })).toEqual({
      status: 400,
      body: { ok: false, error_code: 400, description: "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'" },
    });
    expect((await call(server, 'sendMessage', { chat_id: 42, text: 'x'.repeat(4097) })).body.description).toBe('Bad Request: message is too long');
    expect((await call(server, 'sendMessage', { chat_id: 42, text: '' })).body.description).toBe('Bad Request: message text is empty');
    expect((await call(server, 'sendMessage', { text: 'hi' })).body.description).toBe('Bad Request: chat_id is empty');
    expect(server.messages.map((message) => message.text)).toEqual(['web is down!']);
  });

  it('knows chats and forum topics when told', async () => {
    const server = await start({ chats: [-1001], topics: { '-1001': [7] } });
    expect((await call(server, 'sendMessage', { chat_id: 5, text: 'hi' })).body.description).toBe('Bad Request: chat not found');
    expect((await call(server, 'sendMessage', { chat_id: -1001, message_thread_id: 8, text: 'hi' })).body.description).toBe('Bad Request: message thread not found');
    expect((await call(server, 'sendMessage', { chat_id: '-1001', message_thread_id: 7, text: 'hi' })).body).toMatchObject({ ok: true, result: { message_thread_id: 7, is_topic_message: true } });
  });

  it('plays scripted failures: 429 with retry_after, hangs and raw bodies', async () => {
    const server = await start();
    server.failNext('sendMessage', { kind: 'error', errorCode: 429, description: 'Too Many Requests', retryAfter: 3 }, { kind: 'raw', body: '{"ok":tru' });
    expect(await call(server, 'sendMessage', { chat_id: 1, text: 'a' })).toEqual({
      status: 429,
      body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 3', parameters: { retry_after: 3 } },
    });
    const raw = await fetch(`${server.url}/bot${server.token}/sendMessage?chat_id=1&text=b`);
    expect(await raw.text()).toBe('{"ok":tru');
    expect((await call(server, 'sendMessage', { chat_id: 1, text: 'c' })).status).toBe(200);
  });

  it('long-polls getUpdates, confirms by offset and ends an older poll with 409', async () => {
    const server = await start();
    const first = call(server, 'getUpdates', { timeout: 30 });
    const second = call(server, 'getUpdates', { timeout: 30 });
    expect(await first).toMatchObject({ status: 409, body: { error_code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' } });
    const updateId = server.pushMessage({ chatId: 42, text: '/status' });
    const answered = await second;
    expect(answered.body).toMatchObject({ ok: true, result: [{ update_id: updateId, message: { chat: { id: 42 }, text: '/status', entities: [{ type: 'bot_command', offset: 0, length: 7 }] } }] });
    // Not confirmed yet: it comes again; once offset passes it, it is gone.
    expect(((await call(server, 'getUpdates')).body.result as unknown[]).length).toBe(1);
    expect((await call(server, 'getUpdates', { offset: updateId + 1 })).body.result).toEqual([]);
    expect(server.confirmedOffset).toBe(updateId + 1);
    expect(server.pendingUpdates).toBe(0);
  });

  it('keeps only the last updates for a negative offset, and serves raw updates in their slot', async () => {
    const server = await start();
    const ids = [server.pushMessage({ chatId: 1, text: 'a' }), server.pushRawUpdate({ nonsense: true }), server.pushMessage({ chatId: 1, text: 'c' })];
    expect(ids[1]).toBe((ids[0] as number) + 1);
    const result = (await call(server, 'getUpdates', { offset: -2 })).body.result as unknown[];
    expect(result).toEqual([{ nonsense: true }, expect.objectContaining({ update_id: ids[2] })]);
  });
});
