import { randomUUID } from 'node:crypto';
import type { AlertEvent, AlertRule, AlertRuleContext, AlertSeverity, AlertState } from '../contracts/alert.js';
import type { ReasonCode, ResultRecord, Tags } from '../contracts/result.js';
import { parseDuration } from '../util/duration.js';
import { FlapHistory, type FlapSettings, defaultFlapSettings } from './flap-detector.js';
import { fillLinkTemplate } from './link-template.js';
import { type CompiledMatcher, compileMatchers, matchesAll, resultLabels } from './matchers.js';
import { type RuleBaseOptions, severityRank } from './rule-options.js';

/** One rule's judgement of one series after one result. */
export interface SeriesVerdict {
  /** Tags that split a check into several series (e.g. a gauge's tags); part of the alert id. */
  readonly seriesTags?: Tags;
  readonly breaching: boolean;
  /** The severity this evaluation warrants; default the rule's. */
  readonly severity?: AlertSeverity;
  readonly values: Readonly<Record<string, number>>;
  /** What was seen, e.g. `p95 812 ms > 500 ms over 5m`. */
  readonly detail: string;
}

/** Consecutive breaching and clear evaluations of a series, for messages. */
export interface Streak {
  readonly breaching: number;
  readonly clear: number;
}

/** Lets an evaluator apply a recovery threshold (hysteresis) while its series is firing. */
export interface SeriesLookup {
  isFiring(checkId: string, seriesTags?: Tags): boolean;
}

/** What a rule type supplies to the shared state machine. */
export interface StatefulRuleDefinition {
  readonly type: string;
  readonly id: string;
  readonly options: RuleBaseOptions;
  readonly defaultSeverity: AlertSeverity;
  readonly defaultFireAfter: number;
  readonly defaultResolveAfter: number;
  /** Judges one result; an empty list means "nothing to judge" (the series keeps its state). */
  evaluate(record: ResultRecord, context: AlertRuleContext, series: SeriesLookup): readonly SeriesVerdict[];
  /** Optional wording per state; default: the verdict's detail (resolved ones say `recovered`). */
  present?(state: AlertState, verdict: SeriesVerdict, streak: Streak): { readonly detail: string; readonly values?: Readonly<Record<string, number>> };
}

type Condition = 'ok' | 'pending' | 'firing';

interface SeriesState {
  readonly alertId: string;
  readonly checkId: string;
  readonly seriesTags: Tags | undefined;
  tags: Tags;
  checkType: string | undefined;
  target: string | undefined;
  reason: ReasonCode;
  /** What operators see (events are its transitions). */
  state: AlertState;
  /** The condition's own state machine, which keeps running while the series flaps. */
  condition: Condition;
  breaching: number;
  clear: number;
  /** When the condition left `ok`. */
  conditionSince: number | undefined;
  /** The `since` of the latest visible event, so a resolved event spans its episode. */
  visibleSince: number;
  severity: AlertSeverity;
  lastVerdict: SeriesVerdict | undefined;
  readonly flaps: FlapHistory | undefined;
}

/** `{a=1,b=2}` in key order, or '' for no tags. */
function tagSuffix(tags: Tags | undefined): string {
  if (!tags) return '';
  const keys = Object.keys(tags).sort();
  if (keys.length === 0) return '';
  return `{${keys.map((key) => `${key}=${tags[key]}`).join(',')}}`;
}

/**
 * Builds an {@link AlertRule} around the shared per-series state machine:
 * `ok → pending → firing → resolved → ok`, with `fireAfter`/`resolveAfter` consecutive
 * evaluations, a `for` duration (checked on results and on ticks), a severity that only rises
 * within an episode, and Nagios-style flap detection that holds transitions while flapping.
 */
