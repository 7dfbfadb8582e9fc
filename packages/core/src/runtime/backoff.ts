export interface BackoffOptions {
  /** First delay; default 500 ms. */
  readonly initialDelayMs?: number;
  /** Upper bound; default 60 s. */
  readonly maxDelayMs?: number;
  /** Growth per attempt; default 2. */
  readonly multiplier?: number;
  /** Fraction of the delay randomised (0..1, "equal jitter"); default 0.2. */
  readonly jitter?: number;
}

/** The delay before retry number `attempt` (1-based): exponential, capped, with jitter. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialDelayMs ?? 500;
  const max = options.maxDelayMs ?? 60_000;
  const multiplier = options.multiplier ?? 2;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
  const base = Math.min(max, initial * multiplier ** Math.max(0, attempt - 1));
  return base * (1 - jitter) + base * jitter * random();
}
