import { type Clock, type Logger, type TimerHandle, describeError } from '@vigil/core';
import { formatElapsed } from '@vigil/notification-format';
import { type BotApiClient, describeOutcome } from './bot-api.js';
import { type CommandContext, runCommand } from './commands.js';
import type { TelegramBotControl } from './control.js';
import type { OffsetStore } from './offset-store.js';
import { type Line, type ParseMode, packMessages, text } from './rich-text.js';
import { sendPart } from './sender.js';
import { type IncomingCommand, parseUpdate, updateIdOf } from './updates.js';

export interface TelegramBotOptions {
  readonly api: BotApiClient;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly offsetStore: OffsetStore;
  /** Chat ids (as strings) allowed to command. */
  readonly allowedChatIds: ReadonlySet<string>;
  readonly pollTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly ignoreOlderThanMs: number;
  readonly categoryTag: string;
  readonly timeZone: string;
  readonly parseMode: ParseMode;
  readonly migrations: Map<string, number | string>;
}

/** Counters of what the bot did, for status pages and tests. */
export interface TelegramBotStats {
  readonly polling: boolean;
  /** The next getUpdates offset. */
  readonly offset: number | undefined;
  readonly username: string | undefined;
  /** Commands run for allowed chats. */
  readonly commands: number;
  /** Commands refused because their chat is not allowed. */
  readonly refused: number;
  /** Commands not run because they were sent long ago (while the bot was down). */
  readonly stale: number;
  /** Updates that were malformed or had no usable id. */
  readonly invalid: number;
  /** Failed getUpdates calls so far. */
  readonly pollErrors: number;
}

/** The command side of the Telegram notifier: long polling, authorization, replies. */
export interface TelegramBot {
  /** Starts polling (idempotent). */
  start(): void;
  /** Stops polling and waits for commands in progress, at most `timeoutMs`. Idempotent. */
  stop(timeoutMs: number): Promise<void>;
  attach(control: TelegramBotControl): void;
  stats(): TelegramBotStats;
}

const maximumConcurrentCommands = 4;
const refusalIntervalMs = 60_000;
const maximumBackoffMs = 60_000;

