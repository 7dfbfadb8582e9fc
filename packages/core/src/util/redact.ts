/** Field names whose values are secrets wherever they appear. */
const secretKeyPattern = /(pass(word)?|secret|token|api[-_]?key|authorization|auth|credential|private[-_]?key|cookie)$/i;

const urlCredentials = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]+)(?::([^\s/@]*))?@/gi;
const telegramBotToken = /\bbot\d{5,}:[A-Za-z0-9_-]{20,}/g;
const bearer = /\b(Bearer|Token|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g;

export const REDACTED = '[redacted]';

/** True when a field with this name holds a secret. */
export function isSecretKey(key: string): boolean {
  return secretKeyPattern.test(key);
}

/** Removes credentials from free text: URL userinfo, Telegram bot tokens, auth headers, known secrets. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let result = text
    .replace(urlCredentials, (_match, scheme: string) => `${scheme}${REDACTED}@`)
    .replace(telegramBotToken, `bot${REDACTED}`)
    .replace(bearer, (_match, kind: string) => `${kind} ${REDACTED}`);
  for (const secret of secrets) {
    if (secret.length >= 4) result = result.split(secret).join(REDACTED);
  }
  return result;
}

/** Deep-copies a JSON-like value, replacing secret fields and credentials in strings. */
export function redactValue<T>(value: T, secrets: readonly string[] = [], depth = 0): T {
  if (depth > 8) return value;
  if (typeof value === 'string') return redactText(value, secrets) as T;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, secrets, depth + 1)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const output: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      output[key] = isSecretKey(key) && item !== undefined && item !== null && item !== '' ? REDACTED : redactValue(item, secrets, depth + 1);
    }
    return output as T;
  }
  return value;
}
