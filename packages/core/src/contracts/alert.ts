import type { Notification } from './notifier.js';
import type { ReasonCode, ResultRecord, Tags } from './result.js';

export type AlertSeverity = 'info' | 'warning' | 'critical';

/**
 * States of one rule for one series: `ok → pending → firing → resolved → ok`, and `flapping`
 * while the condition changes too often (notifications are held until it settles).
 */
export type AlertState = 'ok' | 'pending' | 'firing' | 'resolved' | 'flapping';

/** Why an event was produced: a state change of the rule, or a reminder from the alert manager. */
export type AlertEventCause = 'transition' | 'repeat' | 'escalation';

/**
 * One transition of one alert (rule × series). Every transition is an event; the alert manager
 * also re-sends the latest event of a firing alert as a `repeat` or an `escalation`.
 */
export interface AlertEvent {
  /** Unique id of this event; also the idempotency key of its notifications. */
  readonly id: string;
  /** Stable id of the alert: `ruleId/checkId`, plus `{name=value,...}` when a rule splits a check into several series. */
  readonly alertId: string;
  readonly ruleId: string;
  readonly checkId: string;
  /** The check's type (`tcp`, ...) and target, when the rule saw a result of it. */
  readonly checkType?: string;
  readonly target?: string;
  /** The series' tags: the check's tags plus those that identify the series (e.g. a metric's tags). */
  readonly tags: Tags;
  /** The highest severity seen in the current episode. */
  readonly severity: AlertSeverity;
  /** Set when this event announces a change of severity while firing. */
  readonly previousSeverity?: AlertSeverity;
  readonly state: AlertState;
  readonly previousState: AlertState;
  /** The reason of the latest result the rule evaluated. */
  readonly reason: ReasonCode;
  /** A human-readable summary, e.g. `web: 3 consecutive failures (connection_refused: refused)`. */
  readonly message: string;
  /** The numbers the rule looked at (failures, ratio, p95, threshold, flapPercent, ...). */
  readonly values: Readonly<Record<string, number>>;
  /**
   * Epoch ms when the current episode began: the first breaching evaluation for `pending`,
   * `firing` and `resolved` (so `at - since` is how long it lasted); when flapping started for
   * `flapping`; the transition itself for `ok`.
   */
  readonly since: number;
  /** Epoch ms of the transition (or of the reminder, for repeats and escalations). */
  readonly at: number;
  /** A link built from the rule's (or the alert manager's) link template. */
  readonly link?: string;
  readonly cause?: AlertEventCause;
}

/** What a rule may read while evaluating. */
export interface AlertRuleContext {
  /** Epoch ms. */
  readonly now: number;
  /**
   * Rolling statistics of a series from the metrics engine (`metric` is `duration` for run
   * durations, or a check's histogram name); the window covers whole snapshot intervals.
   */
  readonly seriesStats: (checkId: string, metric: string, windowMs: number) => AlertSeriesStats | undefined;
}

/** The subset of rolling statistics rules use. */
export interface AlertSeriesStats {
  /** Runs in the window, and those that succeeded (`up` or `degraded`). */
  readonly count: number;
  readonly okCount: number;
  /** `okCount / count`; NaN when `count` is 0. */
  readonly successRatio: number;
  /** Runs that carried a value (failures carry none); percentiles are NaN when 0. */
  readonly sampleCount: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly p999: number;
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
  /** The kind of rule (`consecutiveFailures`, `latencyAbove`, ...), for display. */
  readonly type?: string;
  observe(record: ResultRecord, context: AlertRuleContext): readonly AlertEvent[];
  /** Time-driven transitions (`for` durations); called every alert tick. Repeats and escalations belong to the policy. */
  tick?(context: AlertRuleContext): readonly AlertEvent[];
}

/**
 * Decides which notifiers hear about which events, and when: grouping, silences, maintenance,
 * acknowledgements. The monitor's implementation is the alert manager (`createAlertManager`).
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
