import type { Logger } from '@vigil/core';
import { type ApiOutcome, type BotApiClient, describeOutcome } from './bot-api.js';
import type { MessagePart, ParseMode } from './rich-text.js';

/** Where a message goes. */
export interface ChatTarget {
  readonly chatId: number | string;
  readonly topicId?: number | undefined;
}

/** The result of sending one message part. */
export type PartOutcome =
  | { readonly kind: 'sent'; readonly messageId: number | undefined }
  | { readonly kind: 'retryable'; readonly error: string; readonly retryAfterMs?: number }
  | { readonly kind: 'failed'; readonly error: string };

export interface SendPartOptions {
  readonly api: BotApiClient;
  readonly logger: Logger;
  readonly target: ChatTarget;
  readonly part: MessagePart;
  readonly parseMode: ParseMode;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly disableNotification?: boolean;
  readonly replyToMessageId?: number;
  /** Chats that became supergroups (old id → new id), learnt from `migrate_to_chat_id`; shared across sends. */
  readonly migrations: Map<string, number | string>;
}

function chatLabel(target: ChatTarget): string {
  return target.topicId === undefined ? String(target.chatId) : `${target.chatId} (topic ${target.topicId})`;
}

/**
 * Sends one message part: with the parse mode, falling back to plain text if Telegram cannot
 * parse it (a formatting bug must not cost the alert), and following a group's migration to a
 * supergroup once. Maps the answer to sent / retryable (network, timeouts, 429 with
 * `retry_after`, 5xx) / failed (other 4xx: wrong chat, blocked, bad token).
 */
export async function sendPart(options: SendPartOptions): Promise<PartOutcome> {
  let chatId = options.migrations.get(String(options.target.chatId)) ?? options.target.chatId;
  let plain = false;
  for (let round = 0; round < 3; round += 1) {
    const parameters: Record<string, unknown> = {
      chat_id: chatId,
      text: plain ? options.part.plain : options.part.markup,
      link_preview_options: { is_disabled: true },
    };
    if (!plain) parameters.parse_mode = options.parseMode;
    if (options.target.topicId !== undefined) parameters.message_thread_id = options.target.topicId;
    if (options.disableNotification) parameters.disable_notification = true;
    if (options.replyToMessageId !== undefined) parameters.reply_parameters = { message_id: options.replyToMessageId, allow_sending_without_reply: true };
    const outcome: ApiOutcome<{ message_id?: unknown }> = await options.api.call('sendMessage', parameters, { signal: options.signal, timeoutMs: options.timeoutMs });
    if (outcome.ok) {
      const messageId = typeof outcome.result?.message_id === 'number' ? outcome.result.message_id : undefined;
      return { kind: 'sent', messageId };
    }
    const where = `sendMessage to ${chatLabel({ chatId, topicId: options.target.topicId })}`;
    if (outcome.kind !== 'api') return { kind: 'retryable', error: `${where}: ${describeOutcome(outcome)}` };
    if (outcome.errorCode === 429) {
      return { kind: 'retryable', error: `${where}: ${describeOutcome(outcome)}`, ...(outcome.retryAfterSeconds === undefined ? {} : { retryAfterMs: outcome.retryAfterSeconds * 1_000 }) };
    }
    if (outcome.migrateToChatId !== undefined && round < 2) {
      options.logger.warn('telegram chat became a supergroup; sending to its new id (update chatId in the config)', { from: String(chatId), to: outcome.migrateToChatId });
      options.migrations.set(String(options.target.chatId), outcome.migrateToChatId);
      chatId = outcome.migrateToChatId;
      continue;
    }
    if (outcome.errorCode === 400 && /can't parse entities/i.test(outcome.description) && !plain) {
      options.logger.warn('telegram could not parse a formatted message; sending it as plain text', { error: outcome.description });
      plain = true;
      continue;
    }
    if (outcome.errorCode >= 500) return { kind: 'retryable', error: `${where}: ${describeOutcome(outcome)}` };
    return { kind: 'failed', error: `${where}: ${describeOutcome(outcome)}` };
  }
  return { kind: 'failed', error: `sendMessage to ${chatLabel(options.target)}: gave up after a migration and a plain-text retry` };
}
