import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTcpCheck } from '@vigil/checks-tcp';
import { type Monitor, consecutiveFailures, createMonitor } from '@vigil/core';
import {
  type RecordingLogger,
  type TcpServer,
  type TelegramBotApiServer,
  type TelegramSentMessage,
  createFakeClock,
  createRecordingLogger,
  findClosedPort,
  startTcpServer,
  startTelegramBotApiServer,
} from '@vigil/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TelegramNotifier, createTelegramNotifier } from './telegram-notifier.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

let up: TcpServer;
let closedPort: number;
beforeAll(async () => {
  up = await startTcpServer({ banner: 'hello\r\n' });
  cleanups.push(() => up.close());
  closedPort = await findClosedPort();
});

async function stateDirectory(): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), 'vigil-telegram-'));
  cleanups.push(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

/** A real monitor over real TCP checks: `web` and `api` answer, `db` refuses. */
async function startMonitor(): Promise<Monitor> {
  const monitor = createMonitor({
    checks: [
      { id: 'web', check: createTcpCheck({ host: '127.0.0.1', port: up.port }), interval: '1h', tags: { category: 'edge', env: 'prod' } },
      { id: 'db', check: createTcpCheck({ host: '127.0.0.1', port: closedPort }), interval: '1h', tags: { category: 'storage' } },
      { id: 'api', check: createTcpCheck({ host: '127.0.0.1', port: up.port }), interval: '1h' },
    ],
    rules: [consecutiveFailures({ id: 'down', failures: 1, successes: 1 })],
  });
  for (const id of ['web', 'db', 'api']) await monitor.runOnce(id);
  cleanups.push(() => monitor.stop());
  return monitor;
}

interface Harness {
  readonly server: TelegramBotApiServer;
  readonly notifier: TelegramNotifier;
  readonly logger: RecordingLogger;
  readonly directory: string;
  /** Sends a command as a user and returns the bot's reply. */
  ask(text: string, input?: { chatId?: number; messageThreadId?: number; date?: number }): Promise<TelegramSentMessage>;
}

async function startBot(options: { monitor?: Monitor; server?: TelegramBotApiServer; directory?: string; clock?: ReturnType<typeof createFakeClock> } = {}): Promise<Harness> {
  const server = options.server ?? (await startTelegramBotApiServer({ botUsername: 'vigil_test_bot', topics: { '-1005': [7] } }));
  if (!options.server) cleanups.push(() => server.close());
  const directory = options.directory ?? (await stateDirectory());
  const logger = createRecordingLogger();
  const notifier = createTelegramNotifier(
    { token: server.token, chatId: 42, apiBaseUrl: server.url, commands: { allowedChatIds: [42, '-1005'], stateDirectory: directory, pollTimeout: '5s' } },
    { logger, ...(options.clock ? { clock: options.clock } : {}) },
  );
  if (options.monitor) notifier.attachMonitor(options.monitor);
  await notifier.start?.({ signal: AbortSignal.timeout(1_000) });
  cleanups.push(() => notifier.shutdown());
  const ask = async (text: string, input: { chatId?: number; messageThreadId?: number; date?: number } = {}): Promise<TelegramSentMessage> =>
    server.waitForReply(server.pushMessage({ chatId: input.chatId ?? 42, text, from: { id: 7, username: 'alice' }, ...input }));
  return { server, notifier, logger, directory, ask };
}

describe('telegram bot commands against a real monitor', () => {
  let monitor: Monitor;
  let bot: Harness;
  beforeAll(async () => {
    monitor = await startMonitor();
    bot = await startBot({ monitor });
  });

  it('/help lists the commands, as a reply to the command', async () => {
    const reply = await bot.ask('/help');
    for (const command of ['/status', '/servers [category]', '/server <name>', '/test <name>', '/alerts', '/silence <matcher> <duration>', '/ack <alert>', '/help']) expect(reply.text).toContain(command);
    expect(reply.chatId).toBe(42);
    expect(reply.replyToMessageId).toBeDefined();
  });

  it('/status counts checks by status, and alerts', async () => {
    const reply = await bot.ask('/status');
    expect(reply.text).toContain('3 checks');
    expect(reply.text).toContain('✅ 2 up');
    expect(reply.text).toContain('🔴 1 down');
    expect(reply.text).toContain('🚨 1 firing');
    expect(reply.text).toContain('down/db');
  });

  it('/servers groups by category; /servers <category> filters; an unknown category lists the known ones', async () => {
    const all = await bot.ask('/servers');
    expect(all.text.split('\n')).toEqual(expect.arrayContaining(['edge', 'storage', 'Uncategorized']));
    expect(all.text).toMatch(/🔴 db 127\.0\.0\.1:\d+ down \(connection_refused\)/);
    const storage = await bot.ask('/servers storage');
    expect(storage.text).toContain('db');
    expect(storage.text).not.toContain('web');
    expect((await bot.ask('/servers nowhere')).text).toContain('Categories: edge, storage');
  });

  it('/server <name> shows details, tags, statistics and alerts; an unknown name suggests others', async () => {
    const reply = await bot.ask('/server web');
    expect(reply.text).toContain('web (tcp 127.0.0.1:');
    expect(reply.text).toContain('Tags: category=edge, env=prod');
    expect(reply.text).toMatch(/Last: up \(ok\)/);
    expect(reply.text).toMatch(/Last hour: 1 runs, 100\.00% ok/);
    expect((await bot.ask('/server d')).text).toContain('Did you mean: db');
  });

  it('/test <name> runs the check now and replies with the result', async () => {
    const before = monitor.checks().find((check) => check.id === 'db')?.last?.timestamp ?? 0;
    const reply = await bot.ask('/test db');
    expect(reply.text).toMatch(/^🔴 db is down \(connection_refused\) in /);
    expect(monitor.checks().find((check) => check.id === 'db')?.last?.timestamp).toBeGreaterThanOrEqual(before);
    expect((await bot.ask('/test web')).text).toMatch(/^✅ web is up \(ok\) in /);
  });

  it('/alerts lists active alerts; /ack acknowledges one by check name', async () => {
    expect((await bot.ask('/alerts')).text).toContain('down/db firing');
    const reply = await bot.ask('/ack db');
    expect(reply.text).toContain('Acknowledged down/db');
    expect(monitor.alerts.alert('down/db')?.acknowledged?.by).toBe('telegram:@alice');
    expect((await bot.ask('/alerts')).text).toContain('ack by telegram:@alice');
    expect((await bot.ask('/ack nothing')).text).toContain('No active alert');
  });

  it('/silence <matcher> <duration> creates a silence on the monitor; /unsilence ends it', async () => {
    const reply = await bot.ask('/silence db 2h');
    const [silence] = monitor.alerts.silences();
    expect(silence).toMatchObject({ createdBy: 'telegram:@alice', matchers: [{ name: 'checkId', operator: '=', value: 'db' }] });
    expect(reply.text).toContain(`Id ${silence?.id}`);
    expect(monitor.alerts.alert('down/db')?.silencedBy).toEqual([silence?.id]);
    const matcher = await bot.ask('/silence env=prod, severity=critical 30m');
    expect(matcher.text).toContain('Silenced env=prod, severity=critical');
    expect((await bot.ask(`/unsilence ${silence?.id}`)).text).toContain('ended');
    expect(monitor.alerts.silences().map((item) => item.id)).not.toContain(silence?.id);
    expect((await bot.ask('/silence db soon')).text).toContain('is not a duration');
    expect((await bot.ask('/silence env=~"(" 1h')).text).toContain('Cannot silence: silence.matchers: invalid matcher');
  });

  it('refuses chats that are not allowed (once a minute per chat) and logs every attempt', async () => {
    const refusal = await bot.ask('/silence db 1h', { chatId: 99 });
    expect(refusal.chatId).toBe(99);
    expect(refusal.text).toContain('not allowed');
    const silencesBefore = monitor.alerts.silences().length;
    const refusedBefore = bot.notifier.botStats()?.refused ?? 0;
    bot.server.pushMessage({ chatId: 99, text: '/status' });
    const marker = await bot.ask('/help');
    expect(marker.chatId).toBe(42);
    expect(bot.server.messages.filter((message) => message.chatId === 99)).toHaveLength(1);
    expect(bot.notifier.botStats()?.refused).toBe(refusedBefore + 1);
    expect(monitor.alerts.silences()).toHaveLength(silencesBefore);
    expect(bot.logger.lines().filter((line) => line.includes('command refused') && line.includes('"chat":99'))).toHaveLength(2);
  });

  it('answers in the forum topic it was asked in, follows /cmd@bot addressing and ignores old commands', async () => {
    const inTopic = await bot.ask('/help', { chatId: -1005, messageThreadId: 7 });
    expect(inTopic).toMatchObject({ chatId: -1005, messageThreadId: 7 });
    bot.server.pushMessage({ chatId: 42, text: '/status@some_other_bot' });
    const addressed = await bot.ask('/status@vigil_test_bot');
    expect(addressed.text).toContain('3 checks');
    expect(bot.server.messages.filter((message) => message.replyToMessageId !== undefined && message.text.includes('3 checks')).length).toBeGreaterThan(0);
    const old = await bot.ask('/silence web 1h', { date: Math.floor(Date.now() / 1_000) - 3_600 });
    expect(old.text).toMatch(/^⌛ Ignored \/silence: it was sent 1h/);
    expect(monitor.alerts.silences().some((silence) => silence.matchers.some((matcher) => matcher.value === 'web'))).toBe(false);
    expect((await bot.ask('/frobnicate')).text).toContain('Unknown command /frobnicate');
  });

  it('never writes the token to its logs', () => {
    expect(bot.logger.lines().length).toBeGreaterThan(5);
    expect(bot.logger.lines().join('\n')).not.toContain(bot.server.token.split(':')[1]);
  });
});

describe('telegram bot: offsets, restarts and bad input', () => {
  /** Runs `/silence web 1h` on one bot, then "crashes" it after the offset was saved but before Telegram saw the confirmation. */
  async function crashAfterCommand(): Promise<{ server: TelegramBotApiServer; monitor: Monitor; directory: string; updateId: number }> {
    const server = await startTelegramBotApiServer();
    cleanups.push(() => server.close());
    const monitor = await startMonitor();
    const first = await startBot({ server, monitor });
    for (let waited = 0; !server.calls.some((call) => call.method === 'getupdates'); waited += 1) {
      if (waited > 1_000) throw new Error('the bot never polled');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // The poll after the command (the one that would confirm it) never reaches the update queue.
    server.failNext('getUpdates', { kind: 'hang' });
    const updateId = server.pushMessage({ chatId: 42, text: '/silence web 1h', from: { id: 7, username: 'alice' } });
    await server.waitForMessages(1);
    expect(monitor.alerts.silences()).toHaveLength(1);
    await first.notifier.shutdown();
    expect(server.confirmedOffset).toBeLessThan(updateId + 1);
    expect(server.pendingUpdates).toBe(1);
    return { server, monitor, directory: first.directory, updateId };
  }

  it('persists the offset before running a command, so a restart never runs it twice', async () => {
    const { server, monitor, directory, updateId } = await crashAfterCommand();
    expect(JSON.parse(await readFile(path.join(directory, `telegram-${server.botId}.offset.json`), 'utf8'))).toMatchObject({ offset: updateId + 1 });
    const second = await startBot({ server, monitor, directory });
    await server.waitForConfirmedOffset(updateId + 1);
    expect((await second.ask('/help')).text).toContain('/status');
    expect(second.notifier.botStats()?.commands).toBe(1);
    expect(monitor.alerts.silences()).toHaveLength(1);
    expect(server.messages.filter((message) => message.text.includes('Silenced'))).toHaveLength(1);
  });

  it('without the saved offset the same crash runs the command again (so the test above can fail)', async () => {
    const { server, monitor } = await crashAfterCommand();
    const second = await startBot({ server, monitor });
    await server.waitForMessages(2);
    expect(server.messages.filter((message) => message.text.includes('Silenced'))).toHaveLength(2);
    expect(second.notifier.botStats()?.commands).toBe(1);
    expect(monitor.alerts.silences()).toHaveLength(2);
  });

  it('survives malformed updates and answers the next valid command', async () => {
    const server = await startTelegramBotApiServer();
    cleanups.push(() => server.close());
    const bot = await startBot({ server });
    const garbage: unknown[] = [
      null,
      42,
      'update',
      [],
      {},
      { update_id: 'x' },
      { update_id: -1 },
      { update_id: 1e300 },
      (slot: number) => ({ update_id: slot, message: null }),
      (slot: number) => ({ update_id: slot, message: { chat: 'nope', text: '/status' } }),
      (slot: number) => ({ update_id: slot, message: { message_id: 1, date: 1, chat: { id: 42 }, text: { toString: '/status' } } }),
      (slot: number) => ({ update_id: slot, message: { message_id: 1, date: 'today', chat: { id: 42 }, text: '/status' } }),
      (slot: number) => ({ update_id: slot, message: { message_id: 1, date: 1, chat: { id: 42 }, text: `/status ${'x'.repeat(10_000)}` } }),
      (slot: number) => ({ update_id: slot, edited_message: { text: '/silence web 1h' } }),
      (slot: number) => ({ update_id: slot, message: { message_id: 1, date: 1, chat: { id: 42, type: 'private' }, text: '/', from: { id: 'me' } } }),
      (slot: number) => ({ update_id: slot, message: { message_id: 1, date: 1, chat: { id: 42 }, text: '/status', from: 'x', is_topic_message: true, message_thread_id: 'y' } }),
    ];
    for (const update of garbage) server.pushRawUpdate(update);
    const reply = await bot.ask('/help');
    expect(reply.text).toContain('/status');
    const stats = bot.notifier.botStats();
    // Thirteen have no usable id or shape; each is counted once (the offset moves past it).
    expect(stats?.invalid).toBe(13);
    // The last one is a real command, if an odd one: answered (as sent long ago), not crashed on.
    expect(server.messages.some((message) => message.text.startsWith('⌛ Ignored /status'))).toBe(true);
    expect(stats?.polling).toBe(true);
  });

  it('refuses a chat at most once a minute, and runs commands up to ignoreOlderThan old (fake clock)', async () => {
    const server = await startTelegramBotApiServer();
    cleanups.push(() => server.close());
    const clock = createFakeClock(Date.now());
    const bot = await startBot({ server, clock });
    const errors = (): number => bot.notifier.botStats()?.pollErrors ?? 0;
    const until = async (condition: () => boolean, what: string): Promise<void> => {
      for (let waited = 0; !condition(); waited += 1) {
        if (waited > 1_000) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const seconds = (offsetMs: number): number => Math.floor((clock.now() + offsetMs) / 1_000);
    expect((await bot.ask('/help', { chatId: 99 })).text).toContain('not allowed');
    server.pushMessage({ chatId: 99, text: '/help' });
    await until(() => bot.notifier.botStats()?.refused === 2, 'the second refusal');
    expect(server.messages.filter((message) => message.chatId === 99)).toHaveLength(1);
    // A minute later: the long poll's own timeout has fired on the fake clock too; let it recover.
    await clock.advance(60_000);
    await until(() => errors() >= 1, 'the timed-out poll');
    await clock.advance(5_000);
    expect((await bot.ask('/help', { chatId: 99 })).text).toContain('not allowed');
    expect(server.messages.filter((message) => message.chatId === 99)).toHaveLength(2);
    // ignoreOlderThan (10m): 9 minutes old still runs, 11 minutes old does not.
    expect((await bot.ask('/help', { date: seconds(-9 * 60_000) })).text).toContain('/status');
    expect((await bot.ask('/help', { date: seconds(-11 * 60_000) })).text).toMatch(/^⌛ Ignored \/help: it was sent 11m/);
  });

  it('backs off on bad getUpdates answers (garbage body, 429 retry_after, 409 conflict) and recovers', async () => {
    const server = await startTelegramBotApiServer();
    cleanups.push(() => server.close());
    const clock = createFakeClock(Date.now());
    const bot = await startBot({ server, clock });
    const polls = (): number => server.calls.filter((call) => call.method === 'getupdates').length;
    const errors = (): number => bot.notifier.botStats()?.pollErrors ?? 0;
    const until = async (condition: () => boolean, what: string): Promise<void> => {
      for (let waited = 0; !condition(); waited += 1) {
        if (waited > 1_000) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    await until(() => polls() === 1, 'the first poll');
    server.failNext(
      'getUpdates',
      { kind: 'raw', body: '{"ok":true,"result":[{"update_id":' },
      { kind: 'raw', body: '{"ok":true,"result":{"not":"a list"}}' },
      { kind: 'error', errorCode: 429, description: 'Too Many Requests', retryAfter: 20 },
      { kind: 'error', errorCode: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' },
    );
    // End the waiting poll with a command; the next four polls get the scripted answers.
    server.pushMessage({ chatId: 42, text: '/help' });
    await server.waitForMessages(1);
    // Each error is counted right before the backoff timer is set, so time can move once it shows.
    await until(() => errors() === 1, 'the garbage body');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(polls()).toBe(2);
    await clock.advance(1_000);
    await until(() => errors() === 2, 'the answer without a list');
    await clock.advance(2_000);
    await until(() => errors() === 3, 'the 429');
    await clock.advance(19_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(polls()).toBe(4);
    await clock.advance(1_000);
    await until(() => errors() === 4, 'the 409');
    await clock.advance(8_000);
    await until(() => polls() === 6, 'polling to resume');
    expect((await bot.ask('/help')).text).toContain('/status');
    expect(bot.logger.lines().some((line) => line.includes('another bot instance'))).toBe(true);
  });
});
