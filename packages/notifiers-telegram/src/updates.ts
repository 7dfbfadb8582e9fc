// Reading updates from getUpdates (https://core.telegram.org/bots/api#update). Everything here
// is untrusted JSON: these functions never throw, whatever they are given.

/** A bot command someone sent, as far as the bot needs it. */
export interface IncomingCommand {
  readonly updateId: number;
  readonly chatId: number;
  readonly chatType: string;
  readonly messageId: number;
  /** The forum topic the command was sent in (only for topic messages). */
  readonly threadId: number | undefined;
  readonly from: { readonly id: number; readonly username: string | undefined; readonly name: string } | undefined;
  /** Epoch seconds. */
  readonly date: number;
  /** Lower-case command name without `/` and `@bot`. */
  readonly command: string;
  /** The text after the command, trimmed. */
  readonly argumentText: string;
  readonly arguments: readonly string[];
}

/** What an update turned out to be. */
export type ParsedUpdate =
  | { readonly kind: 'command'; readonly command: IncomingCommand }
  | { readonly kind: 'ignored'; readonly updateId: number; readonly reason: string }
  | { readonly kind: 'invalid'; readonly reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function safeInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
}

function shortString(value: unknown, limit: number): string | undefined {
  return typeof value === 'string' && value.length <= limit ? value : undefined;
}

/** The update's id, when it has a valid one (a non-negative safe integer). */
export function updateIdOf(update: unknown): number | undefined {
  if (!isRecord(update)) return undefined;
  const id = safeInteger(update.update_id);
  return id !== undefined && id >= 0 ? id : undefined;
}

const commandPattern = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?=\s|$)/;

/**
 * Reads an update: a `message` whose text starts with a bot command becomes a command; anything
 * else (edits, channel posts, plain text, commands for another bot) is ignored with a reason;
 * anything malformed is invalid. `botUsername` filters `/command@otherbot`.
 */
export function parseUpdate(update: unknown, botUsername?: string): ParsedUpdate {
  const updateId = updateIdOf(update);
  if (updateId === undefined || !isRecord(update)) return { kind: 'invalid', reason: 'no valid update_id' };
  const message = update.message;
  if (message === undefined) {
    const kinds = Object.keys(update).filter((key) => key !== 'update_id');
    return { kind: 'ignored', updateId, reason: `not a message (${kinds.slice(0, 3).join(', ') || 'empty'})` };
  }
  if (!isRecord(message)) return { kind: 'invalid', reason: 'message is not an object' };
  const chat = message.chat;
  const chatId = isRecord(chat) ? safeInteger(chat.id) : undefined;
  const messageId = safeInteger(message.message_id);
  const date = safeInteger(message.date);
  if (!isRecord(chat) || chatId === undefined || messageId === undefined || date === undefined) {
    return { kind: 'invalid', reason: 'message without chat.id, message_id or date' };
  }
  const textValue = message.text;
  if (textValue === undefined) return { kind: 'ignored', updateId, reason: 'no text' };
  const messageText = shortString(textValue, 4_096);
  if (messageText === undefined) return { kind: 'invalid', reason: 'text is not a string of at most 4096 characters' };
  const match = commandPattern.exec(messageText);
  if (!match) return { kind: 'ignored', updateId, reason: 'not a command' };
  const addressee = match[2];
  if (addressee !== undefined && botUsername !== undefined && addressee.toLowerCase() !== botUsername.toLowerCase()) {
    return { kind: 'ignored', updateId, reason: `command for @${addressee}` };
  }
  const argumentText = messageText.slice(match[0].length).trim();
  const from = isRecord(message.from) ? message.from : undefined;
  const fromId = from === undefined ? undefined : safeInteger(from.id);
  const username = from === undefined ? undefined : shortString(from.username, 64);
  const firstName = from === undefined ? undefined : shortString(from.first_name, 256);
  const threadId = message.is_topic_message === true ? safeInteger(message.message_thread_id) : undefined;
  return {
    kind: 'command',
    command: {
      updateId,
      chatId,
      chatType: shortString(chat.type, 32) ?? 'unknown',
      messageId,
      threadId,
      from: fromId === undefined ? undefined : { id: fromId, username, name: firstName ?? username ?? String(fromId) },
      date,
      command: (match[1] as string).toLowerCase(),
      argumentText,
      arguments: argumentText.length === 0 ? [] : argumentText.split(/\s+/),
    },
  };
}
