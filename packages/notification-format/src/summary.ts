import type { AlertEvent, AlertSeverity, AlertState, Notification } from '@vigil/core';
import { isWebLink } from './escape.js';

/** Options shared by every renderer. */
export interface SummaryOptions {
  /** IANA time zone for the times shown; default `UTC`. */
  readonly timeZone?: string;
  /** Dynamic values (messages, tags, targets) longer than this are cut with `…`; default 600 characters. */
  readonly maxValueLength?: number;
}

/** One labelled line of an event, e.g. `Reason: connection_refused`. */
export interface SummaryField {
  readonly label: string;
  readonly value: string;
}

/** Everything a renderer shows about one alert event, as plain (unescaped) text. */
export interface EventSummary {
  readonly event: AlertEvent;
  /** State emoji, coloured by severity while firing. */
  readonly emoji: string;
  /** `FIRING`, `RESOLVED`, `FLAPPING`, `PENDING`, `OK`, `STILL FIRING` (a repeat) or `ESCALATED`. */
  readonly label: string;
  /** `🔴 FIRING (critical): web` */
  readonly heading: string;
  /** The event's human line, cleaned (no control characters) and cut to the value length. */
  readonly message: string;
  /** Check, rule, reason, tags, values and since-when, in display order; absent facts are left out. */
  readonly fields: readonly SummaryField[];
  /** The event's link, only when it is an http(s) URL. */
  readonly link: string | undefined;
  /** A compact one-line form for grouped lists: `🔴 web: 3 consecutive failures (…)`. */
  readonly line: string;
}

/** A notification as renderers see it: a title and one summary per event. */
export interface NotificationSummary {
  readonly id: string;
  readonly groupKey: string | undefined;
  readonly createdAt: number;
  /** `🔴 FIRING (critical): web` for one event, `🔴 5 alerts: 3 firing, 2 resolved` for a group. */
  readonly title: string;
  /** The most urgent state among the events (firing > flapping > pending > resolved > ok). */
  readonly state: AlertState;
  /** The highest severity among events that are not resolved or ok (else the highest overall). */
  readonly severity: AlertSeverity;
  readonly counts: Readonly<Record<AlertState, number>>;
  readonly events: readonly EventSummary[];
  /** True when the notification carries more than one event. */
  readonly grouped: boolean;
}

const severityEmoji: Readonly<Record<AlertSeverity, string>> = { critical: '🔴', warning: '🟠', info: '🔵' };
const stateEmoji: Readonly<Record<Exclude<AlertState, 'firing'>, string>> = { resolved: '✅', flapping: '🔀', pending: '🟡', ok: '🟢' };
const stateUrgency: Readonly<Record<AlertState, number>> = { firing: 4, flapping: 3, pending: 2, resolved: 1, ok: 0 };
const severityRank: Readonly<Record<AlertSeverity, number>> = { critical: 2, warning: 1, info: 0 };
const stateOrder: readonly AlertState[] = ['firing', 'flapping', 'pending', 'resolved', 'ok'];

/** The emoji of a state (firing is coloured by severity). */
export function stateEmojiOf(state: AlertState, severity: AlertSeverity): string {
  return state === 'firing' ? severityEmoji[severity] : stateEmoji[state];
}

// Control characters (newlines included) would break one-line fields and line-based splitting;
// bidirectional overrides could make a value render as something it is not.
// eslint-disable-next-line no-control-regex
const unsafeCharacters = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g;

/** Makes a dynamic value safe to show on one line: control characters become spaces, the length is bounded (by code points). */
export function cleanValue(text: string, maxLength = 600): string {
  const cleaned = text.replace(unsafeCharacters, ' ').replace(/ {2,}/g, ' ').trim();
  if (cleaned.length <= maxLength) return cleaned;
  const codePoints = Array.from(cleaned);
  return codePoints.length <= maxLength ? cleaned : `${codePoints.slice(0, Math.max(1, maxLength - 1)).join('')}…`;
}

