// A local Telegram Bot API server for tests: Telegram's servers cannot be reached from here.
// It follows the published Bot API (https://core.telegram.org/bots/api) for the methods the
// Vigil notifier uses:
//   - Requests: https://core.telegram.org/bots/api#making-requests — `<base>/bot<token>/<METHOD>`,
//     GET or POST, parameters in the query string, application/x-www-form-urlencoded or
//     application/json; method names are case-insensitive.
//   - Responses: a JSON object with `ok`; on success `result`, on failure `error_code`,
//     `description` and optionally `parameters` (https://core.telegram.org/bots/api#responseparameters:
//     `retry_after` seconds on flood control, `migrate_to_chat_id` after a group became a supergroup).
//     The HTTP status equals `error_code`.
//   - getMe: https://core.telegram.org/bots/api#getme
//   - getUpdates: https://core.telegram.org/bots/api#getupdates — `offset` confirms every update
//     below it; a negative offset keeps the last -offset updates; `limit` 1-100 (default 100);
//     `timeout` seconds of long polling; a second concurrent call ends the first with 409
//     "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running".
//   - sendMessage: https://core.telegram.org/bots/api#sendmessage — `chat_id`, `text` (1-4096
//     characters after entities parsing), `parse_mode` (MarkdownV2, HTML, Markdown),
//     `message_thread_id` (forum topics), `reply_parameters`, `link_preview_options`,
//     `disable_notification`; formatting per https://core.telegram.org/bots/api#formatting-options.
import { randomBytes, randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoopbackHost } from '../servers/connections.js';
import { startHttpServer } from '../servers/http-server.js';
import type { LocalServer } from '../servers/tcp-server.js';
import { type ParsedTelegramText, type TelegramMessageEntity, TelegramParseError, parseMarkdownV2, parseTelegramHtml } from './markdown-v2.js';

/** A message the bot sent, as the server accepted it. */
export interface TelegramSentMessage {
  readonly messageId: number;
  readonly chatId: number | string;
  readonly messageThreadId: number | undefined;
  /** The text as the recipient sees it (markup parsed away). */
  readonly text: string;
  readonly entities: readonly TelegramMessageEntity[];
  /** The `text` parameter as sent, and its parse mode. */
  readonly rawText: string;
  readonly parseMode: string | undefined;
  readonly replyToMessageId: number | undefined;
  readonly disableNotification: boolean;
  readonly date: number;
}

/** One API call the server answered. */
export interface TelegramApiCall {
  readonly method: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  /** `ok`, or the error code returned. */
  readonly outcome: 'ok' | number | 'hang' | 'malformed';
  readonly at: number;
}

/** A scripted answer for the next call of a method. */
export type TelegramScriptedFailure =
  | { readonly kind: 'error'; readonly errorCode: number; readonly description: string; readonly retryAfter?: number; readonly migrateToChatId?: number }
  /** Never answers (the client's timeout must end it). */
  | { readonly kind: 'hang' }
  /** Answers 200 with this raw body (e.g. truncated JSON). */
  | { readonly kind: 'raw'; readonly status?: number; readonly body: string };

export interface TelegramBotApiServerOptions {
  readonly host?: LoopbackHost;
  /** Default a fresh random token in Telegram's format (`<bot id>:<35 characters>`). */
  readonly token?: string;
  readonly botUsername?: string;
  /** Chats that exist; sending elsewhere is `400 Bad Request: chat not found`. Default: any chat. */
  readonly chats?: readonly (number | string)[];
  /** Forum topics per chat; a `message_thread_id` not listed is `400 Bad Request: message thread not found`. */
  readonly topics?: Readonly<Record<string, readonly number[]>>;
  /** Epoch seconds for message dates; default the real clock. */
  readonly now?: () => number;
  /** Cap on a long poll, in ms, so tests never wait the full `timeout`; default 50,000. */
  readonly maxLongPollMs?: number;
}

/** What a user writes to the bot. */
export interface TelegramUserMessageInput {
  readonly chatId: number;
  readonly text: string;
  readonly chatType?: 'private' | 'group' | 'supergroup' | 'channel';
  readonly from?: { readonly id: number; readonly username?: string; readonly firstName?: string };
  readonly messageThreadId?: number;
  /** Epoch seconds; default now. */
  readonly date?: number;
}

