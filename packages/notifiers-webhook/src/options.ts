import { parseDuration } from '@vigil/core';
import { isValidTimeZone } from '@vigil/notification-format';
import { z } from 'zod';
import { templateRoots } from './payloads.js';
import { decodeWebhookSecret } from './signature.js';
import { templatePaths } from './template.js';

const durationSchema = z.union([z.number().nonnegative(), z.string().min(1)]).superRefine((value, context) => {
  try {
    if (parseDuration(value) <= 0) context.addIssue({ code: 'custom', message: 'expected a positive duration' });
  } catch {
    context.addIssue({ code: 'custom', message: 'expected a duration like 500ms, 10s, 1m or a number of milliseconds' });
  }
});

const headerNamePattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the notifier owns: the signature scheme's, and those the HTTP client sets. */
const reservedHeaders = new Set(['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-length', 'host', 'transfer-encoding', 'connection', 'content-type']);

function checkTemplatePaths(template: unknown, context: z.RefinementCtx, path: PropertyKey[]): void {
  for (const placeholder of templatePaths(template)) {
    const root = placeholder.split('.')[0] as string;
    if (!templateRoots.includes(root)) {
      context.addIssue({ code: 'custom', path, message: `unknown placeholder {{${placeholder}}} (known roots: ${templateRoots.join(', ')})` });
    }
  }
}

/** Options of {@link createWebhookNotifier}. */
export const webhookNotifierOptionsSchema = z
  .strictObject({
    /** Where to send: an http(s) URL. Treated as a secret in logs (Slack and Discord URLs carry tokens). */
    url: z.url({ protocol: /^https?$/, error: 'expected an http or https URL' }),
    /** `json` (the default, templatable), or the `discord` / `slack` incoming-webhook formats. */
    format: z.enum(['json', 'discord', 'slack']).default('json'),
    method: z.enum(['POST', 'PUT']).default('POST'),
    /** Extra headers; values may use `{{placeholders}}` like the body. */
    headers: z.record(z.string(), z.string()).default({}),
    /** A JSON body template (`format: json` only); default the Standard Webhooks-shaped payload. */
    body: z.unknown().optional(),
    /** Standard Webhooks signing secret(s), `whsec_` + base64; several sign at once during a key rotation. */
    secret: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    /** Each request is abandoned after this long (the dispatcher then retries); default 10s. */
    timeout: durationSchema.default('10s'),
    /** The longest `Retry-After` honoured, so a hostile answer cannot stall the queue; default 10m. */
    maxRetryAfter: durationSchema.default('10m'),
    /** Time zone of times in the title and text; default UTC. */
    timeZone: z.string().refine(isValidTimeZone, 'expected an IANA time zone such as UTC or Europe/Berlin').default('UTC'),
  })
  .superRefine((options, context) => {
    if (options.body !== undefined && options.format !== 'json') {
      context.addIssue({ code: 'custom', path: ['body'], message: `a body template needs format json (the ${options.format} format builds its own body)` });
    }
    if (options.body !== undefined) {
      try {
        JSON.stringify(options.body);
      } catch {
        context.addIssue({ code: 'custom', path: ['body'], message: 'expected a JSON value' });
      }
      checkTemplatePaths(options.body, context, ['body']);
    }
    for (const [name, value] of Object.entries(options.headers)) {
      if (!headerNamePattern.test(name)) context.addIssue({ code: 'custom', path: ['headers', name], message: 'expected an HTTP header name' });
      else if (reservedHeaders.has(name.toLowerCase())) context.addIssue({ code: 'custom', path: ['headers', name], message: 'this header is set by the notifier' });
      if (/[\r\n\0]/.test(value)) context.addIssue({ code: 'custom', path: ['headers', name], message: 'header values cannot contain line breaks' });
      checkTemplatePaths(value, context, ['headers', name]);
    }
    const secrets = options.secret === undefined ? [] : typeof options.secret === 'string' ? [options.secret] : options.secret;
    secrets.forEach((secret, index) => {
      try {
        decodeWebhookSecret(secret);
      } catch {
        // The path stays `secret` (not `secret[1]`): config errors redact values under secret-named fields only.
        const which = typeof options.secret === 'string' ? '' : ` (entry ${index})`;
        context.addIssue({ code: 'custom', path: ['secret'], message: `expected whsec_ followed by base64 of 24-64 random bytes${which} (see generateWebhookSecret())` });
      }
    });
  });

/** Options of {@link createWebhookNotifier}, as written in code or config. */
export type WebhookNotifierOptions = z.input<typeof webhookNotifierOptionsSchema>;
/** The options after defaults were applied. */
export type ParsedWebhookNotifierOptions = z.output<typeof webhookNotifierOptionsSchema>;