/** `3m 20s`, `2h 5m`, `1d 3h`, `45s`: two units at most, for how long something lasted. */
export function formatElapsed(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '0s';
  const seconds = Math.floor(ms / 1_000);
  const units: readonly (readonly [string, number])[] = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 || (parts.length > 0 && parts.length < 2)) parts.push(`${count}${unit}`);
    if (parts.length === 2) break;
  }
  // A trailing zero unit (`2h 0m`) says nothing.
  const shown = parts.filter((part, index) => index === 0 || !part.startsWith('0'));
  return shown.length === 0 ? '0s' : shown.join(' ');
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** `2026-01-01 00:00:00 UTC` in the given IANA time zone (throws RangeError for an unknown zone). */
export function formatTimestamp(epochMs: number, timeZone = 'UTC'): string {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  if (!Number.isFinite(epochMs)) return 'unknown time';
  const parts = Object.fromEntries(formatter.formatToParts(epochMs).map((part) => [part.type, part.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${timeZone}`;
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** Numbers as people read them: at most three decimals, no trailing zeros. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toFixed(3)));
}

function labelOf(event: AlertEvent): string {
  if (event.state === 'firing' && event.cause === 'repeat') return 'STILL FIRING';
  if (event.state === 'firing' && event.cause === 'escalation') return 'ESCALATED';
  return event.state.toUpperCase();
}

function sinceText(event: AlertEvent, timeZone: string): string {
  const since = formatTimestamp(event.since, timeZone);
  const lasted = formatElapsed(event.at - event.since);
  switch (event.state) {
    case 'firing':
      return `${since} (${lasted})`;
    case 'resolved':
      return `${since}, lasted ${lasted}`;
    case 'pending':
      return `${since} (${lasted})`;
    case 'flapping':
      return `${since}`;
    case 'ok':
      return formatTimestamp(event.at, timeZone);
  }
}

/** Summarizes one event; dynamic values are cleaned but not escaped (renderers escape for their format). */
export function summarizeEvent(event: AlertEvent, options: SummaryOptions = {}): EventSummary {
  const timeZone = options.timeZone ?? 'UTC';
  const limit = options.maxValueLength ?? 600;
  const clean = (text: string): string => cleanValue(text, limit);
  const checkId = clean(event.checkId);
  const emoji = stateEmojiOf(event.state, event.severity);
  const label = labelOf(event);
  const severityText = event.state === 'firing' || event.state === 'flapping' || event.state === 'pending' ? ` (${event.severity})` : '';
  const heading = `${emoji} ${label}${severityText}: ${checkId}`;
  const message = clean(event.message);
  const fields: SummaryField[] = [];
  const checkParts = [event.checkType, event.target].filter((part): part is string => part !== undefined && part !== '').map(clean);
  fields.push({ label: 'Check', value: checkParts.length > 0 ? `${checkId} (${checkParts.join(' ')})` : checkId });
  fields.push({ label: 'Rule', value: clean(event.ruleId) });
  if (event.previousSeverity !== undefined) fields.push({ label: 'Severity', value: `${event.severity} (was ${event.previousSeverity})` });
  fields.push({ label: 'Reason', value: clean(event.reason) });
  const tags = Object.entries(event.tags ?? {}).sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
  if (tags.length > 0) fields.push({ label: 'Tags', value: clean(tags.map(([name, value]) => `${name}=${value}`).join(', ')) });
  const values = Object.entries(event.values ?? {});
  if (values.length > 0) fields.push({ label: 'Values', value: clean(values.map(([name, value]) => `${name}=${formatValue(value)}`).join(', ')) });
  fields.push({ label: 'Since', value: sinceText(event, timeZone) });
  const link = isWebLink(event.link) ? event.link : undefined;
  // The message already starts with the subject (`web: ...`); do not repeat it.
  const line = `${emoji} ${message.startsWith(`${checkId}`) ? message : `${checkId}: ${message}`}`;
  return { event, emoji, label, heading, message, fields, link, line };
}

/** Summarizes a notification: one title and one summary per event, most urgent first. */
export function summarizeNotification(notification: Notification, options: SummaryOptions = {}): NotificationSummary {
  const counts: Record<AlertState, number> = { firing: 0, flapping: 0, pending: 0, resolved: 0, ok: 0 };
  const sorted = [...notification.events].sort(
    (left, right) =>
      stateUrgency[right.state] - stateUrgency[left.state] || severityRank[right.severity] - severityRank[left.severity] || (left.alertId < right.alertId ? -1 : left.alertId > right.alertId ? 1 : 0),
  );
  for (const event of sorted) counts[event.state] += 1;
  const events = sorted.map((event) => summarizeEvent(event, options));
  const first = sorted[0];
  const state: AlertState = first?.state ?? 'ok';
  const active = sorted.filter((event) => event.state !== 'resolved' && event.state !== 'ok');
  const severity = (active.length > 0 ? active : sorted).reduce<AlertSeverity>((highest, event) => (severityRank[event.severity] > severityRank[highest] ? event.severity : highest), 'info');
  let title: string;
  if (events.length === 1) title = (events[0] as EventSummary).heading;
  else {
    const parts = stateOrder.filter((name) => counts[name] > 0).map((name) => `${counts[name]} ${name}`);
    title = `${stateEmojiOf(state, severity)} ${events.length} alerts: ${parts.join(', ')}`;
  }
  return { id: notification.id, groupKey: notification.groupKey, createdAt: notification.createdAt, title, state, severity, counts, events, grouped: events.length > 1 };
}

/** The summary as plain text: the title, then each event's heading, message and fields. */
export function renderPlainText(summary: NotificationSummary): string {
  const blocks = summary.events.map((event) => {
    const lines = summary.grouped ? [event.heading, event.message] : [event.message];
    for (const field of event.fields) lines.push(`${field.label}: ${field.value}`);
    if (event.link) lines.push(`Link: ${event.link}`);
    return lines.join('\n');
  });
  return [summary.title, ...blocks].join('\n\n');
}
