// @vigil/notifiers-webhook public API. Explicit names only.
export { createWebhookNotifier, parseRetryAfter, webhookNotifierMeta, webhookNotifierPlugin } from './webhook-notifier.js';
export type { WebhookNotifier, WebhookNotifierRuntime, WebhookRequest } from './webhook-notifier.js';
export { webhookNotifierOptionsSchema } from './options.js';
export type { ParsedWebhookNotifierOptions, WebhookNotifierOptions } from './options.js';
export { decodeWebhookSecret, generateWebhookSecret, signWebhook, verifyWebhook, webhookIdFor } from './signature.js';
export type { SignWebhookOptions, VerifiedWebhook, VerifyWebhookOptions, WebhookHeaders, WebhookVerificationFailure } from './signature.js';
export { defaultJsonPayload, discordPayload, slackPayload, templateContext } from './payloads.js';
export type { WebhookEventPayload, WebhookTemplateContext } from './payloads.js';
