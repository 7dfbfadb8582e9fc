import type { Notification } from './notifier.js';
import type { ReasonCode, ResultRecord, Tags } from './result.js';

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

/** What a rule may read while evaluating. */
export interface AlertRuleContext {
  /** Epoch ms. */
  readonly now: number;
  /** Rolling statistics of a series (from the metrics engine), e.g. for percentile rules. */
  readonly seriesStats: (checkId: string, metric: string, windowMs: number) => AlertSeriesStats | undefined;
}

/** The subset of rolling statistics rules use. */
export interface AlertSeriesStats {
  readonly count: number;
  readonly okCount: number;
  readonly successRatio: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
  readonly jitter: number;
}

/**
 * The runtime's alert seam: the monitor hands every result to every rule and calls `tick`
 * periodically; a rule keeps one state machine per series and returns its transitions.
 */
export interface AlertRule {
  readonly id: string;
  observe(record: ResultRecord, context: AlertRuleContext): readonly AlertEvent[];
  /** Time-driven transitions (`for` durations, repeats, escalations). */
  tick?(context: AlertRuleContext): readonly AlertEvent[];
}

/**
 * Decides which notifiers hear about which events, and when: grouping, silences, maintenance,
 * acknowledgements. The default sends every firing, resolved and flapping event to every notifier.
 */
export interface NotificationPolicy {
  route(events: readonly AlertEvent[], now: number): readonly RoutedNotification[];
  /** Time-driven output, e.g. a group whose window closed. */
  tick?(now: number): readonly RoutedNotification[];
}

export interface RoutedNotification {
  readonly notification: Notification;
  /** Notifier ids (their position-independent names); undefined means all. */
  readonly notifiers?: readonly string[];
}
