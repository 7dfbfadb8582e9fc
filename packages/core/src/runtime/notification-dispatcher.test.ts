import { describe, expect, it } from 'vitest';
import { createFakeClock, createMemoryNotifier, sampleNotification } from '@vigil/test-utils';
import { createNotificationDispatcher } from './notification-dispatcher.js';

describe('createNotificationDispatcher', () => {
  it('delivers in order', async () => {
    const notifier = createMemoryNotifier();
    const dispatcher = createNotificationDispatcher(notifier);
    const notifications = [sampleNotification(), sampleNotification(), sampleNotification()];
    for (const notification of notifications) dispatcher.dispatch(notification);
    await dispatcher.flush();
    expect(notifier.sent.map((entry) => entry.id)).toEqual(notifications.map((entry) => entry.id));
  });

  it('retries retryable failures and throws with backoff, honouring retryAfterMs', async () => {
    const clock = createFakeClock();
    const notifier = createMemoryNotifier({ script: [{ kind: 'retryable', retryAfterMs: 3_000 }, { kind: 'throw' }] });
    const dispatcher = createNotificationDispatcher(notifier, { clock, retry: { initialDelayMs: 100, jitter: 0 } });
    const notification = sampleNotification();
    dispatcher.dispatch(notification);
    await clock.advance(2_999);
    expect(notifier.attempts).toHaveLength(1);
    await clock.advance(1);
    expect(notifier.attempts).toHaveLength(2);
    await clock.advance(200);
    expect(notifier.sent.map((entry) => entry.id)).toEqual([notification.id]);
    expect(dispatcher.stats()).toMatchObject({ sent: 1, retries: 2, failed: 0 });
  });

  it('records permanent failures and exhausted retries, then moves on', async () => {
    const clock = createFakeClock();
    const failedIds: string[] = [];
    const notifier = createMemoryNotifier({ script: [{ kind: 'failed' }, { kind: 'retryable' }, { kind: 'retryable' }] });
    const dispatcher = createNotificationDispatcher(notifier, {
      clock,
      maxAttempts: 2,
      retry: { initialDelayMs: 10, jitter: 0 },
      onFailed: (delivery) => failedIds.push(`${delivery.notificationId}:${delivery.cause}`),
    });
    const [first, second, third] = [sampleNotification(), sampleNotification(), sampleNotification()];
    dispatcher.dispatch(first);
    dispatcher.dispatch(second);
    dispatcher.dispatch(third);
    await clock.advance(1_000);
    expect(failedIds).toEqual([`${first.id}:failed`, `${second.id}:attempts_exhausted`]);
    expect(notifier.sent.map((entry) => entry.id)).toEqual([third.id]);
    expect(dispatcher.failedDeliveries()).toHaveLength(2);
  });

  it('times out a hanging send and retries it', async () => {
    const clock = createFakeClock();
    const notifier = createMemoryNotifier({ script: [{ kind: 'hang' }] });
    const dispatcher = createNotificationDispatcher(notifier, { clock, sendTimeoutMs: 500, retry: { initialDelayMs: 10, jitter: 0 } });
    dispatcher.dispatch(sampleNotification());
    await clock.advance(500);
    await clock.advance(10);
    expect(notifier.sent).toHaveLength(1);
  });

  it('shutdown is idempotent and records what was left undelivered', async () => {
    const clock = createFakeClock();
    const notifier = createMemoryNotifier({ script: Array.from({ length: 20 }, () => ({ kind: 'retryable' as const })) });
    const dispatcher = createNotificationDispatcher(notifier, { clock, retry: { initialDelayMs: 60_000, jitter: 0 } });
    dispatcher.dispatch(sampleNotification());
    const stopping = dispatcher.shutdown({ timeoutMs: 1_000 });
    expect(dispatcher.shutdown()).toBe(stopping);
    await clock.advance(1_000);
    await stopping;
    expect(dispatcher.failedDeliveries().map((entry) => entry.cause)).toContain('shutdown');
    dispatcher.dispatch(sampleNotification());
    expect(dispatcher.failedDeliveries().at(-1)?.cause).toBe('shutdown');
  });
});
