import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AlertEvent, AlertSeverity, AlertState, NotificationPolicy, RoutedNotification } from '../contracts/alert.js';
import type { ReasonCode, Tags } from '../contracts/result.js';
import { parseOptions } from '../config/parse-options.js';
import { VigilError, describeError } from '../errors/vigil-error.js';
import { type CronSchedule, compileCron, cron } from '../scheduler/triggers.js';
import { type Clock, systemClock } from '../util/clock.js';
import { type DurationInput, parseDuration } from '../util/duration.js';
import { fillLinkTemplate } from './link-template.js';
import { type AlertLabels, type AlertMatcher, type AlertMatcherInput, type CompiledMatcher, alertLabels, compileMatchers, matchesAll, parseMatchers } from './matchers.js';
import { alertDurationSchema, alertMatcherListSchema, positiveAlertDurationSchema, severityRank } from './rule-options.js';

const notifierListSchema = z.array(z.string().min(1));
const groupBySchema = z.array(z.string().min(1));

const routeSchema = z.strictObject({
  /** Alerts matching all of these take this route (none: every alert). */
  matchers: alertMatcherListSchema.default([]),
  /** Notifier ids; omitted: every notifier; empty: nobody (drop). */
  notifiers: notifierListSchema.optional(),
  groupBy: groupBySchema.optional(),
  groupWindow: alertDurationSchema.optional(),
  repeatInterval: alertDurationSchema.optional(),
  /** Keep looking for further matching routes after this one; default false (first match wins). */
  continue: z.boolean().default(false),
});

const escalationSchema = z.strictObject({
  /** How long an alert fires unacknowledged before these notifiers hear of it too. */
  after: positiveAlertDurationSchema,
  notifiers: notifierListSchema.min(1),
  /** Only alerts matching all of these (default all). */
  matchers: alertMatcherListSchema.default([]),
});

const maintenanceSchema = z
  .strictObject({
    name: z.string().min(1).optional(),
    /** When each window starts (5 or 6 cron fields). */
    cron: z.string(),
    /** How long each window lasts. */
    duration: positiveAlertDurationSchema,
    timezone: z.string().optional(),
    /** Alerts the window covers (default all). */
    matchers: alertMatcherListSchema.default([]),
  })
  .superRefine((window, context) => {
    try {
      cron(window.cron, { timezone: window.timezone, path: 'window' });
    } catch (error) {
      const field = VigilError.isInstance(error) && error.path === 'window.timezone' ? 'timezone' : 'cron';
      // The scheduler's message names its own path and echoes the value; the config error adds both.
      const message = describeError(error).replace(/^\[core\] config: window\.\w+: /, '').replace(/, got .*$/, '');
      context.addIssue({ code: 'custom', path: [field], message });
    }
  });

/**
 * Options of {@link createAlertManager} (also the `alerting:` section of a config file).
 * Routes, escalations and maintenance windows name notifiers by id.
 */
export const alertManagerOptionsSchema = z.strictObject({
  /** Tried in order; the first match wins unless it says `continue`. Unmatched alerts go to every notifier. */
  routes: z.array(routeSchema).default([]),
  /** Labels whose values split groups: tags, `checkId`, `ruleId`, `severity`, `alertId`. Default `[alertId]` (no grouping across alerts); `[]` puts everything in one group. */
  groupBy: groupBySchema.default(['alertId']),
  /** How long a group collects alerts before its one message goes out; default 0 (at once). */
  groupWindow: alertDurationSchema.default(0),
  /** Re-send firing, unacknowledged alerts this often; default 0 (never). */
  repeatInterval: alertDurationSchema.default(0),
  escalations: z.array(escalationSchema).default([]),
  maintenance: z.array(maintenanceSchema).default([]),
  /** Link template for events whose rule has none: `{checkId}`, `{ruleId}`, `{alertId}`, `{tags.NAME}`. */
  link: z.string().min(1).optional(),
  /** Send `resolved` notifications (to whoever heard of the alert); default true. */
  sendResolved: z.boolean().default(true),
});

