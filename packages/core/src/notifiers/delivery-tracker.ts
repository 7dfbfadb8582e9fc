import type { SendOptions, SendResult } from '../contracts/notifier.js';
import { VigilError } from '../errors/vigil-error.js';
import type { Clock, TimerHandle } from '../util/clock.js';

/** What a notifier's delivery tracker needs. */
export interface DeliveryTrackerOptions {
  /** The package, as its messages start: `notifiers-email`. */
  readonly source: string;
  /** Times the wait for deliveries in flight at shutdown. */
  readonly clock: Clock;
}

/**
 * The send and shutdown rules every notifier follows: no sends after shutdown, an aborted send is
 * retryable, shutdown waits a while for deliveries in flight and then aborts them.
 */
export interface DeliveryTracker {
  /**
   * Runs one delivery. Its signal aborts when the send's signal does or when shutdown stops
   * waiting. Rejects with `VIGIL_ERR_SHUT_DOWN` once `drain` has begun; a send whose signal has
   * already aborted is `retryable` without calling `deliver`.
   */
  send(sendOptions: SendOptions, deliver: (signal: AbortSignal) => Promise<SendResult>): Promise<SendResult>;
  /** Refuses sends from now on and waits up to `timeoutMs` for the deliveries in flight. */
  drain(timeoutMs: number): Promise<void>;
  /** Aborts the deliveries still in flight with `VIGIL_ERR_SHUT_DOWN` ("shut down while sending"). */
  abortRemaining(): void;
}

/** Creates the tracker of one notifier's deliveries (notifiers are multi-instance: one tracker each). */
export function createDeliveryTracker(options: DeliveryTrackerOptions): DeliveryTracker {
  const { source, clock } = options;
  const active = new Set<AbortController>();
  const inFlight = new Set<Promise<unknown>>();
  let draining = false;

  return {
    async send(sendOptions, deliver) {
      if (draining) throw new VigilError('VIGIL_ERR_SHUT_DOWN', `[${source}] send after shutdown`);
      if (sendOptions.signal.aborted) return { kind: 'retryable', error: sendOptions.signal.reason };
      const controller = new AbortController();
      active.add(controller);
      const delivery = deliver(AbortSignal.any([sendOptions.signal, controller.signal]));
      inFlight.add(delivery);
      try {
        return await delivery;
      } finally {
        inFlight.delete(delivery);
        active.delete(controller);
      }
    },
    async drain(timeoutMs) {
      draining = true;
      if (inFlight.size === 0) return;
      let timer: TimerHandle | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise<void>((resolve) => {
          timer = clock.setTimeout(resolve, timeoutMs);
        }),
      ]);
      clock.clearTimeout(timer);
    },
    abortRemaining() {
      for (const controller of active) controller.abort(new VigilError('VIGIL_ERR_SHUT_DOWN', `[${source}] shut down while sending`));
    },
  };
}
