import { createFakeClock } from '@vigil/test-utils';
import { describe, expect, it } from 'vitest';
import type { SendResult } from '../contracts/notifier.js';
import { VigilError } from '../errors/vigil-error.js';
import { createDeliveryTracker } from './delivery-tracker.js';

const open = (): { signal: AbortSignal } => ({ signal: new AbortController().signal });

describe('createDeliveryTracker', () => {
  it('passes the delivery result through', async () => {
    const tracker = createDeliveryTracker({ source: 'notifiers-test', clock: createFakeClock() });
    expect(await tracker.send(open(), async () => ({ kind: 'sent', id: '1' }))).toEqual({ kind: 'sent', id: '1' });
  });

  it('answers an already aborted send with retryable, without delivering', async () => {
    const tracker = createDeliveryTracker({ source: 'notifiers-test', clock: createFakeClock() });
    const controller = new AbortController();
    controller.abort('stop');
    let delivered = false;
    const result = await tracker.send({ signal: controller.signal }, async () => {
      delivered = true;
      return { kind: 'sent' };
    });
    expect(result).toEqual({ kind: 'retryable', error: 'stop' });
    expect(delivered).toBe(false);
  });

  it('refuses sends once draining, naming the package', async () => {
    const tracker = createDeliveryTracker({ source: 'notifiers-test', clock: createFakeClock() });
    await tracker.drain(1_000);
    const error = await tracker.send(open(), async () => ({ kind: 'sent' })).catch((caught: unknown) => caught);
    expect(VigilError.isInstance(error) && error.code).toBe('VIGIL_ERR_SHUT_DOWN');
    expect((error as Error).message).toBe('[notifiers-test] send after shutdown');
  });

  it('waits for deliveries in flight up to the timeout, then aborts what is left', async () => {
    const clock = createFakeClock();
    const tracker = createDeliveryTracker({ source: 'notifiers-test', clock });
    let seen: AbortSignal | undefined;
    const pending = tracker.send(open(), (signal) => {
      seen = signal;
      return new Promise<SendResult>((resolve) => signal.addEventListener('abort', () => resolve({ kind: 'retryable', error: signal.reason })));
    });
    const drained = tracker.drain(5_000);
    await clock.advance(5_000);
    await drained;
    expect(seen?.aborted).toBe(false);
    tracker.abortRemaining();
    const result = await pending;
    expect(result.kind).toBe('retryable');
    expect((result as { error: Error }).error.message).toBe('[notifiers-test] shut down while sending');
  });
});
