import { describeError } from '../errors/vigil-error.js';

/** Describes a fetch failure: fetch wraps network errors in `TypeError: fetch failed`, and the cause says what happened. */
export function describeFetchError(error: unknown): string {
  if (error instanceof Error && error.cause !== undefined) {
    const cause = error.cause as { code?: unknown; message?: unknown };
    const code = typeof cause.code === 'string' ? `${cause.code}: ` : '';
    return `${error.message} (${code}${typeof cause.message === 'string' ? cause.message : describeError(cause)})`;
  }
  return describeError(error);
}
