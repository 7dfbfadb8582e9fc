import type { ReasonCode } from '../contracts/result.js';

/** Every error code Vigil packages raise. Plugins may add their own `VIGIL_ERR_*` codes. */
export type VigilErrorCode =
  | 'VIGIL_ERR_CONFIG'
  | 'VIGIL_ERR_CONFIG_ENV'
  | 'VIGIL_ERR_CONFIG_FILE'
  | 'VIGIL_ERR_PLUGIN_DUPLICATE'
  | 'VIGIL_ERR_PLUGIN_INCOMPATIBLE'
  | 'VIGIL_ERR_PLUGIN_UNKNOWN'
  | 'VIGIL_ERR_PLUGIN_DEPENDENCY'
  | 'VIGIL_ERR_SHUT_DOWN'
  | 'VIGIL_ERR_STATE'
  | 'VIGIL_ERR_TIMEOUT'
  | 'VIGIL_ERR_ABORTED'
  | 'VIGIL_ERR_DIAL'
  | 'VIGIL_ERR_CHECK_UNKNOWN'
  | 'VIGIL_ERR_CHECK_INVALID_RESULT'
  | 'VIGIL_ERR_SINK_WRITE'
  | 'VIGIL_ERR_SINK_TIMEOUT'
  | 'VIGIL_ERR_NOTIFIER_SEND'
  | 'VIGIL_ERR_METRICS'
  | 'VIGIL_ERR_SCHEDULER'
  | 'VIGIL_ERR_PROTOCOL'
  | (string & { readonly __vigilErrorCode?: never });

export interface VigilErrorOptions {
  cause?: unknown;
  /** For network failures: the check reason code this error maps to. */
  reason?: ReasonCode;
  /** For config errors: the path of the offending field, e.g. `checks[2].interval`. */
  path?: string;
  /** Extra machine-readable facts (never secrets). */
  details?: Record<string, unknown>;
}

const VIGIL_ERROR_MARKER = Symbol.for('vigil.error');

/**
 * The one error class of Vigil. `code` is stable and machine-readable; `message` starts with the
 * package that raised it, e.g. `[core] config: checks[0].interval: expected a positive duration`.
 */
export class VigilError extends Error {
  readonly code: VigilErrorCode;
  readonly reason: ReasonCode | undefined;
  readonly path: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly [VIGIL_ERROR_MARKER] = true;

  constructor(code: VigilErrorCode, message: string, options: VigilErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VigilError';
    this.code = code;
    this.reason = options.reason;
    this.path = options.path;
    this.details = options.details;
  }

  /** True for any VigilError, even one created by a second copy of `@vigil/core`. */
  static isInstance(value: unknown): value is VigilError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[VIGIL_ERROR_MARKER] === true;
  }

  /** True when `value` is a VigilError with the given code. */
  static hasCode(value: unknown, code: VigilErrorCode): value is VigilError {
    return VigilError.isInstance(value) && value.code === code;
  }
}

/** Turns anything thrown into a short, single-line, secret-free description. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
