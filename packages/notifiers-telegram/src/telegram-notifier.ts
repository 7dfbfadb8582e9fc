import {
  type Clock,
  type LogFields,
  type Logger,
  type MonitorView,
  type Notification,
  type Notifier,
  type PluginDefinition,
  type PluginMeta,
  type SendOptions,
  type SendResult,
  VigilError,
  createDeliveryTracker,
  parseDuration,
  parseOptions,
  redactValue,
  silentLogger,
  systemClock,
} from '@vigil/core';
import { summarizeNotification } from '@vigil/notification-format';
import { createBotApiClient } from './bot-api.js';
import { type TelegramBot, type TelegramBotStats, createTelegramBot } from './bot.js';
import { type TelegramBotControl, telegramBotControl } from './control.js';
import { createOffsetStore } from './offset-store.js';
import { type ParsedTelegramNotifierOptions, type TelegramNotifierOptions, telegramNotifierOptionsSchema } from './options.js';
import { renderNotification } from './render.js';
import { type ChatTarget, sendPart } from './sender.js';

/** Who the Telegram notifier is, for the plugin registry. */
export const telegramNotifierMeta: PluginMeta = Object.freeze({ name: '@vigil/notifiers-telegram', kind: 'notifier', type: 'telegram', coreRange: '^0.1.0' });

/** Collaborators that do not belong in a config file. */
export interface TelegramNotifierRuntime {
  /** Time for timeouts, backoff and command ages; default the system clock. */
  readonly clock?: Clock;
  /** Where the bot logs commands, refusals and polling trouble (the token is always removed). */
  readonly logger?: Logger;
  /** What bot commands act on; can also be given later with `attach()` or `attachMonitor()`. */
  readonly control?: TelegramBotControl;
}

/** The Telegram notifier: a {@link Notifier}, plus the bot's connection to a monitor. */
export interface TelegramNotifier extends Notifier {
  /** Gives the bot commands what they act on. */
  attach(control: TelegramBotControl): void;
  /** `attach(telegramBotControl(monitor))`; the monitor also calls this itself through `bindMonitor`. */
  attachMonitor(monitor: MonitorView): void;
  /** The bot's counters; undefined when `commands` is not configured. */
  botStats(): TelegramBotStats | undefined;
}

/** Notifications whose delivery is partly done (some chats or parts sent), remembered for retries. */
const progressMemory = 256;

/** A logger that removes the token from every message and field, whoever wrote them. */
function redactingLogger(logger: Logger, secrets: readonly string[]): Logger {
  const scrub = (fields?: LogFields): LogFields | undefined => (fields === undefined ? undefined : redactValue(fields, secrets));
  const wrap = (target: Logger): Logger => ({
    debug: (message, fields) => target.debug(redactValue(message, secrets), scrub(fields)),
    info: (message, fields) => target.info(redactValue(message, secrets), scrub(fields)),
    warn: (message, fields) => target.warn(redactValue(message, secrets), scrub(fields)),
    error: (message, fields) => target.error(redactValue(message, secrets), scrub(fields)),
    child: (bindings) => wrap(target.child(redactValue(bindings, secrets))),
  });
  return wrap(logger);
}