/** Options of {@link createAlertManager}. */
export type AlertManagerOptions = z.input<typeof alertManagerOptionsSchema> & {
  readonly clock?: Clock;
  /** Silences to start with, e.g. saved from `silences()` before a restart (expired ones are skipped). */
  readonly silences?: readonly (Silence | SilenceInput)[];
};

/** Who acknowledged an alert, when, and why. */
export interface Acknowledgement {
  readonly by: string;
  readonly at: number;
  readonly comment?: string;
}

/** Mutes notifications of matching alerts from `startsAt` until `endsAt` (epoch ms). */
export interface Silence {
  readonly id: string;
  readonly matchers: readonly AlertMatcher[];
  readonly startsAt: number;
  readonly endsAt: number;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly comment?: string;
}

/** What {@link AlertManager.silence} takes: matchers, and either `until` or `duration`. */
export interface SilenceInput {
  readonly matchers: readonly AlertMatcherInput[] | string;
  /** Epoch ms or a Date. */
  readonly until?: number | Date;
  /** From `startsAt` (default now), e.g. `2h`. */
  readonly duration?: DurationInput;
  readonly startsAt?: number | Date;
  readonly createdBy: string;
  readonly comment?: string;
  /** Keep an id (when restoring saved silences). */
  readonly id?: string;
  readonly createdAt?: number;
}

/** One alert that is not `ok`, as the alert manager sees it. */
export interface ActiveAlert {
  readonly alertId: string;
  readonly ruleId: string;
  readonly checkId: string;
  readonly tags: Tags;
  readonly severity: AlertSeverity;
  readonly state: AlertState;
  readonly since: number;
  /** When it last entered `firing`, if it did. */
  readonly firingSince?: number;
  readonly reason: ReasonCode;
  readonly message: string;
  readonly values: Readonly<Record<string, number>>;
  readonly link?: string;
  /** When its latest transition happened. */
  readonly updatedAt: number;
  readonly acknowledged?: Acknowledgement;
  /** Ids of the active silences that mute it. */
  readonly silencedBy: readonly string[];
  /** The active maintenance window that mutes it, if any. */
  readonly maintenance?: string;
  /** When a notification about it last went out. */
  readonly lastNotifiedAt?: number;
  /** Its latest transition event. */
  readonly event: AlertEvent;
}

/** Filters for {@link AlertManager.alerts}. */
export interface AlertQuery {
  /** Default `pending`, `firing` and `flapping` (every tracked alert). */
  readonly states?: readonly AlertState[];
  readonly matchers?: readonly AlertMatcherInput[] | string;
}

/** A configured maintenance window and whether it is on now. */
export interface MaintenanceWindowState {
  readonly name: string;
  readonly cron: string;
  readonly durationMs: number;
  readonly active: boolean;
  /** The current window's end when active, else the next window's start. */
  readonly activeUntil?: number;
  readonly nextStart?: number;
}

/**
 * The notification policy the monitor uses, plus the API operators (and the Telegram bot) call:
 * query alerts, silence, acknowledge.
 */
export interface AlertManager extends NotificationPolicy {
  route(events: readonly AlertEvent[], now: number): RoutedNotification[];
  tick(now: number): RoutedNotification[];
  /** Sends every open group now, whatever its window (the monitor calls it when stopping). */
  flush(now: number): RoutedNotification[];
  /** Alerts that are not `ok`, most urgent first. */
  alerts(query?: AlertQuery): ActiveAlert[];
  alert(alertId: string): ActiveAlert | undefined;
  /** Stops repeats and escalations of this alert's current episode; undefined when no such alert is active. */
  acknowledge(alertId: string, options: { readonly by: string; readonly comment?: string }): ActiveAlert | undefined;
  /** Mutes matching alerts until `until` (or for `duration`); throws `VIGIL_ERR_CONFIG` on bad input. */
  silence(input: SilenceInput): Silence;
  /** Ends a silence; false when there is none with this id. */
  unsilence(id: string): boolean;
  /** Active and future silences, soonest to end first. */
  silences(): Silence[];
  maintenanceWindows(): MaintenanceWindowState[];
  /** Every notifier id the options mention, with the option path (for validation against real notifiers). */
  referencedNotifiers(): { readonly path: string; readonly id: string }[];
}

