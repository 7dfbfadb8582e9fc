import { VigilError } from '@vigil/core';
import type { Notification, Notifier, SendOptions, SendResult } from '@vigil/core';

export type MemoryNotifierBehaviour =
  | { readonly kind: 'sent' }
  | { readonly kind: 'retryable'; readonly retryAfterMs?: number }
  | { readonly kind: 'failed' }
  | { readonly kind: 'throw' }
  | { readonly kind: 'hang' };

/** An in-memory notifier that stores what it was sent; can be scripted to fail. */
export interface MemoryNotifier extends Notifier {
  readonly sent: Notification[];
  readonly attempts: Notification[];
  enqueueBehaviour(...behaviours: MemoryNotifierBehaviour[]): void;
}

/** Creates an in-memory notifier for runtime tests. */
export function createMemoryNotifier(options: { script?: readonly MemoryNotifierBehaviour[]; type?: string } = {}): MemoryNotifier {
  const script = [...(options.script ?? [])];
  const sent: Notification[] = [];
  const attempts: Notification[] = [];
  let shutdownPromise: Promise<void> | undefined;
  return {
    specificationVersion: 'v1',
    meta: { name: '@vigil/test-utils', kind: 'notifier', type: options.type ?? 'memory', coreRange: '^0.1.0' },
    sent,
    attempts,
    enqueueBehaviour: (...behaviours) => void script.push(...behaviours),
    async send(notification: Notification, sendOptions: SendOptions): Promise<SendResult> {
      if (shutdownPromise) throw new VigilError('VIGIL_ERR_SHUT_DOWN', '[test-utils] memory notifier: send after shutdown');
      attempts.push(notification);
      if (sendOptions.signal.aborted) return { kind: 'retryable', error: sendOptions.signal.reason };
      const behaviour = script.shift() ?? { kind: 'sent' };
      switch (behaviour.kind) {
        case 'sent':
          sent.push(notification);
          return { kind: 'sent', id: `${sent.length}` };
        case 'retryable':
          return { kind: 'retryable', error: new Error('scripted retryable failure'), retryAfterMs: behaviour.retryAfterMs };
        case 'failed':
          return { kind: 'failed', error: new Error('scripted permanent failure') };
        case 'throw':
          throw new Error('scripted notifier crash');
        case 'hang':
          return new Promise<SendResult>((_resolve, reject) => {
            sendOptions.signal.addEventListener('abort', () => reject(sendOptions.signal.reason), { once: true });
          });
      }
    },
    shutdown() {
      shutdownPromise ??= Promise.resolve();
      return shutdownPromise;
    },
  };
}