/** Creates the bot; nothing happens until `start()`. */
export function createTelegramBot(options: TelegramBotOptions): TelegramBot {
  const { api, logger, clock } = options;
  const stopController = new AbortController();
  // Replies of commands already running may still go out while stopping, until the stop deadline.
  const replyController = new AbortController();
  const inFlight = new Set<Promise<void>>();
  const lastRefusal = new Map<string, number>();
  let control: TelegramBotControl | undefined;
  let loop: Promise<void> | undefined;
  let stopPromise: Promise<void> | undefined;
  let offset: number | undefined;
  let username: string | undefined;
  let commands = 0;
  let refused = 0;
  let stale = 0;
  let invalid = 0;
  let pollErrors = 0;
  let offsetSaveFailed = false;

  /** Waits `ms` on the clock; resolves early (false) when the bot stops. */
  const pause = (ms: number): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      if (stopController.signal.aborted) {
        resolve(false);
        return;
      }
      let timer: TimerHandle | undefined;
      const onStop = (): void => {
        clock.clearTimeout(timer);
        resolve(false);
      };
      timer = clock.setTimeout(() => {
        stopController.signal.removeEventListener('abort', onStop);
        resolve(true);
      }, ms);
      stopController.signal.addEventListener('abort', onStop, { once: true });
    });

  const reply = async (command: IncomingCommand, lines: Line[]): Promise<void> => {
    for (const part of packMessages(lines, options.parseMode)) {
      for (let attempt = 1; ; attempt += 1) {
        const outcome = await sendPart({
          api,
          logger,
          target: { chatId: command.chatId, topicId: command.threadId },
          part,
          parseMode: options.parseMode,
          timeoutMs: options.requestTimeoutMs,
          signal: replyController.signal,
          replyToMessageId: command.messageId,
          migrations: options.migrations,
        });
        if (outcome.kind === 'sent') break;
        if (outcome.kind === 'failed' || attempt >= 3 || replyController.signal.aborted) {
          logger.warn('telegram reply not delivered', { chat: command.chatId, command: command.command, error: outcome.error });
          return;
        }
        if (!(await pause(Math.min(30_000, outcome.retryAfterMs ?? 1_000 * attempt)))) return;
      }
    }
  };

  const actorOf = (command: IncomingCommand): string =>
    command.from === undefined ? `telegram:chat:${command.chatId}` : command.from.username ? `telegram:@${command.from.username}` : `telegram:${command.from.id}`;

  const handle = async (command: IncomingCommand): Promise<void> => {
    const now = clock.now();
    const chat = String(command.chatId);
    const who = { chat: command.chatId, chatType: command.chatType, user: command.from?.id, username: command.from?.username, command: command.command };
    if (!options.allowedChatIds.has(chat)) {
      refused += 1;
      logger.warn('telegram command refused: chat not allowed', who);
      const last = lastRefusal.get(chat);
      // One refusal per chat per minute: the bot must not become a way to flood a chat.
      if (last !== undefined && now - last < refusalIntervalMs) return;
      lastRefusal.set(chat, now);
      await reply(command, [[text('⛔ This chat is not allowed to command this bot. The attempt was logged.')]]);
      return;
    }
    const ageMs = now - command.date * 1_000;
    if (ageMs > options.ignoreOlderThanMs) {
      stale += 1;
      logger.info('telegram command ignored: sent long ago', { ...who, ageMs });
      await reply(command, [[text(`⌛ Ignored /${command.command}: it was sent ${formatElapsed(ageMs)} ago, while the bot was away. Send it again if it still matters.`)]]);
      return;
    }
    commands += 1;
    logger.info('telegram command', who);
    const context: CommandContext = { control, now, timeZone: options.timeZone, categoryTag: options.categoryTag, actor: actorOf(command) };
    await reply(command, await runCommand(command, context));
  };

  const dispatch = async (command: IncomingCommand): Promise<void> => {
    while (inFlight.size >= maximumConcurrentCommands) await Promise.race(inFlight);
    const task = handle(command)
      .catch((error: unknown) => logger.error('telegram command failed', { command: command.command, error: api.redact(describeError(error)) }))
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  };

  const saveOffset = async (next: number): Promise<void> => {
    offset = next;
    try {
      await options.offsetStore.save(next);
      offsetSaveFailed = false;
    } catch (error) {
      // Keep serving: a lost offset file risks repeating commands after a restart, nothing more.
      if (!offsetSaveFailed) logger.error('cannot save the telegram update offset; commands may repeat after a restart', { file: options.offsetStore.file, error: describeError(error) });
      offsetSaveFailed = true;
    }
  };

  const identify = async (): Promise<boolean> => {
    for (let failures = 0; !stopController.signal.aborted; failures += 1) {
      const outcome = await api.call<{ username?: unknown }>('getMe', {}, { signal: stopController.signal, timeoutMs: options.requestTimeoutMs });
      if (outcome.ok) {
        username = typeof outcome.result?.username === 'string' ? outcome.result.username : undefined;
        return true;
      }
      if (stopController.signal.aborted) return false;
      pollErrors += 1;
      const permanent = outcome.kind === 'api' && (outcome.errorCode === 401 || outcome.errorCode === 404);
      logger[permanent ? 'error' : 'warn']('telegram getMe failed; retrying', { error: describeOutcome(outcome) });
      if (!(await pause(Math.min(permanent ? 300_000 : maximumBackoffMs, 1_000 * 2 ** Math.min(failures, 8))))) return false;
    }
    return false;
  };

  const poll = async (): Promise<void> => {
    offset = await options.offsetStore.load();
    if (!(await identify())) return;
    logger.info('telegram bot polling for commands', { username, offset });
    let failures = 0;
    while (!stopController.signal.aborted) {
      const parameters: Record<string, unknown> = { timeout: Math.max(1, Math.round(options.pollTimeoutMs / 1_000)), allowed_updates: ['message'] };
      if (offset !== undefined) parameters.offset = offset;
      const outcome = await api.call<unknown>('getUpdates', parameters, { signal: stopController.signal, timeoutMs: options.pollTimeoutMs + options.requestTimeoutMs });
      if (stopController.signal.aborted) break;
      let backoffMs: number | undefined;
      if (!outcome.ok) {
        pollErrors += 1;
        failures += 1;
        const conflict = outcome.kind === 'api' && outcome.errorCode === 409;
        logger.warn(conflict ? 'telegram getUpdates conflict: another bot instance polls with this token' : 'telegram getUpdates failed; retrying', { error: describeOutcome(outcome) });
        backoffMs = outcome.kind === 'api' && outcome.retryAfterSeconds !== undefined ? outcome.retryAfterSeconds * 1_000 : Math.min(maximumBackoffMs, 1_000 * 2 ** Math.min(failures - 1, 8));
      } else if (!Array.isArray(outcome.result)) {
        pollErrors += 1;
        failures += 1;
        logger.warn('telegram getUpdates answered without a list of updates; retrying');
        backoffMs = Math.min(maximumBackoffMs, 1_000 * 2 ** Math.min(failures - 1, 8));
      } else {
        failures = 0;
        let advanced = false;
        for (const raw of outcome.result as unknown[]) {
          const updateId = updateIdOf(raw);
          if (updateId === undefined) {
            invalid += 1;
            logger.warn('telegram update without a valid update_id skipped');
            continue;
          }
          // Already handled (the server repeats what an offset did not confirm yet).
          if (offset !== undefined && updateId < offset) continue;
          // The offset is saved before the command runs: after a crash an update is lost, never run twice.
          await saveOffset(updateId + 1);
          advanced = true;
          const parsed = parseUpdate(raw, username);
          if (parsed.kind === 'invalid') {
            invalid += 1;
            logger.warn('malformed telegram update skipped', { updateId, reason: parsed.reason });
          } else if (parsed.kind === 'command') await dispatch(parsed.command);
        }
        // Updates that could not be confirmed would come straight back: wait instead of spinning.
        if (!advanced && (outcome.result as unknown[]).length > 0) backoffMs = 5_000;
      }
      if (backoffMs !== undefined && !(await pause(backoffMs))) break;
    }
  };

  return {
    start() {
      if (loop || stopPromise) return;
      loop = poll().catch((error: unknown) => {
        logger.error('telegram polling stopped by an unexpected error', { error: api.redact(describeError(error)) });
      });
    },
    stop(timeoutMs) {
      stopPromise ??= (async () => {
        stopController.abort();
        let timer: TimerHandle | undefined;
        const deadline = new Promise<void>((resolve) => {
          timer = clock.setTimeout(resolve, timeoutMs);
        });
        await Promise.race([Promise.allSettled([loop ?? Promise.resolve(), ...inFlight]), deadline]);
        clock.clearTimeout(timer);
        replyController.abort();
      })();
      return stopPromise;
    },
    attach(next) {
      control = next;
    },
    stats: () => ({ polling: loop !== undefined && !stopController.signal.aborted, offset, username, commands, refused, stale, invalid, pollErrors }),
  };
}