/** A running local Bot API server. */
export interface TelegramBotApiServer extends LocalServer {
  /** The API base URL to configure (`http://127.0.0.1:port`); methods live at `<url>/bot<token>/<method>`. */
  readonly url: string;
  readonly token: string;
  readonly botId: number;
  readonly botUsername: string;
  /** Messages accepted by sendMessage, in order. */
  readonly messages: readonly TelegramSentMessage[];
  /** Every call answered, in order. */
  readonly calls: readonly TelegramApiCall[];
  /** Updates waiting to be confirmed. */
  readonly pendingUpdates: number;
  /** The highest offset a getUpdates call confirmed so far. */
  readonly confirmedOffset: number;
  /** Queues a text message from a user as an update; returns its update_id. */
  pushMessage(input: TelegramUserMessageInput): number;
  /**
   * Queues any JSON value as an update, as is (malformed ones included); returns the update id
   * slot it takes (confirmed by offset slot + 1). A function receives the slot, to build an
   * update whose `update_id` is consistent with its neighbours.
   */
  pushRawUpdate(update: unknown): number;
  /** The next call of `method` gets this answer instead (each failure is used once, in order). */
  failNext(method: string, ...failures: TelegramScriptedFailure[]): void;
  /** Resolves once at least `count` messages were accepted; rejects after `timeoutMs`. */
  waitForMessages(count: number, timeoutMs?: number): Promise<readonly TelegramSentMessage[]>;
  /** Resolves with the first message sent in reply (`reply_parameters`) to the message of a pushed update. */
  waitForReply(updateId: number, timeoutMs?: number): Promise<TelegramSentMessage>;
  /** Resolves once a getUpdates call confirmed `offset` (or more); rejects after `timeoutMs`. */
  waitForConfirmedOffset(offset: number, timeoutMs?: number): Promise<void>;
}

interface QueuedUpdate {
  /** The update id slot; confirmation compares against it (a malformed update may carry no usable id of its own). */
  readonly updateId: number;
  readonly value: unknown;
}

interface LongPoll {
  readonly finish: (status: number, body: unknown) => void;
  readonly cancel: () => void;
}

class ApiError extends Error {
  constructor(
    readonly errorCode: number,
    readonly description: string,
    readonly parameters?: Record<string, number>,
  ) {
    super(description);
  }
}

const badRequest = (description: string): ApiError => new ApiError(400, `Bad Request: ${description}`);

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads parameters from the query string and the body, the three ways the Bot API accepts. */
async function readParameters(request: IncomingMessage, url: URL): Promise<Record<string, unknown>> {
  const parameters: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const body = await readBody(request);
  if (body.length === 0) return parameters;
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw badRequest("can't parse JSON object");
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('JSON object expected');
    return { ...parameters, ...(parsed as Record<string, unknown>) };
  }
  if (type === 'application/x-www-form-urlencoded') return { ...parameters, ...Object.fromEntries(new URLSearchParams(body)) };
  throw badRequest('unsupported content type');
}

/** Form and query values are strings; JSON-serialized parameters (reply_parameters, ...) may arrive as text. */
function objectParameter(value: unknown, name: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw badRequest(`can't parse ${name} JSON object`);
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest(`field "${name}" must be of type Object`);
  return parsed as Record<string, unknown>;
}

function integerParameter(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number)) throw badRequest(`field "${name}" must be of type Integer`);
  return number;
}

function booleanParameter(value: unknown): boolean {
  return value === true || value === 'true' || value === 1 || value === '1';
}

/** `chat_id`: an integer, or `@channelusername`. */
function chatIdParameter(value: unknown): number | string {
  if (value === undefined || value === null || value === '') throw badRequest('chat_id is empty');
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (/^-?\d+$/.test(trimmed)) return Number(trimmed);
    if (/^@[A-Za-z][A-Za-z0-9_]{3,}$/.test(trimmed)) return trimmed;
  }
  throw badRequest('chat not found');
}