export function createStatefulRule(definition: StatefulRuleDefinition): AlertRule {
  const { options } = definition;
  const fireAfter = options.fireAfter ?? definition.defaultFireAfter;
  const resolveAfter = options.resolveAfter ?? definition.defaultResolveAfter;
  const forMs = parseDuration(options.for ?? 0);
  const baseSeverity = options.severity ?? definition.defaultSeverity;
  const flapSettings: FlapSettings | undefined = options.flapping === false ? undefined : (options.flapping ?? defaultFlapSettings);
  const checks = options.checks ? new Set(options.checks) : undefined;
  const matchers: CompiledMatcher[] | undefined = options.matchers ? compileMatchers(options.matchers) : undefined;
  const series = new Map<string, SeriesState>();

  const keyOf = (checkId: string, seriesTags: Tags | undefined): string => `${checkId}${tagSuffix(seriesTags)}`;

  const lookup: SeriesLookup = {
    isFiring: (checkId, seriesTags) => series.get(keyOf(checkId, seriesTags))?.condition === 'firing',
  };

  const ready = (state: SeriesState, now: number): boolean =>
    state.breaching >= fireAfter && state.conditionSince !== undefined && now - state.conditionSince >= forMs;

  const present = (state: AlertState, verdict: SeriesVerdict, streak: Streak): { detail: string; values?: Readonly<Record<string, number>> } => {
    if (definition.present) return definition.present(state, verdict, streak);
    return { detail: state === 'resolved' ? `recovered (${verdict.detail})` : verdict.detail };
  };

  const emit = (state: SeriesState, next: AlertState, now: number, extra: { previousSeverity?: AlertSeverity; flapPercent?: number } = {}): AlertEvent => {
    const verdict = state.lastVerdict as SeriesVerdict;
    const since =
      next === 'flapping' ? now : next === 'ok' ? now : next === 'resolved' ? state.visibleSince : (state.conditionSince ?? now);
    const subject = `${state.checkId}${tagSuffix(state.seriesTags)}`;
    let detail: string;
    let values: Record<string, number>;
    if (next === 'flapping' || (state.state === 'flapping' && extra.flapPercent !== undefined)) {
      const percent = Math.round(extra.flapPercent ?? 0);
      const window = flapSettings?.window ?? 0;
      detail =
        next === 'flapping'
          ? `flapping: ${percent}% state changes over the last ${window} evaluations; notifications held until it settles`
          : `stopped flapping (${percent}% state changes), now ${next === 'firing' ? 'failing' : 'fine'}: ${verdict.detail}`;
      values = { ...verdict.values, flapPercent: percent };
    } else {
      const presented = present(next, verdict, { breaching: state.breaching, clear: state.clear });
      detail = presented.detail;
      values = { ...verdict.values, ...presented.values };
    }
    const previousState = state.state;
    const event: AlertEvent = {
      id: randomUUID(),
      alertId: `${definition.id}/${subject}`,
      ruleId: definition.id,
      checkId: state.checkId,
      ...(state.checkType === undefined ? {} : { checkType: state.checkType }),
      ...(state.target === undefined ? {} : { target: state.target }),
      tags: state.tags,
      severity: state.severity,
      ...(extra.previousSeverity === undefined ? {} : { previousSeverity: extra.previousSeverity }),
      state: next,
      previousState,
      reason: state.reason,
      message: `${subject}: ${detail}`,
      values,
      since,
      at: now,
      cause: 'transition',
    };
    const withLink = options.link === undefined ? event : { ...event, link: fillLinkTemplate(options.link, event) };
    state.state = next;
    state.visibleSince = since;
    return withLink;
  };

  /** Turns the condition (and flap percentage) into at most one visible transition. */
  const reconcile = (state: SeriesState, now: number, evaluated: boolean, previousSeverity: AlertSeverity | undefined): AlertEvent[] => {
    if (flapSettings && state.flaps && evaluated) {
      const percent = state.flaps.percent();
      if (state.state !== 'flapping' && percent >= flapSettings.high) return [emit(state, 'flapping', now, { flapPercent: percent })];
      if (state.state === 'flapping') {
        if (percent >= flapSettings.low) return [];
        return [emit(state, state.condition === 'firing' ? 'firing' : 'resolved', now, { flapPercent: percent })];
      }
    }
    if (state.state === 'flapping') return [];
    const current = state.state;
    let next: AlertState = current;
    if (state.condition === 'firing') next = 'firing';
    else if (state.condition === 'pending') next = current === 'ok' || current === 'resolved' ? 'pending' : current;
    else if (current === 'pending' || current === 'resolved') next = 'ok';
    else if (current === 'firing') next = 'resolved';
    if (next !== current) return [emit(state, next, now)];
    if (current === 'firing' && previousSeverity !== undefined) return [emit(state, 'firing', now, { previousSeverity })];
    return [];
  };

  const apply = (state: SeriesState, verdict: SeriesVerdict, now: number): AlertEvent[] => {
    state.lastVerdict = verdict;
    state.flaps?.push(verdict.breaching);
    let previousSeverity: AlertSeverity | undefined;
    const severity = verdict.severity ?? baseSeverity;
    if (verdict.breaching) {
      state.breaching += 1;
      state.clear = 0;
      if (state.condition === 'ok') {
        state.conditionSince = now;
        state.severity = severity;
        state.condition = ready(state, now) ? 'firing' : 'pending';
      } else if (state.condition === 'pending') {
        if (severityRank(severity) > severityRank(state.severity)) state.severity = severity;
        if (ready(state, now)) state.condition = 'firing';
      } else if (severityRank(severity) > severityRank(state.severity)) {
        // Within an episode severity only rises: a downgrade would page nobody and only add noise.
        previousSeverity = state.severity;
        state.severity = severity;
      }
    } else {
      state.clear += 1;
      state.breaching = 0;
      if (state.condition === 'pending' || (state.condition === 'firing' && state.clear >= resolveAfter)) {
        state.condition = 'ok';
        state.conditionSince = undefined;
      }
    }
    return reconcile(state, now, true, previousSeverity);
  };

  const seriesFor = (record: ResultRecord, verdict: SeriesVerdict, now: number): SeriesState => {
    const key = keyOf(record.checkId, verdict.seriesTags);
    let state = series.get(key);
    if (!state) {
      state = {
        alertId: `${definition.id}/${key}`,
        checkId: record.checkId,
        seriesTags: verdict.seriesTags,
        tags: record.tags,
        checkType: record.checkType,
        target: record.target,
        reason: record.reason,
        state: 'ok',
        condition: 'ok',
        breaching: 0,
        clear: 0,
        conditionSince: undefined,
        visibleSince: now,
        severity: baseSeverity,
        lastVerdict: undefined,
        flaps: flapSettings ? new FlapHistory(flapSettings.window) : undefined,
      };
      series.set(key, state);
    }
    state.tags = verdict.seriesTags ? { ...record.tags, ...verdict.seriesTags } : record.tags;
    state.checkType = record.checkType;
    state.target = record.target;
    state.reason = record.reason;
    return state;
  };

  return {
    id: definition.id,
    type: definition.type,
    observe(record, context) {
      if (checks && !checks.has(record.checkId)) return [];
      if (matchers && !matchesAll(matchers, resultLabels(record.checkId, record.tags))) return [];
      const verdicts = definition.evaluate(record, context, lookup);
      if (verdicts.length === 0) return [];
      const events: AlertEvent[] = [];
      for (const verdict of verdicts) events.push(...apply(seriesFor(record, verdict, context.now), verdict, context.now));
      return events;
    },
    tick(context) {
      // Only `for` durations are time-driven: a pending series fires once it has held long enough.
      if (forMs === 0) return [];
      const events: AlertEvent[] = [];
      for (const state of series.values()) {
        if (state.condition !== 'pending' || !ready(state, context.now)) continue;
        state.condition = 'firing';
        events.push(...reconcile(state, context.now, false, undefined));
      }
      return events;
    },
  };
}
