import type { CheckResult, CheckStatus, ReasonCode } from '../contracts/result.js';
import type { Clock } from '../util/clock.js';

/** Rounds milliseconds to the microsecond, as results report durations and phases. */
export function roundMs(value: number): number {
  return Math.round(value * 1_000) / 1_000;
}

/** `host:port`, with an IPv6 literal in brackets. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A RegExp whose `test` keeps no state between calls: a copy without the `g` and `y` flags. */
export function statelessPattern(pattern: RegExp | string): RegExp {
  // `g` and `y` make RegExp.test stateful across calls.
  return typeof pattern === 'string' ? new RegExp(pattern) : new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
}

/** What a run's results are built from: its start, and the phases and details it fills in as it goes. */
export interface ResultFinisherOptions {
  readonly clock: Pick<Clock, 'monotonicNow'>;
  /** `clock.monotonicNow()` when the run started. */
  readonly started: number;
  readonly phases: Record<string, number>;
  readonly details: Record<string, unknown>;
}

/** The function that ends a run with a result. */
export type ResultFinisher = (status: CheckStatus, reason: ReasonCode, message: string) => CheckResult;

/** Returns the function that ends a run: the duration since `started` (rounded) is also `phases.total`. */
export function createResultFinisher(options: ResultFinisherOptions): ResultFinisher {
  const { clock, started, phases, details } = options;
  return (status, reason, message) => {
    const durationMs = roundMs(clock.monotonicNow() - started);
    phases.total = durationMs;
    return { status, reason, durationMs, phases, message, details };
  };
}