/** Starts a local Bot API server on a free loopback port. */
export async function startTelegramBotApiServer(options: TelegramBotApiServerOptions = {}): Promise<TelegramBotApiServer> {
  const botId = options.token ? Number(options.token.split(':')[0]) : randomInt(1_000_000_000, 9_000_000_000);
  const token = options.token ?? `${botId}:AA${randomBytes(33).toString('base64url').slice(0, 33)}`;
  const botUsername = options.botUsername ?? 'vigil_test_bot';
  const nowSeconds = options.now ?? (() => Math.floor(Date.now() / 1_000));
  const maxLongPollMs = options.maxLongPollMs ?? 50_000;
  const knownChats = options.chats === undefined ? undefined : new Set(options.chats.map(String));
  const messages: TelegramSentMessage[] = [];
  const calls: TelegramApiCall[] = [];
  const queue: QueuedUpdate[] = [];
  const scripted = new Map<string, TelegramScriptedFailure[]>();
  const messageWaiters = new Set<() => void>();
  const offsetWaiters = new Set<() => void>();
  const hanging = new Set<ServerResponse>();
  // Telegram's update ids start at some positive number and grow by one.
  let nextUpdateId = randomInt(100_000, 900_000);
  let nextMessageId = 1;
  // Pushed user messages: update id -> message id, so replies can be matched.
  const pushedMessageIds = new Map<number, number>();
  let confirmedOffset = 0;
  let activePoll: LongPoll | undefined;
  let closed = false;

  const record = (method: string, parameters: Record<string, unknown>, outcome: TelegramApiCall['outcome']): void => {
    calls.push({ method, parameters, outcome, at: Date.now() });
  };

  const confirm = (offset: number): void => {
    while (queue.length > 0 && (queue[0] as QueuedUpdate).updateId < offset) queue.shift();
    if (offset > confirmedOffset) confirmedOffset = offset;
    for (const wake of [...offsetWaiters]) wake();
  };

  const wakePoll = (): void => {
    const poll = activePoll;
    if (!poll || queue.length === 0) return;
    activePoll = undefined;
    poll.finish(200, { ok: true, result: queue.slice(0, 100).map((entry) => entry.value) });
  };

  const enqueue = (value: unknown, updateId: number): number => {
    queue.push({ updateId, value });
    wakePoll();
    return updateId;
  };

  const botUser = { id: botId, is_bot: true, first_name: 'Vigil test bot', username: botUsername };

  const sendMessage = (parameters: Record<string, unknown>): unknown => {
    const chatId = chatIdParameter(parameters.chat_id);
    if (knownChats && !knownChats.has(String(chatId))) throw badRequest('chat not found');
    const threadId = integerParameter(parameters.message_thread_id, 'message_thread_id');
    if (threadId !== undefined) {
      const topics = options.topics?.[String(chatId)];
      if (!topics || !topics.includes(threadId)) throw badRequest('message thread not found');
    }
    const rawText = parameters.text;
    if (rawText === undefined || rawText === null || rawText === '') throw badRequest('message text is empty');
    if (typeof rawText !== 'string') throw badRequest('field "text" must be of type String');
    const parseMode = parameters.parse_mode === undefined || parameters.parse_mode === '' ? undefined : String(parameters.parse_mode);
    let parsed: ParsedTelegramText;
    try {
      if (parseMode === undefined) parsed = { text: rawText, entities: [] };
      else if (parseMode.toLowerCase() === 'markdownv2') parsed = parseMarkdownV2(rawText);
      else if (parseMode.toLowerCase() === 'html') parsed = parseTelegramHtml(rawText);
      else throw badRequest('unsupported parse_mode');
    } catch (error) {
      if (error instanceof TelegramParseError) throw badRequest(`can't parse entities: ${error.description}`);
      throw error;
    }
    if (parsed.text.trim().length === 0) throw badRequest('message text is empty');
    if (parsed.text.length > 4096) throw badRequest('message is too long');
    const reply = objectParameter(parameters.reply_parameters, 'reply_parameters');
    let replyToMessageId: number | undefined;
    if (reply !== undefined) {
      replyToMessageId = integerParameter(reply.message_id, 'reply_parameters.message_id');
      if (replyToMessageId === undefined) throw badRequest('message to be replied not found');
    }
    objectParameter(parameters.link_preview_options, 'link_preview_options');
    const message: TelegramSentMessage = {
      messageId: nextMessageId,
      chatId,
      messageThreadId: threadId,
      text: parsed.text,
      entities: parsed.entities,
      rawText,
      parseMode,
      replyToMessageId,
      disableNotification: booleanParameter(parameters.disable_notification),
      date: nowSeconds(),
    };
    nextMessageId += 1;
    messages.push(message);
    for (const wake of [...messageWaiters]) wake();
    return {
      message_id: message.messageId,
      from: botUser,
      chat: typeof chatId === 'number' && chatId > 0 ? { id: chatId, type: 'private', first_name: 'User' } : { id: chatId, type: 'supergroup', title: 'Group' },
      date: message.date,
      text: message.text,
      ...(message.entities.length > 0 ? { entities: message.entities } : {}),
      ...(threadId === undefined ? {} : { message_thread_id: threadId, is_topic_message: true }),
    };
  };

  const getUpdates = (parameters: Record<string, unknown>, response: ServerResponse): 'answered' | 'waiting' => {
    const offset = integerParameter(parameters.offset, 'offset');
    const limit = integerParameter(parameters.limit, 'limit') ?? 100;
    const timeoutSeconds = integerParameter(parameters.timeout, 'timeout') ?? 0;
    if (offset !== undefined && offset < 0) {
      // Keep only the last -offset updates; everything before is forgotten.
      while (queue.length > -offset) queue.shift();
    } else if (offset !== undefined && offset > 0) confirm(offset);
    const take = Math.min(100, Math.max(1, limit));
    if (activePoll) {
      const earlier = activePoll;
      activePoll = undefined;
      earlier.finish(409, { ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' });
    }
    if (queue.length > 0 || timeoutSeconds <= 0) {
      send(response, 200, { ok: true, result: queue.slice(0, take).map((entry) => entry.value) });
      return 'answered';
    }
    let timer: NodeJS.Timeout | undefined;
    const poll: LongPoll = {
      finish(status, body) {
        clearTimeout(timer);
        send(response, status, body);
      },
      cancel: () => clearTimeout(timer),
    };
    activePoll = poll;
    timer = setTimeout(() => {
      if (activePoll === poll) activePoll = undefined;
      send(response, 200, { ok: true, result: [] });
    }, Math.min(timeoutSeconds * 1_000, maxLongPollMs));
    response.once('close', () => {
      clearTimeout(timer);
      if (activePoll === poll) activePoll = undefined;
    });
    return 'waiting';
  };

  const send = (response: ServerResponse, status: number, body: unknown): void => {
    if (response.writableEnded || response.destroyed) return;
    const text = JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    response.end(text);
  };

  const server = await startHttpServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!match) {
      send(response, 404, { ok: false, error_code: 404, description: 'Not Found' });
      return;
    }
    const [, requestToken, rawMethod] = match as unknown as [string, string, string];
    const method = rawMethod.toLowerCase();
    let parameters: Record<string, unknown> = {};
    try {
      parameters = await readParameters(request, url);
      if (requestToken !== token) throw new ApiError(401, 'Unauthorized');
      const failure = scripted.get(method)?.shift();
      if (failure) {
        if (failure.kind === 'hang') {
          record(method, parameters, 'hang');
          hanging.add(response);
          response.once('close', () => hanging.delete(response));
          return;
        }
        if (failure.kind === 'raw') {
          record(method, parameters, 'malformed');
          response.writeHead(failure.status ?? 200, { 'content-type': 'application/json' });
          response.end(failure.body);
          return;
        }
        const extra: Record<string, number> = {};
        if (failure.retryAfter !== undefined) extra.retry_after = failure.retryAfter;
        if (failure.migrateToChatId !== undefined) extra.migrate_to_chat_id = failure.migrateToChatId;
        throw new ApiError(failure.errorCode, failure.description, Object.keys(extra).length > 0 ? extra : undefined);
      }
      switch (method) {
        case 'getme':
          record(method, parameters, 'ok');
          send(response, 200, { ok: true, result: { ...botUser, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false } });
          return;
        case 'sendmessage': {
          const result = sendMessage(parameters);
          record(method, parameters, 'ok');
          send(response, 200, { ok: true, result });
          return;
        }
        case 'getupdates':
          record(method, parameters, 'ok');
          getUpdates(parameters, response);
          return;
        default:
          throw new ApiError(404, 'Not Found');
      }
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      record(method, parameters, error.errorCode);
      send(response, error.errorCode, {
        ok: false,
        error_code: error.errorCode,
        description: error.errorCode === 429 ? `Too Many Requests: retry after ${error.parameters?.retry_after ?? 1}` : error.description,
        ...(error.parameters ? { parameters: error.parameters } : {}),
      });
    }
  });

  const waitFor = (waiters: Set<() => void>, ready: () => boolean, timeoutMs: number, what: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (ready()) {
        resolve();
        return;
      }
      const check = (): void => {
        if (!ready()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`[test-utils] Bot API server: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      waiters.add(check);
    });

  const api: TelegramBotApiServer = {
    host: server.host,
    port: server.port,
    url: server.url,
    token,
    botId,
    botUsername,
    messages,
    calls,
    get connectionsAccepted() {
      return server.connectionsAccepted;
    },
    get connectionsOpen() {
      return server.connectionsOpen;
    },
    get connectionsClosed() {
      return server.connectionsClosed;
    },
    get pendingUpdates() {
      return queue.length;
    },
    get confirmedOffset() {
      return confirmedOffset;
    },
    pushMessage(input) {
      const updateId = nextUpdateId;
      nextUpdateId += 1;
      const from = input.from ?? { id: input.chatId > 0 ? input.chatId : 4242, username: 'operator', firstName: 'Operator' };
      const commandLength = /^\/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?/.exec(input.text)?.[0].length;
      const chatType = input.chatType ?? (input.chatId > 0 ? 'private' : 'supergroup');
      const chat =
        chatType === 'private'
          ? { id: input.chatId, type: chatType, first_name: from.firstName ?? 'Operator' }
          : { id: input.chatId, type: chatType, title: 'Operators', ...(input.messageThreadId === undefined ? {} : { is_forum: true }) };
      const message = {
        message_id: nextMessageId,
        from: { id: from.id, is_bot: false, first_name: from.firstName ?? 'Operator', ...(from.username === undefined ? {} : { username: from.username }) },
        chat,
        date: input.date ?? nowSeconds(),
        text: input.text,
        ...(commandLength === undefined ? {} : { entities: [{ type: 'bot_command', offset: 0, length: commandLength }] }),
        ...(input.messageThreadId === undefined ? {} : { message_thread_id: input.messageThreadId, is_topic_message: true }),
      };
      pushedMessageIds.set(updateId, nextMessageId);
      nextMessageId += 1;
      return enqueue({ update_id: updateId, message }, updateId);
    },
    pushRawUpdate(update) {
      // A raw update takes the next id slot, so it is confirmed like its neighbours.
      const updateId = nextUpdateId;
      nextUpdateId += 1;
      return enqueue(typeof update === 'function' ? (update as (slot: number) => unknown)(updateId) : update, updateId);
    },
    failNext(method, ...failures) {
      const key = method.toLowerCase();
      scripted.set(key, [...(scripted.get(key) ?? []), ...failures]);
    },
    async waitForMessages(count, timeoutMs = 10_000) {
      await waitFor(messageWaiters, () => messages.length >= count, timeoutMs, `${count} messages (have ${messages.length})`);
      return messages;
    },
    async waitForReply(updateId, timeoutMs = 10_000) {
      const messageId = pushedMessageIds.get(updateId);
      if (messageId === undefined) throw new Error(`[test-utils] Bot API server: update ${updateId} was not pushed with pushMessage`);
      const find = (): TelegramSentMessage | undefined => messages.find((message) => message.replyToMessageId === messageId);
      await waitFor(messageWaiters, () => find() !== undefined, timeoutMs, `a reply to update ${updateId}`);
      return find() as TelegramSentMessage;
    },
    waitForConfirmedOffset(offset, timeoutMs = 10_000) {
      return waitFor(offsetWaiters, () => confirmedOffset >= offset, timeoutMs, `offset ${offset} to be confirmed (at ${confirmedOffset})`);
    },
    async close() {
      if (!closed) {
        closed = true;
        activePoll?.cancel();
        activePoll = undefined;
        for (const response of hanging) response.destroy();
      }
      await server.close();
    },
  };
  return api;
}