/** Where notifications go: a route or an escalation step. */
interface Destination {
  readonly id: string;
  readonly notifiers: readonly string[] | undefined;
  readonly groupBy: readonly string[];
  readonly groupWindowMs: number;
  readonly repeatIntervalMs: number;
  readonly matchers: readonly CompiledMatcher[];
  readonly continue: boolean;
}

interface Tracked {
  latest: AlertEvent;
  firingSince: number | undefined;
  acknowledged: Acknowledgement | undefined;
  /** Destination id → when it last received a notification about this alert. */
  readonly delivered: Map<string, number>;
  readonly escalated: Set<number>;
  /** A firing or flapping notice held back by a silence or maintenance, to send when it ends. */
  awaiting: boolean;
}

interface Batch {
  readonly key: string;
  readonly destination: Destination;
  readonly closeAt: number;
  /** Latest event per alert: a group sends each alert once. */
  readonly events: Map<string, AlertEvent>;
}

interface CompiledSilence {
  readonly silence: Silence;
  readonly matchers: readonly CompiledMatcher[];
}

interface CompiledWindow {
  readonly name: string;
  readonly cron: string;
  readonly schedule: CronSchedule;
  readonly durationMs: number;
  readonly matchers: readonly CompiledMatcher[];
}

const activeStates: readonly AlertState[] = ['pending', 'firing', 'flapping'];
const stateRank: Readonly<Record<AlertState, number>> = { firing: 3, flapping: 2, pending: 1, resolved: 0, ok: 0 };

/** True when `value` looks like an {@link AlertManager} rather than its options. */
export function isAlertManager(value: unknown): value is AlertManager {
  return typeof value === 'object' && value !== null && typeof (value as AlertManager).route === 'function' && typeof (value as AlertManager).acknowledge === 'function';
}

function toEpoch(value: number | Date | undefined): number | undefined {
  if (value === undefined) return undefined;
  return value instanceof Date ? value.getTime() : value;
}

function invalid(field: string, message: string): VigilError {
  return new VigilError('VIGIL_ERR_CONFIG', `[core] alerts: ${field}: ${message}`, { path: field });
}

/**
 * Creates the alert manager: routes alert events to notifiers by matchers, groups alerts that
 * share a group key within a window into one notification, repeats firing alerts, escalates
 * unacknowledged ones, and mutes alerts that are silenced or in a maintenance window (history
 * is still written: the monitor stores every event before routing it).
 */
