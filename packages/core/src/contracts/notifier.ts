import type { AlertEvent } from './alert.js';
import type { LifecycleOptions, PluginMeta, SpecificationVersion } from './plugin.js';
import type { MonitorView } from './sink.js';

/** One message to send: one or more alert events that share a group. */
export interface Notification {
  /** Unique and stable across retries: use it as the idempotency key. */
  readonly id: string;
  readonly events: readonly AlertEvent[];
  /** The group the events were batched under, when grouping is on. */
  readonly groupKey?: string;
  /** Epoch ms. */
  readonly createdAt: number;
}

export interface SendOptions {
  readonly signal: AbortSignal;
}

export type SendResult =
  | { readonly kind: 'sent'; readonly id?: string }
  | { readonly kind: 'retryable'; readonly error?: unknown; readonly retryAfterMs?: number }
  | { readonly kind: 'failed'; readonly error?: unknown };

/** Delivers notifications. Sends after `shutdown` reject with `VIGIL_ERR_SHUT_DOWN`. */
export interface Notifier {
  readonly specificationVersion: SpecificationVersion;
  readonly meta: PluginMeta;
  start?(options: { readonly signal: AbortSignal }): Promise<void>;
  /**
   * Called once by the monitor that runs this notifier, before `start`; interactive notifiers
   * (e.g. a Telegram bot answering /status) use the view to read checks, run them and manage alerts.
   */
  bindMonitor?(view: MonitorView): void;
  send(notification: Notification, options: SendOptions): Promise<SendResult>;
  shutdown(options?: LifecycleOptions): Promise<void>;
}
