import {
  type Clock,
  type Logger,
  type Notification,
  type Notifier,
  type PluginDefinition,
  type PluginMeta,
  type SendOptions,
  type SendResult,
  type TimerHandle,
  VigilError,
  createDeliveryTracker,
  describeError,
  describeFetchError,
  parseDuration,
  parseOptions,
  redactText,
  silentLogger,
  systemClock,
} from '@vigil/core';
import { summarizeNotification } from '@vigil/notification-format';
import { type ParsedWebhookNotifierOptions, type WebhookNotifierOptions, webhookNotifierOptionsSchema } from './options.js';
import { defaultJsonPayload, discordPayload, slackPayload, templateContext } from './payloads.js';
import { signWebhook, webhookIdFor } from './signature.js';
import { fillString, fillTemplate } from './template.js';

/** Who the webhook notifier is, for the plugin registry. */
export const webhookNotifierMeta: PluginMeta = Object.freeze({ name: '@vigil/notifiers-webhook', kind: 'notifier', type: 'webhook', coreRange: '^0.1.0' });

/** Collaborators that do not belong in a config file. */
export interface WebhookNotifierRuntime {
  /** Time for signatures, timeouts and Retry-After dates; default the system clock. */
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** The request the notifier would send for a notification (for previews and tests of templates). */
export interface WebhookRequest {
  readonly method: 'POST' | 'PUT';
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly webhookId: string;
}

/** A webhook notifier: a {@link Notifier} that can also show the request it would send. */
export interface WebhookNotifier extends Notifier {
  /** Builds the request for a notification as a send now would (signed, templated), without sending it. */
  buildRequest(notification: Notification): WebhookRequest;
}

const userAgent = 'vigil-notifiers-webhook/0.1.0';
const excerptLimit = 300;

/** `Retry-After` as milliseconds from now: delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** Reads at most `limit` characters of a response body, then stops reading. */
async function readExcerpt(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // A body cut off by an abort or a reset says enough through the status.
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return text.slice(0, limit);
}

/** Creates the webhook notifier: a signed JSON POST (or Discord / Slack format) per notification. */
export function createWebhookNotifier(options: WebhookNotifierOptions, runtime: WebhookNotifierRuntime = {}): WebhookNotifier {
  const settings: ParsedWebhookNotifierOptions = Object.freeze(parseOptions(webhookNotifierOptionsSchema, options, { source: 'notifiers-webhook' }));
  const clock = runtime.clock ?? systemClock;
  const logger = (runtime.logger ?? silentLogger).child({ notifier: 'webhook' });
  const secrets = settings.secret === undefined ? [] : typeof settings.secret === 'string' ? [settings.secret] : [...settings.secret];
  const timeoutMs = parseDuration(settings.timeout);
  const maxRetryAfterMs = parseDuration(settings.maxRetryAfter);
  const url = new URL(settings.url);
  // The URL may carry a token in its path or query (Slack, Discord): only its origin is ever shown.
  const shownUrl = `${url.origin}/…`;
  const redactions = [settings.url, url.pathname.length > 4 ? url.pathname : '', url.search, ...secrets].filter((value) => value.length >= 4);
  const redact = (text: string): string => redactText(text, redactions);
  const deliveries = createDeliveryTracker({ source: 'notifiers-webhook', clock });
  let shutdownPromise: Promise<void> | undefined;

  const buildRequest = (notification: Notification): WebhookRequest => {
    const now = clock.now();
    const summary = summarizeNotification(notification, { timeZone: settings.timeZone });
    const context = templateContext(summary, now);
    let payload: unknown;
    if (settings.format === 'discord') payload = discordPayload(summary);
    else if (settings.format === 'slack') payload = slackPayload(summary);
    else payload = settings.body === undefined ? defaultJsonPayload(context) : fillTemplate(settings.body, context);
    const body = JSON.stringify(payload);
    const webhookId = webhookIdFor(notification.id);
    const timestamp = Math.floor(now / 1_000);
    const headers: Record<string, string> = { 'user-agent': userAgent };
    for (const [name, template] of Object.entries(settings.headers)) {
      const value = fillString(template, context);
      // A value from an alert must not be able to start a new header line.
      headers[name.toLowerCase()] = (typeof value === 'string' ? value : value === null ? '' : JSON.stringify(value)).replace(/[\r\n\0]+/g, ' ');
    }
    headers['content-type'] = 'application/json';
    headers['webhook-id'] = webhookId;
    headers['webhook-timestamp'] = String(timestamp);
    // The same key on every retry lets receivers drop duplicates (draft-ietf-httpapi-idempotency-key-header).
    headers['idempotency-key'] = webhookId;
    if (secrets.length > 0) headers['webhook-signature'] = signWebhook({ id: webhookId, timestamp, body, secrets });
    return { method: settings.method, headers, body, webhookId };
  };

  const deliver = async (notification: Notification, signal: AbortSignal): Promise<SendResult> => {
    let request: WebhookRequest;
    try {
      request = buildRequest(notification);
    } catch (error) {
      // A template that cannot be filled will not be fixed by retrying.
      return { kind: 'failed', error: new VigilError('VIGIL_ERR_NOTIFIER_SEND', `[notifiers-webhook] cannot build the request: ${redact(describeError(error))}`, { cause: error }) };
    }
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer: TimerHandle = clock.setTimeout(() => {
      timedOut = true;
      controller.abort(new VigilError('VIGIL_ERR_TIMEOUT', `[notifiers-webhook] ${request.method} ${shownUrl}: no answer within ${timeoutMs} ms`, { reason: 'timeout' }));
    }, timeoutMs);
    try {
      let response: Response;
      try {
        response = await fetch(url, { method: request.method, headers: request.headers, body: request.body, signal: controller.signal, redirect: 'manual' });
      } catch (error) {
        const reason = controller.signal.aborted ? controller.signal.reason : error;
        const text = timedOut || controller.signal.aborted ? describeError(reason) : describeFetchError(error);
        return { kind: 'retryable', error: new VigilError('VIGIL_ERR_NOTIFIER_SEND', `[notifiers-webhook] ${request.method} ${shownUrl} failed: ${redact(text)}`, { cause: reason }) };
      }
      const status = response.status;
      if (status >= 200 && status < 300) {
        // Drain the body so the connection can be reused.
        await readExcerpt(response, 64 * 1_024);
        logger.debug('webhook delivered', { webhookId: request.webhookId, status });
        return { kind: 'sent', id: request.webhookId };
      }
      const excerpt = redact((await readExcerpt(response, excerptLimit)).replace(/\s+/g, ' ').trim());
      const message = `[notifiers-webhook] ${request.method} ${shownUrl} answered ${status}${excerpt ? `: ${excerpt}` : ''}`;
      const error = new VigilError('VIGIL_ERR_NOTIFIER_SEND', message, { details: { status } });
      // Standard Webhooks: redirects are failures (fix the URL), 410 means the endpoint is gone,
      // 429 and 5xx are load or outages worth retrying, honouring Retry-After.
      if (status === 408 || status === 425 || status === 429 || status >= 500) {
        let retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), clock.now());
        if (retryAfterMs === undefined && settings.format === 'discord') {
          // Discord also puts `retry_after` (seconds) in its JSON body.
          const match = /"retry_after"\s*:\s*([\d.]+)/.exec(excerpt);
          if (match) retryAfterMs = Number(match[1]) * 1_000;
        }
        return { kind: 'retryable', error, ...(retryAfterMs === undefined ? {} : { retryAfterMs: Math.min(retryAfterMs, maxRetryAfterMs) }) };
      }
      return { kind: 'failed', error };
    } finally {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  };

  const notifier: WebhookNotifier = {
    specificationVersion: 'v1',
    meta: webhookNotifierMeta,
    buildRequest,
    send(notification: Notification, sendOptions: SendOptions): Promise<SendResult> {
      return deliveries.send(sendOptions, (signal) => deliver(notification, signal));
    },
    shutdown(shutdownOptions = {}) {
      shutdownPromise ??= (async () => {
        await deliveries.drain(shutdownOptions.timeoutMs ?? 5_000);
        deliveries.abortRemaining();
      })();
      return shutdownPromise;
    },
  };
  return notifier;
}

/** The webhook notifier plugin: `type: webhook` in config files. */
export const webhookNotifierPlugin: PluginDefinition<typeof webhookNotifierOptionsSchema, Notifier> = Object.freeze({
  meta: webhookNotifierMeta,
  optionsSchema: webhookNotifierOptionsSchema,
  create: (options: WebhookNotifierOptions) => createWebhookNotifier(options),
  description: 'POSTs signed JSON (Standard Webhooks) per notification, with templates and Discord and Slack formats.',
});
