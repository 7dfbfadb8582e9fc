import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { VigilError } from '@vigil/core';

// Standard Webhooks (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
// `webhook-signature` is a space-separated list of `v1,<base64 HMAC-SHA256>` over
// `{webhook-id}.{webhook-timestamp}.{body}`; secrets are `whsec_` + base64 of 24-64 random bytes;
// receivers compare in constant time and reject timestamps outside a tolerance (5 minutes).

const secretPrefix = 'whsec_';
const minimumKeyBytes = 24;
const maximumKeyBytes = 64;

/** Why {@link verifyWebhook} refused a request. */
export type WebhookVerificationFailure =
  | 'missing_header'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'no_matching_signature'
  | 'invalid_secret';

/** Decodes a `whsec_<base64>` secret (the prefix is optional) into its HMAC key; throws a config error naming `path` otherwise. */
export function decodeWebhookSecret(secret: string, path = 'secret'): Buffer {
  const encoded = secret.startsWith(secretPrefix) ? secret.slice(secretPrefix.length) : secret;
  const valid = /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) && encoded.length % 4 === 0;
  const key = valid ? Buffer.from(encoded, 'base64') : Buffer.alloc(0);
  if (key.length < minimumKeyBytes || key.length > maximumKeyBytes) {
    // Never echo the secret itself.
    throw new VigilError(
      'VIGIL_ERR_CONFIG',
      `[notifiers-webhook] invalid options: ${path}: expected a Standard Webhooks secret, whsec_ followed by base64 of ${minimumKeyBytes}-${maximumKeyBytes} random bytes (see generateWebhookSecret())`,
      { path },
    );
  }
  return key;
}

/** A fresh secret in the Standard Webhooks format: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `${secretPrefix}${randomBytes(32).toString('base64')}`;
}

/** The `webhook-id` for a notification id: kept when it is plain (letters, digits, `_`, `-`), else a stable hash (a `.` would make the signed content ambiguous). */
export function webhookIdFor(notificationId: string): string {
  if (/^[A-Za-z0-9_-]{1,200}$/.test(notificationId)) return notificationId;
  return `msg_${createHash('sha256').update(notificationId).digest('base64url').slice(0, 32)}`;
}

function signOne(key: Buffer, id: string, timestamp: number, body: string | Uint8Array): string {
  const hmac = createHmac('sha256', key);
  hmac.update(`${id}.${timestamp}.`);
  hmac.update(body);
  return hmac.digest('base64');
}

export interface SignWebhookOptions {
  /** The `webhook-id`. */
  readonly id: string;
  /** Unix seconds, the `webhook-timestamp`. */
  readonly timestamp: number;
  /** The exact bytes sent as the body. */
  readonly body: string | Uint8Array;
  /** One secret, or several during a key rotation (each adds a signature). */
  readonly secrets: string | readonly string[];
}

/** The `webhook-signature` header value: `v1,<base64>` per secret, space-separated. */
export function signWebhook(options: SignWebhookOptions): string {
  const secrets = typeof options.secrets === 'string' ? [options.secrets] : options.secrets;
  return secrets.map((secret, index) => `v1,${signOne(decodeWebhookSecret(secret, `secrets[${index}]`), options.id, options.timestamp, options.body)}`).join(' ');
}

/** Header lookup over the shapes receivers have: a Fetch `Headers`, Node's `IncomingHttpHeaders`, or a plain record. */
export type WebhookHeaders = { get(name: string): string | null } | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyWebhookOptions {
  readonly headers: WebhookHeaders;
  /** The raw body exactly as received (parse JSON only after verifying). */
  readonly body: string | Uint8Array;
  /** The endpoint's secret, or several while rotating. */
  readonly secret: string | readonly string[];
  /** Allowed distance between `webhook-timestamp` and now, in seconds; default 300 (5 minutes). */
  readonly toleranceSeconds?: number;
  /** Now, epoch ms; default `Date.now()`. */
  readonly now?: number;
}

/** A verified delivery. */
export interface VerifiedWebhook {
  readonly id: string;
  /** Unix seconds. */
  readonly timestamp: number;
  /** The body parsed as JSON (undefined when it is not JSON). */
  readonly payload: unknown;
}

function headerValue(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? (value as readonly string[]).join(' ') : (value as string | undefined);
}

function refuse(failure: WebhookVerificationFailure, message: string): VigilError {
  return new VigilError('VIGIL_ERR_WEBHOOK_VERIFICATION', `[notifiers-webhook] webhook verification failed: ${message}`, { details: { failure } });
}

/**
 * Verifies a Standard Webhooks request: all three headers present, the timestamp within the
 * tolerance, and at least one `v1` signature made with one of the secrets (compared in constant
 * time). Throws a `VIGIL_ERR_WEBHOOK_VERIFICATION` VigilError whose `details.failure` says why.
 */
export function verifyWebhook(options: VerifyWebhookOptions): VerifiedWebhook {
  const id = headerValue(options.headers, 'webhook-id');
  const timestampText = headerValue(options.headers, 'webhook-timestamp');
  const signatures = headerValue(options.headers, 'webhook-signature');
  if (!id || !timestampText || !signatures) {
    const missing = [!id && 'webhook-id', !timestampText && 'webhook-timestamp', !signatures && 'webhook-signature'].filter(Boolean).join(', ');
    throw refuse('missing_header', `missing header ${missing}`);
  }
  if (!/^\d{1,12}$/.test(timestampText.trim())) throw refuse('invalid_timestamp', 'webhook-timestamp is not a Unix time in seconds');
  const timestamp = Number(timestampText.trim());
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1_000);
  const tolerance = options.toleranceSeconds ?? 300;
  if (timestamp < nowSeconds - tolerance) throw refuse('timestamp_too_old', `webhook-timestamp is more than ${tolerance} s old`);
  if (timestamp > nowSeconds + tolerance) throw refuse('timestamp_too_new', `webhook-timestamp is more than ${tolerance} s in the future`);
  let keys: Buffer[];
  try {
    keys = (typeof options.secret === 'string' ? [options.secret] : [...options.secret]).map((secret) => decodeWebhookSecret(secret));
  } catch {
    throw refuse('invalid_secret', 'the receiver secret is not a whsec_ secret');
  }
  if (keys.length === 0) throw refuse('invalid_secret', 'no secret given');
  const expected = keys.map((key) => Buffer.from(signOne(key, id, timestamp, options.body), 'base64'));
  let matched = false;
  for (const entry of signatures.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma <= 0 || entry.slice(0, comma) !== 'v1') continue;
    const given = Buffer.from(entry.slice(comma + 1), 'base64');
    // Every candidate is compared, so the time taken does not say which secret matched.
    for (const signature of expected) if (given.length === signature.length && timingSafeEqual(given, signature)) matched = true;
  }
  if (!matched) throw refuse('no_matching_signature', 'no signature matches');
  const text = typeof options.body === 'string' ? options.body : Buffer.from(options.body).toString('utf8');
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    payload = undefined;
  }
  return { id, timestamp, payload };
}
