import { parseDuration } from '@vigil/core';
import { isValidTimeZone } from '@vigil/notification-format';
import { z } from 'zod';

const durationSchema = (minimumMs: number) =>
  z.union([z.number().nonnegative(), z.string().min(1)]).superRefine((value, context) => {
    try {
      if (parseDuration(value) < minimumMs) context.addIssue({ code: 'custom', message: `expected a duration of at least ${minimumMs} ms` });
    } catch {
      context.addIssue({ code: 'custom', message: 'expected a duration like 500ms, 10s, 1m or a number of milliseconds' });
    }
  });

/** A chat: an integer id (negative for groups and channels; YAML may give it as a string) or `@channelusername`. */
const chatIdSchema = z.union([
  z.number().int(),
  z
    .string()
    .trim()
    .regex(/^(-?\d+|@[A-Za-z][A-Za-z0-9_]{3,})$/, 'expected a chat id such as -1001234567890 or @channelname'),
]);

/** A numeric chat id (commands come from chats, which always have numeric ids). */
const numericChatIdSchema = z.union([z.number().int(), z.string().trim().regex(/^-?\d+$/, 'expected a numeric chat id such as -1001234567890')]);

const chatSchema = z.strictObject({
  chatId: chatIdSchema,
  /** A forum topic (`message_thread_id`) in that chat. */
  topicId: z.number().int().positive().optional(),
});

const commandsSchema = z.strictObject({
  /** Only these chats may command the bot; anyone else is refused and logged. */
  allowedChatIds: z.array(numericChatIdSchema).min(1),
  /** Where the getUpdates offset is kept across restarts; default `.vigil`. */
  stateDirectory: z.string().min(1).default('.vigil'),
  /** How long one getUpdates long poll waits; default 30s. */
  pollTimeout: durationSchema(1_000).default('30s'),
  /** The tag naming a check's category, for `/servers <category>`; default `category`. */
  categoryTag: z.string().min(1).default('category'),
  /** Commands older than this (sent while the bot was down) are not run; default 10m. */
  ignoreOlderThan: durationSchema(1_000).default('10m'),
});

/** Options of {@link createTelegramNotifier}. */
export const telegramNotifierOptionsSchema = z
  .strictObject({
    /** The bot token from BotFather (`123456:ABC...`); never logged. */
    token: z.string().regex(/^\d{3,}:[A-Za-z0-9_-]{20,}$/, 'expected a bot token from BotFather, like 123456789:AA... (digits, a colon, 20 or more letters)'),
    /** The chat to notify (use `chats` for several). */
    chatId: chatIdSchema.optional(),
    /** A forum topic in `chatId`. */
    topicId: z.number().int().positive().optional(),
    /** Several chats (and topics) to notify. */
    chats: z.array(chatSchema).min(1).optional(),
    parseMode: z.enum(['MarkdownV2', 'HTML']).default('MarkdownV2'),
    /** A self-hosted Bot API server, e.g. `http://127.0.0.1:8081`; default Telegram's. */
    apiBaseUrl: z.url({ protocol: /^https?$/, error: 'expected an http or https URL' }).default('https://api.telegram.org'),
    /** Send without sound: `never` (default), for `resolved` notices, or `always`. */
    silent: z.enum(['never', 'resolved', 'always']).default('never'),
    /** One Bot API request is abandoned after this long; default 10s. */
    timeout: durationSchema(1).default('10s'),
    /** Time zone of times in messages; default UTC. */
    timeZone: z.string().refine(isValidTimeZone, 'expected an IANA time zone such as UTC or Europe/Berlin').default('UTC'),
    /** Bot commands by long polling; omitted: the bot only sends. */
    commands: commandsSchema.optional(),
  })
  .superRefine((options, context) => {
    if ((options.chatId === undefined) === (options.chats === undefined)) {
      context.addIssue({ code: 'custom', path: ['chatId'], message: 'set either chatId (and optionally topicId) or chats' });
    }
    if (options.topicId !== undefined && options.chatId === undefined) {
      context.addIssue({ code: 'custom', path: ['topicId'], message: 'topicId needs chatId (or put topicId into each chats entry)' });
    }
  });

/** Options of {@link createTelegramNotifier}, as written in code or config. */
export type TelegramNotifierOptions = z.input<typeof telegramNotifierOptionsSchema>;
/** The options after defaults were applied. */
export type ParsedTelegramNotifierOptions = z.output<typeof telegramNotifierOptionsSchema>;
