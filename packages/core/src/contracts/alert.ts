import type { ReasonCode, Tags } from './result.js';

export type AlertSeverity = 'info' | 'warning' | 'critical';

/** States of one rule for one series. */
export type AlertState = 'ok' | 'pending' | 'firing' | 'resolved' | 'flapping';

/** One transition of one alert (rule × series). Every transition is an event. */
export interface AlertEvent {
  /** Unique id of this event; also the idempotency key of its notifications. */
  readonly id: string;
  /** Stable id of the alert: rule id plus series. */
  readonly alertId: string;
  readonly ruleId: string;
  readonly checkId: string;
  readonly tags: Tags;
  readonly severity: AlertSeverity;
  readonly state: AlertState;
  readonly previousState: AlertState;
  /** The reason of the result that caused the transition. */
  readonly reason: ReasonCode;
  /** A human-readable summary, e.g. `3 consecutive failures: connection_refused`. */
  readonly message: string;
  /** The numbers the rule looked at (failures, ratio, p95, ...). */
  readonly values: Readonly<Record<string, number>>;
  /** Epoch ms when the alert entered its current episode (first failure, or firing). */
  readonly since: number;
  /** Epoch ms of the transition. */
  readonly at: number;
  /** Optional link built from the rule's link template. */
  readonly link?: string;
  /** What caused the event beyond a transition: `repeat`, `escalation`. */
  readonly cause?: 'transition' | 'repeat' | 'escalation';
}