/** Creates the Telegram notifier; with `commands`, also the bot that answers them (polling starts in `start()`). */
export function createTelegramNotifier(options: TelegramNotifierOptions, runtime: TelegramNotifierRuntime = {}): TelegramNotifier {
  const settings: ParsedTelegramNotifierOptions = Object.freeze(parseOptions(telegramNotifierOptionsSchema, options, { source: 'notifiers-telegram' }));
  const clock = runtime.clock ?? systemClock;
  const logger = redactingLogger(runtime.logger ?? silentLogger, [settings.token, encodeURIComponent(settings.token)]).child({ notifier: 'telegram' });
  const api = createBotApiClient({ token: settings.token, apiBaseUrl: settings.apiBaseUrl, clock });
  const timeoutMs = parseDuration(settings.timeout);
  const targets: readonly ChatTarget[] =
    settings.chats ?? [{ chatId: settings.chatId as number | string, ...(settings.topicId === undefined ? {} : { topicId: settings.topicId }) }];
  const normalized = targets.map((target) => ({ ...target, chatId: typeof target.chatId === 'string' && /^-?\d+$/.test(target.chatId) ? Number(target.chatId) : target.chatId }));
  const migrations = new Map<string, number | string>();
  const progress = new Map<string, Set<string>>();
  const deliveries = createDeliveryTracker({ source: 'notifiers-telegram', clock });
  let shutdownPromise: Promise<void> | undefined;

  const commands = settings.commands;
  const bot: TelegramBot | undefined =
    commands === undefined
      ? undefined
      : createTelegramBot({
          api,
          logger,
          clock,
          offsetStore: createOffsetStore(commands.stateDirectory, settings.token.split(':')[0] as string),
          allowedChatIds: new Set(commands.allowedChatIds.map((id) => String(id).trim())),
          pollTimeoutMs: parseDuration(commands.pollTimeout),
          requestTimeoutMs: timeoutMs,
          ignoreOlderThanMs: parseDuration(commands.ignoreOlderThan),
          categoryTag: commands.categoryTag,
          timeZone: settings.timeZone,
          parseMode: settings.parseMode,
          migrations,
        });
  if (bot && runtime.control) bot.attach(runtime.control);

  const deliver = async (notification: Notification, signal: AbortSignal): Promise<SendResult> => {
    const summary = summarizeNotification(notification, { timeZone: settings.timeZone });
    const parts = renderNotification(summary, settings.parseMode);
    const quiet = settings.silent === 'always' || (settings.silent === 'resolved' && notification.events.every((event) => event.state === 'resolved' || event.state === 'ok'));
    // Parts already delivered by an earlier attempt are not sent again (retries must not duplicate).
    const done = progress.get(notification.id) ?? new Set<string>();
    progress.delete(notification.id);
    progress.set(notification.id, done);
    while (progress.size > progressMemory) progress.delete(progress.keys().next().value as string);
    const failures: string[] = [];
    let firstMessageId: number | undefined;
    for (const [targetIndex, target] of normalized.entries()) {
      for (const [partIndex, part] of parts.entries()) {
        const key = `${targetIndex}:${partIndex}`;
        if (done.has(key)) continue;
        const outcome = await sendPart({ api, logger, target, part, parseMode: settings.parseMode, timeoutMs, signal, disableNotification: quiet, migrations });
        if (outcome.kind === 'sent') {
          done.add(key);
          firstMessageId ??= outcome.messageId;
          continue;
        }
        const error = new VigilError('VIGIL_ERR_NOTIFIER_SEND', `[notifiers-telegram] ${outcome.error}`);
        // Flood control and outages concern the bot as a whole: stop here, the dispatcher retries later.
        if (outcome.kind === 'retryable') return { kind: 'retryable', error, ...(outcome.retryAfterMs === undefined ? {} : { retryAfterMs: outcome.retryAfterMs }) };
        failures.push(outcome.error);
        break;
      }
    }
    if (failures.length > 0) {
      return { kind: 'failed', error: new VigilError('VIGIL_ERR_NOTIFIER_SEND', `[notifiers-telegram] ${failures.join('; ')}`) };
    }
    progress.delete(notification.id);
    return { kind: 'sent', ...(firstMessageId === undefined ? {} : { id: String(firstMessageId) }) };
  };

  const notifier: TelegramNotifier = {
    specificationVersion: 'v1',
    meta: telegramNotifierMeta,
    async start() {
      if (shutdownPromise) throw new VigilError('VIGIL_ERR_SHUT_DOWN', '[notifiers-telegram] start after shutdown');
      // Polling runs until shutdown, independent of the signal of whoever started it.
      bot?.start();
    },
    send(notification: Notification, sendOptions: SendOptions): Promise<SendResult> {
      return deliveries.send(sendOptions, (signal) => deliver(notification, signal));
    },
    shutdown(shutdownOptions = {}) {
      shutdownPromise ??= (async () => {
        const limit = shutdownOptions.timeoutMs ?? 5_000;
        await Promise.all([bot?.stop(limit), deliveries.drain(limit)]);
        deliveries.abortRemaining();
      })();
      return shutdownPromise;
    },
    attach(control) {
      bot?.attach(control);
    },
    attachMonitor(monitor) {
      bot?.attach(telegramBotControl(monitor));
    },
    // A monitor running this notifier connects the bot's commands to itself.
    bindMonitor(view) {
      bot?.attach(telegramBotControl(view));
    },
    botStats: () => bot?.stats(),
  };
  return notifier;
}

/** The Telegram notifier plugin: `type: telegram` in config files. */
export const telegramNotifierPlugin: PluginDefinition<typeof telegramNotifierOptionsSchema, Notifier> = Object.freeze({
  meta: telegramNotifierMeta,
  optionsSchema: telegramNotifierOptionsSchema,
  create: (options: TelegramNotifierOptions) => createTelegramNotifier(options),
  description: 'Sends alerts through the Telegram Bot API (MarkdownV2 or HTML, forum topics) and answers bot commands by long polling.',
});
