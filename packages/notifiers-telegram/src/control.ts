import type { ActiveAlert, LatencyStats, MonitorView, ResultRecord, Silence, SilenceInput, Tags } from '@vigil/core';

/** One check as the bot shows it. */
export interface BotCheck {
  readonly id: string;
  readonly type: string;
  readonly target: string;
  readonly enabled: boolean;
  /** The check's tags (`/servers <category>` reads the category tag). */
  readonly tags: Tags;
  readonly last: ResultRecord | undefined;
  readonly nextRunAt: number | undefined;
}

/**
 * What the Telegram bot may do to a monitor: the small surface its commands need. Build one
 * from a monitor with {@link telegramBotControl}, or implement it over anything else.
 */
export interface TelegramBotControl {
  checks(): readonly BotCheck[];
  /** Runs a check now and returns its result (`/test`). */
  runCheck(checkId: string): Promise<ResultRecord>;
  /** Active alerts, most urgent first (`/alerts`, `/status`). */
  alerts(): readonly ActiveAlert[];
  /** Active and future silences. */
  silences(): readonly Silence[];
  /** Throws `VIGIL_ERR_CONFIG` on bad matchers or durations (`/silence`). */
  silence(input: SilenceInput): Silence;
  unsilence(silenceId: string): boolean;
  /** Undefined when no such alert is active (`/ack`). */
  acknowledge(alertId: string, options: { readonly by: string; readonly comment?: string }): ActiveAlert | undefined;
  /** Rolling latency statistics of a check over `windowMs`, when kept (`/server`). */
  stats?(checkId: string, windowMs: number): LatencyStats | undefined;
}

/** The bot's control over a running {@link Monitor}: its checks, `runOnce`, and its alert manager. */
export function telegramBotControl(monitor: MonitorView): TelegramBotControl {
  return {
    checks: () =>
      monitor.checks().map((state) => ({
        id: state.id,
        type: state.type,
        target: state.target,
        enabled: state.enabled,
        tags: state.tags,
        last: state.last,
        nextRunAt: state.nextRunAt,
      })),
    runCheck: (checkId) => monitor.runOnce(checkId),
    alerts: () => monitor.alerts.alerts(),
    silences: () => monitor.alerts.silences(),
    silence: (input) => monitor.alerts.silence(input),
    unsilence: (silenceId) => monitor.alerts.unsilence(silenceId),
    acknowledge: (alertId, options) => monitor.alerts.acknowledge(alertId, options),
    stats: (checkId, windowMs) => monitor.metrics.get(checkId)?.stats(windowMs),
  };
}
