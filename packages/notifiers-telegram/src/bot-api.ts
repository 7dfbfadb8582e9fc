import { type Clock, type TimerHandle, describeError, describeFetchError, redactText } from '@vigil/core';

// A small client for the Telegram Bot API (https://core.telegram.org/bots/api#making-requests):
// POST JSON to `<base>/bot<token>/<method>`, read `{ ok, result }` or
// `{ ok: false, error_code, description, parameters: { retry_after, migrate_to_chat_id } }`.
// The token is part of every URL, so no URL and no unredacted error text ever leaves this module.

/** What one call came to. */
export type ApiOutcome<T> =
  | { readonly ok: true; readonly result: T }
  | {
      readonly ok: false;
      readonly kind: 'api';
      readonly errorCode: number;
      readonly description: string;
      readonly retryAfterSeconds?: number;
      readonly migrateToChatId?: number;
    }
  /** No usable answer: connection failure, timeout, abort, or a body that is not the API's JSON. */
  | { readonly ok: false; readonly kind: 'network' | 'timeout' | 'aborted' | 'malformed'; readonly description: string };

export interface BotApiClient {
  call<T = unknown>(method: string, parameters: Readonly<Record<string, unknown>>, options: { readonly signal?: AbortSignal; readonly timeoutMs: number }): Promise<ApiOutcome<T>>;
  /** Removes the token from any text. */
  redact(text: string): string;
}

export interface BotApiClientOptions {
  readonly token: string;
  /** `https://api.telegram.org`, or a self-hosted Bot API server. */
  readonly apiBaseUrl: string;
  readonly clock: Clock;
}

const maximumBodyBytes = 8 * 1_024 * 1_024;

/** Creates a Bot API client for one token. */
export function createBotApiClient(options: BotApiClientOptions): BotApiClient {
  const base = options.apiBaseUrl.replace(/\/+$/, '');
  const secrets = [options.token, encodeURIComponent(options.token)];
  const redact = (text: string): string => redactText(text, secrets);
  return {
    redact,
    async call<T>(method: string, parameters: Readonly<Record<string, unknown>>, callOptions: { readonly signal?: AbortSignal; readonly timeoutMs: number }): Promise<ApiOutcome<T>> {
      const controller = new AbortController();
      const outer = callOptions.signal;
      const onAbort = (): void => controller.abort(outer?.reason);
      if (outer?.aborted) return { ok: false, kind: 'aborted', description: redact(describeError(outer.reason ?? 'aborted')) };
      outer?.addEventListener('abort', onAbort, { once: true });
      let timedOut = false;
      const timer: TimerHandle = options.clock.setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, callOptions.timeoutMs);
      const failure = (error: unknown): ApiOutcome<T> => {
        if (timedOut) return { ok: false, kind: 'timeout', description: `${method}: no answer within ${callOptions.timeoutMs} ms` };
        if (outer?.aborted) return { ok: false, kind: 'aborted', description: `${method}: aborted (${redact(describeError(outer.reason ?? 'aborted'))})` };
        return { ok: false, kind: 'network', description: `${method}: ${redact(describeFetchError(error))}` };
      };
      try {
        let response: Response;
        try {
          response = await fetch(`${base}/bot${options.token}/${method}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(parameters),
            signal: controller.signal,
            redirect: 'error',
          });
        } catch (error) {
          return failure(error);
        }
        let body: string;
        try {
          const declared = Number(response.headers.get('content-length') ?? '0');
          if (declared > maximumBodyBytes) {
            await response.body?.cancel();
            return { ok: false, kind: 'malformed', description: `${method}: answer of ${declared} bytes is too large` };
          }
          body = await response.text();
        } catch (error) {
          return failure(error);
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          return { ok: false, kind: 'malformed', description: `${method}: HTTP ${response.status} with a body that is not JSON (${redact(body.slice(0, 120))})` };
        }
        if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { ok?: unknown }).ok !== 'boolean') {
          return { ok: false, kind: 'malformed', description: `${method}: HTTP ${response.status} without the API's "ok" field` };
        }
        const answer = parsed as { ok: boolean; result?: unknown; error_code?: unknown; description?: unknown; parameters?: { retry_after?: unknown; migrate_to_chat_id?: unknown } };
        if (answer.ok) return { ok: true, result: answer.result as T };
        const retryAfter = answer.parameters?.retry_after;
        const migrateTo = answer.parameters?.migrate_to_chat_id;
        return {
          ok: false,
          kind: 'api',
          errorCode: typeof answer.error_code === 'number' ? answer.error_code : response.status,
          description: redact(typeof answer.description === 'string' ? answer.description : `HTTP ${response.status}`),
          ...(typeof retryAfter === 'number' && Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterSeconds: retryAfter } : {}),
          ...(typeof migrateTo === 'number' && Number.isSafeInteger(migrateTo) ? { migrateToChatId: migrateTo } : {}),
        };
      } finally {
        options.clock.clearTimeout(timer);
        outer?.removeEventListener('abort', onAbort);
      }
    },
  };
}

/** One line describing a failed call, for errors and logs (already free of the token). */
export function describeOutcome(outcome: Exclude<ApiOutcome<unknown>, { ok: true }>): string {
  if (outcome.kind === 'api') return `${outcome.errorCode} ${outcome.description}`;
  return outcome.description;
}
