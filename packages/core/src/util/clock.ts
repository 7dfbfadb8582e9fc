/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * Time as the runtime sees it. Everything time-dependent in Vigil takes a Clock so tests can
 * substitute a fake one (see `createFakeClock` in `@vigil/test-utils`).
 */
export interface Clock {
  /** Wall-clock time, epoch milliseconds. */
  now(): number;
  /** Monotonic milliseconds with sub-millisecond resolution, for measuring durations. */
  monotonicNow(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `Date.now`, `performance.now` and Node timers (which keep a running monitor's process alive). */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  monotonicNow: () => performance.now(),
  setTimeout: (callback: () => void, delayMs: number): TimerHandle => setTimeout(callback, Math.max(0, delayMs)),
  clearTimeout: (handle: TimerHandle) => clearTimeout(handle as NodeJS.Timeout),
});

/** Resolves after `delayMs` on `clock`, or rejects with the signal's reason when it aborts. */
export function sleep(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