export function createAlertManager(options: AlertManagerOptions = {}): AlertManager {
  const { clock: clockOption, silences: initialSilences, ...rest } = options;
  const clock = clockOption ?? systemClock;
  const parsed = parseOptions(alertManagerOptionsSchema, rest, { source: 'core', path: 'alerting' });
  const rootGroupWindowMs = parseDuration(parsed.groupWindow);
  const rootRepeatMs = parseDuration(parsed.repeatInterval);

  const routes: Destination[] = parsed.routes.map((route, index) => ({
    id: `routes[${index}]`,
    notifiers: route.notifiers,
    groupBy: route.groupBy ?? parsed.groupBy,
    groupWindowMs: route.groupWindow === undefined ? rootGroupWindowMs : parseDuration(route.groupWindow),
    repeatIntervalMs: route.repeatInterval === undefined ? rootRepeatMs : parseDuration(route.repeatInterval),
    matchers: compileMatchers(route.matchers),
    continue: route.continue,
  }));
  const fallback: Destination = {
    id: 'default',
    notifiers: undefined,
    groupBy: parsed.groupBy,
    groupWindowMs: rootGroupWindowMs,
    repeatIntervalMs: rootRepeatMs,
    matchers: [],
    continue: false,
  };
  const escalations = parsed.escalations.map((escalation, index) => ({
    afterMs: parseDuration(escalation.after),
    matchers: compileMatchers(escalation.matchers),
    // Escalations are produced together on a tick, so they need no window to be grouped.
    destination: {
      id: `escalations[${index}]`,
      notifiers: escalation.notifiers,
      groupBy: parsed.groupBy,
      groupWindowMs: 0,
      repeatIntervalMs: rootRepeatMs,
      matchers: [],
      continue: false,
    } satisfies Destination,
  }));
  const destinations = new Map<string, Destination>([...routes, fallback, ...escalations.map((escalation) => escalation.destination)].map((destination) => [destination.id, destination]));
  const windows: CompiledWindow[] = parsed.maintenance.map((window, index) => ({
    name: window.name ?? `maintenance[${index}]`,
    cron: window.cron,
    schedule: compileCron(cron(window.cron, { timezone: window.timezone })),
    durationMs: parseDuration(window.duration),
    matchers: compileMatchers(window.matchers),
  }));

  const tracked = new Map<string, Tracked>();
  const batches = new Map<string, Batch>();
  const silenceById = new Map<string, CompiledSilence>();

  // Maintenance state is the same for every alert at one instant; compute it once per call.
  let windowsAt = Number.NaN;
  let activeWindows: CompiledWindow[] = [];
  const activeMaintenance = (now: number): CompiledWindow[] => {
    if (now !== windowsAt) {
      windowsAt = now;
      activeWindows = windows.filter((window) => {
        // The first start after (now - duration) lies within [now - duration, now] exactly when a window covers now.
        const start = window.schedule.next(now - window.durationMs);
        return start !== undefined && start <= now;
      });
    }
    return activeWindows;
  };

  const silencesFor = (labels: AlertLabels, now: number): string[] => {
    const ids: string[] = [];
    for (const { silence, matchers } of silenceById.values()) {
      if (silence.startsAt <= now && now < silence.endsAt && matchesAll(matchers, labels)) ids.push(silence.id);
    }
    return ids;
  };

  const maintenanceFor = (labels: AlertLabels, now: number): string | undefined =>
    activeMaintenance(now).find((window) => matchesAll(window.matchers, labels))?.name;

  const isSuppressed = (labels: AlertLabels, now: number): boolean => silencesFor(labels, now).length > 0 || maintenanceFor(labels, now) !== undefined;

  const routesFor = (labels: AlertLabels): Destination[] => {
    const matched: Destination[] = [];
    for (const route of routes) {
      if (!matchesAll(route.matchers, labels)) continue;
      matched.push(route);
      if (!route.continue) break;
    }
    return matched.length > 0 ? matched : [fallback];
  };

  const withLink = (event: AlertEvent): AlertEvent =>
    event.link !== undefined || parsed.link === undefined ? event : { ...event, link: fillLinkTemplate(parsed.link, event) };

  const groupKeyOf = (destination: Destination, labels: AlertLabels): string =>
    `${destination.id}:{${destination.groupBy.map((name) => `${name}=${Object.hasOwn(labels, name) ? labels[name] : ''}`).join(',')}}`;

  const enqueue = (destination: Destination, event: AlertEvent, now: number): void => {
    if (destination.notifiers !== undefined && destination.notifiers.length === 0) return;
    const key = groupKeyOf(destination, alertLabels(event));
    let batch = batches.get(key);
    if (!batch) {
      batch = { key, destination, closeAt: now + destination.groupWindowMs, events: new Map() };
      batches.set(key, batch);
    }
    batch.events.set(event.alertId, withLink(event));
  };

  /**
   * The open batch of this destination that holds an event of this alert. Found by scanning
   * (open groups are few) rather than by key, since a later event may carry other label values.
   */
  const queuedIn = (destination: Destination, alertId: string): Batch | undefined => {
    for (const batch of batches.values()) if (batch.destination === destination && batch.events.has(alertId)) return batch;
    return undefined;
  };

  const send = (batch: Batch, now: number): RoutedNotification | undefined => {
    const events: AlertEvent[] = [];
    for (const event of batch.events.values()) {
      const labels = alertLabels(event);
      const entry = tracked.get(event.alertId);
      // A silence or maintenance window may have begun while the group waited.
      if (isSuppressed(labels, now)) {
        if (entry && event.state !== 'resolved') entry.awaiting = true;
        continue;
      }
      events.push(event);
      if (entry && event.state !== 'resolved') entry.delivered.set(batch.destination.id, now);
    }
    if (events.length === 0) return undefined;
    return {
      notification: { id: randomUUID(), events, groupKey: batch.key, createdAt: now },
      ...(batch.destination.notifiers === undefined ? {} : { notifiers: batch.destination.notifiers }),
    };
  };

  const flushBatches = (now: number, all: boolean): RoutedNotification[] => {
    const out: RoutedNotification[] = [];
    for (const batch of [...batches.values()]) {
      if (!all && batch.closeAt > now) continue;
      batches.delete(batch.key);
      const routed = send(batch, now);
      if (routed) out.push(routed);
    }
    return out;
  };

  const deliver = (event: AlertEvent, now: number): void => {
    for (const destination of routesFor(alertLabels(event))) enqueue(destination, event, now);
  };

  const handle = (event: AlertEvent, now: number): void => {
    const labels = alertLabels(event);
    let entry = tracked.get(event.alertId);
    if (!entry) {
      if (event.state === 'ok' || event.state === 'resolved') return;
      entry = { latest: event, firingSince: undefined, acknowledged: undefined, delivered: new Map(), escalated: new Set(), awaiting: false };
      tracked.set(event.alertId, entry);
    }
    entry.latest = event;
    if (event.state === 'firing' && event.previousState !== 'firing') entry.firingSince = event.at;
    switch (event.state) {
      case 'pending':
        return;
      case 'ok':
        tracked.delete(event.alertId);
        return;
      case 'resolved': {
        tracked.delete(event.alertId);
        const suppressed = isSuppressed(labels, now);
        const targets = new Set([...entry.delivered.keys()]);
        for (const destination of routesFor(labels)) if (queuedIn(destination, event.alertId)) targets.add(destination.id);
        for (const id of targets) {
          const destination = destinations.get(id) as Destination;
          const batch = queuedIn(destination, event.alertId);
          // A firing notice that never went out is withdrawn rather than followed by a resolved one.
          if (batch && !entry.delivered.has(id)) {
            batch.events.delete(event.alertId);
            if (batch.events.size === 0) batches.delete(batch.key);
            continue;
          }
          if (!suppressed && parsed.sendResolved && entry.delivered.has(id)) enqueue(destination, event, now);
        }
        return;
      }
      case 'firing':
      case 'flapping':
        if (isSuppressed(labels, now)) {
          entry.awaiting = true;
          return;
        }
        entry.awaiting = false;
        deliver(event, now);
    }
  };

  const reminder = (entry: Tracked, cause: 'repeat' | 'escalation', now: number): AlertEvent => ({ ...entry.latest, id: randomUUID(), cause, at: now });

  const remind = (now: number): void => {
    for (const entry of tracked.values()) {
      const labels = alertLabels(entry.latest);
      if (entry.awaiting && (entry.latest.state === 'firing' || entry.latest.state === 'flapping') && !isSuppressed(labels, now)) {
        entry.awaiting = false;
        deliver(entry.latest, now);
        continue;
      }
      // Flapping alerts hold further notifications until they settle; acknowledged ones are being handled.
      if (entry.latest.state !== 'firing' || entry.acknowledged !== undefined || isSuppressed(labels, now)) continue;
      for (const [id, lastAt] of entry.delivered) {
        const destination = destinations.get(id) as Destination;
        if (destination.repeatIntervalMs > 0 && now - lastAt >= destination.repeatIntervalMs && !queuedIn(destination, entry.latest.alertId)) {
          enqueue(destination, reminder(entry, 'repeat', now), now);
        }
      }
      escalations.forEach((escalation, index) => {
        if (entry.escalated.has(index) || entry.firingSince === undefined || now - entry.firingSince < escalation.afterMs) return;
        if (!matchesAll(escalation.matchers, labels)) return;
        entry.escalated.add(index);
        enqueue(escalation.destination, reminder(entry, 'escalation', now), now);
      });
    }
  };

  const pruneSilences = (now: number): void => {
    for (const [id, { silence }] of silenceById) if (silence.endsAt <= now) silenceById.delete(id);
  };

  const summarize = (entry: Tracked, now: number): ActiveAlert => {
    const event = entry.latest;
    const labels = alertLabels(event);
    const maintenance = maintenanceFor(labels, now);
    let lastNotifiedAt: number | undefined;
    for (const at of entry.delivered.values()) lastNotifiedAt = Math.max(lastNotifiedAt ?? at, at);
    const linked = withLink(event);
    return {
      alertId: event.alertId,
      ruleId: event.ruleId,
      checkId: event.checkId,
      tags: event.tags,
      severity: event.severity,
      state: event.state,
      since: event.since,
      ...(entry.firingSince === undefined ? {} : { firingSince: entry.firingSince }),
      reason: event.reason,
      message: event.message,
      values: event.values,
      ...(linked.link === undefined ? {} : { link: linked.link }),
      updatedAt: event.at,
      ...(entry.acknowledged === undefined ? {} : { acknowledged: entry.acknowledged }),
      silencedBy: silencesFor(labels, now),
      ...(maintenance === undefined ? {} : { maintenance }),
      ...(lastNotifiedAt === undefined ? {} : { lastNotifiedAt }),
      event,
    };
  };

  const addSilence = (input: SilenceInput): Silence => {
    const now = clock.now();
    if (typeof input !== 'object' || input === null) throw invalid('silence', 'expected { matchers, until or duration, createdBy }');
    const matcherInputs = typeof input.matchers === 'string' ? input.matchers : [...(input.matchers ?? [])];
    let compiled: CompiledMatcher[];
    try {
      compiled = typeof matcherInputs === 'string' ? compileMatchers(parseMatchers(matcherInputs)) : compileMatchers(matcherInputs);
    } catch (error) {
      throw invalid('silence.matchers', describeError(error).replace(/^\[core\] alerts: /, ''));
    }
    // An empty list would mute everything by accident; `checkId=~.*` says so on purpose.
    if (compiled.length === 0) throw invalid('silence.matchers', 'expected at least one matcher');
    if (typeof input.createdBy !== 'string' || input.createdBy.trim() === '') throw invalid('silence.createdBy', 'expected who creates the silence');
    const startsAt = toEpoch(input.startsAt) ?? now;
    if (!Number.isFinite(startsAt)) throw invalid('silence.startsAt', 'expected epoch milliseconds or a Date');
    if ((input.until === undefined) === (input.duration === undefined)) throw invalid('silence', 'set exactly one of until or duration');
    const endsAt = input.until === undefined ? startsAt + parseDuration(input.duration as DurationInput, 'silence.duration') : (toEpoch(input.until) as number);
    if (!Number.isFinite(endsAt) || endsAt <= Math.max(now, startsAt)) throw invalid(input.until === undefined ? 'silence.duration' : 'silence.until', 'the silence must end in the future');
    let id = input.id ?? randomUUID().slice(0, 8);
    while (input.id === undefined && silenceById.has(id)) id = randomUUID().slice(0, 8);
    const silence: Silence = Object.freeze({
      id,
      matchers: Object.freeze(compiled.map(({ name, operator, value }) => Object.freeze({ name, operator, value }))),
      startsAt,
      endsAt,
      createdBy: input.createdBy,
      createdAt: input.createdAt ?? now,
      ...(input.comment === undefined ? {} : { comment: input.comment }),
    });
    silenceById.set(id, { silence, matchers: compiled });
    return silence;
  };

  for (const [index, input] of (initialSilences ?? []).entries()) {
    try {
      if ('endsAt' in input) {
        // A saved silence: keep its id and times; one that ended while we were down is simply gone.
        if (input.endsAt <= clock.now()) continue;
        addSilence({ id: input.id, matchers: input.matchers, startsAt: input.startsAt, until: input.endsAt, createdBy: input.createdBy, createdAt: input.createdAt, ...(input.comment === undefined ? {} : { comment: input.comment }) });
      } else addSilence(input);
    } catch (error) {
      if (VigilError.isInstance(error)) throw invalid(`alerting.silences[${index}]`, describeError(error).replace(/^\[core\] alerts: /, ''));
      throw error;
    }
  }

  const manager: AlertManager = {
    route(events, now) {
      for (const event of events) handle(event, now);
      return flushBatches(now, false);
    },
    tick(now) {
      pruneSilences(now);
      remind(now);
      return flushBatches(now, false);
    },
    flush(now) {
      return flushBatches(now, true);
    },
    alerts(query = {}) {
      const now = clock.now();
      const states = new Set(query.states ?? activeStates);
      const matchers = query.matchers === undefined ? [] : compileMatchers(typeof query.matchers === 'string' ? parseMatchers(query.matchers) : query.matchers);
      const list: ActiveAlert[] = [];
      for (const entry of tracked.values()) {
        if (!states.has(entry.latest.state) || !matchesAll(matchers, alertLabels(entry.latest))) continue;
        list.push(summarize(entry, now));
      }
      return list.sort(
        (left, right) =>
          stateRank[right.state] - stateRank[left.state] || severityRank(right.severity) - severityRank(left.severity) || left.since - right.since || left.alertId.localeCompare(right.alertId),
      );
    },
    alert(alertId) {
      const entry = tracked.get(alertId);
      return entry ? summarize(entry, clock.now()) : undefined;
    },
    acknowledge(alertId, acknowledgement) {
      const entry = tracked.get(alertId);
      if (!entry) return undefined;
      if (typeof acknowledgement?.by !== 'string' || acknowledgement.by.trim() === '') throw invalid('acknowledge.by', 'expected who acknowledges');
      const now = clock.now();
      entry.acknowledged = { by: acknowledgement.by, at: now, ...(acknowledgement.comment === undefined ? {} : { comment: acknowledgement.comment }) };
      return summarize(entry, now);
    },
    silence: addSilence,
    unsilence(id) {
      return silenceById.delete(id);
    },
    silences() {
      const now = clock.now();
      return [...silenceById.values()]
        .map(({ silence }) => silence)
        .filter((silence) => silence.endsAt > now)
        .sort((left, right) => left.endsAt - right.endsAt);
    },
    maintenanceWindows() {
      const now = clock.now();
      return windows.map((window) => {
        const start = window.schedule.next(now - window.durationMs);
        const active = start !== undefined && start <= now;
        const nextStart = window.schedule.next(now);
        return {
          name: window.name,
          cron: window.cron,
          durationMs: window.durationMs,
          active,
          ...(active ? { activeUntil: (start as number) + window.durationMs } : {}),
          ...(nextStart === undefined ? {} : { nextStart }),
        };
      });
    },
    referencedNotifiers() {
      const references: { path: string; id: string }[] = [];
      parsed.routes.forEach((route, index) => route.notifiers?.forEach((id, position) => references.push({ path: `alerting.routes[${index}].notifiers[${position}]`, id })));
      parsed.escalations.forEach((escalation, index) => escalation.notifiers.forEach((id, position) => references.push({ path: `alerting.escalations[${index}].notifiers[${position}]`, id })));
      return references;
    },
  };
  return manager;
}
