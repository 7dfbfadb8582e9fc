// @vigil/notifiers-telegram public API. Explicit names only.
export { createTelegramNotifier, telegramNotifierMeta, telegramNotifierPlugin } from './telegram-notifier.js';
export type { TelegramNotifier, TelegramNotifierRuntime } from './telegram-notifier.js';
export { telegramNotifierOptionsSchema } from './options.js';
export type { ParsedTelegramNotifierOptions, TelegramNotifierOptions } from './options.js';
export { telegramBotControl } from './control.js';
export type { BotCheck, TelegramBotControl } from './control.js';
export type { TelegramBotStats } from './bot.js';
export { botCommands } from './commands.js';
export { parseUpdate, updateIdOf } from './updates.js';
export type { IncomingCommand, ParsedUpdate } from './updates.js';
export { renderNotification } from './render.js';
export { packMessages } from './rich-text.js';
export type { Line, MessagePart, ParseMode, Segment } from './rich-text.js';
