import type { AlertEvent } from '../contracts/alert.js';
import type { Tags } from '../contracts/result.js';
import { VigilError } from '../errors/vigil-error.js';

/** `=` equals, `!=` differs, `=~` matches the regular expression, `!~` does not (Alertmanager style). */
export type AlertMatchOperator = '=' | '!=' | '=~' | '!~';

/** One condition on one label of an alert: a tag, or `checkId`, `ruleId`, `alertId`, `severity`, `state`. */
export interface AlertMatcher {
  readonly name: string;
  readonly operator: AlertMatchOperator;
  readonly value: string;
}

/** A matcher as text (`severity=critical`, `env=~"prod|staging"`) or as an object. */
export type AlertMatcherInput = string | AlertMatcher;

/** The labels matchers see: the series' tags, overridden by the alert's own fields. */
export type AlertLabels = Readonly<Record<string, string>>;

const operators: readonly AlertMatchOperator[] = ['=~', '!~', '!=', '='];
const namePattern = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

function matcherError(text: string, why: string): VigilError {
  return new VigilError('VIGIL_ERR_CONFIG', `[core] alerts: invalid matcher ${JSON.stringify(text)}: ${why}`, { details: { matcher: text } });
}

function unquote(raw: string, text: string): string {
  const value = raw.trim();
  if (!value.startsWith('"')) return value;
  if (value.length < 2 || !value.endsWith('"')) throw matcherError(text, 'unterminated quoted value');
  try {
    return JSON.parse(value) as string;
  } catch {
    throw matcherError(text, 'bad escape in quoted value');
  }
}

/** Compiles a regular expression anchored at both ends, as Alertmanager does. */
function anchored(value: string, text: string): RegExp {
  try {
    return new RegExp(`^(?:${value})$`);
  } catch (error) {
    throw matcherError(text, `bad regular expression (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** Parses one matcher such as `checkId=web`, `severity!=info`, `env=~"prod|staging"` or `ruleId!~latency.*`. */
export function parseMatcher(text: string): AlertMatcher {
  const trimmed = text.trim();
  // The first operator character ends the name; names never contain `=`, `!` or `~`.
  const at = trimmed.search(/[=!~]/);
  if (at <= 0) throw matcherError(text, 'expected name, operator (=, !=, =~, !~) and value');
  const name = trimmed.slice(0, at).trim();
  const rest = trimmed.slice(at);
  const operator = operators.find((candidate) => rest.startsWith(candidate));
  if (operator === undefined) throw matcherError(text, 'expected an operator: =, !=, =~ or !~');
  if (!namePattern.test(name)) throw matcherError(text, `bad label name ${JSON.stringify(name)}`);
  const value = unquote(rest.slice(operator.length), text);
  const matcher: AlertMatcher = { name, operator, value };
  if (operator === '=~' || operator === '!~') anchored(value, text);
  return matcher;
}

/** Splits a list at commas outside double quotes. */
function splitList(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index] as string;
    if (character === '\\' && quoted) {
      current += character + (text[index + 1] ?? '');
      index += 1;
      continue;
    }
    if (character === '"') quoted = !quoted;
    if (character === ',' && !quoted) {
      parts.push(current);
      current = '';
      continue;
    }
    current += character;
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part.length > 0);
}

/** Parses a comma-separated list of matchers, optionally in braces: `{checkId=web, env=~"prod|eu"}`. */
export function parseMatchers(text: string): AlertMatcher[] {
  let body = text.trim();
  if (body.startsWith('{')) {
    if (!body.endsWith('}')) throw matcherError(text, 'missing closing brace');
    body = body.slice(1, -1);
  }
  return splitList(body).map(parseMatcher);
}

/** Validates a matcher given as text or as an object and returns the object form. */
export function toMatcher(input: AlertMatcherInput): AlertMatcher {
  if (typeof input === 'string') return parseMatcher(input);
  if (typeof input !== 'object' || input === null || typeof input.name !== 'string' || typeof input.value !== 'string' || !operators.includes(input.operator)) {
    throw new VigilError('VIGIL_ERR_CONFIG', `[core] alerts: invalid matcher ${JSON.stringify(input)}: expected { name, operator, value } or text like "checkId=web"`);
  }
  return parseMatcher(formatMatcher(input));
}

/** Renders a matcher as text that {@link parseMatcher} reads back. */
export function formatMatcher(matcher: AlertMatcher): string {
  const plain = /^[A-Za-z0-9_.:/@-]*$/.test(matcher.value) && matcher.value.length > 0;
  return `${matcher.name}${matcher.operator}${plain ? matcher.value : JSON.stringify(matcher.value)}`;
}

/** A matcher ready to test labels; regular expressions are compiled once. */
export interface CompiledMatcher extends AlertMatcher {
  test(labels: AlertLabels): boolean;
}

/** The label's value, or the empty string when absent (own properties only: `constructor` is a label name like any other). */
function labelValue(labels: AlertLabels, name: string): string {
  return Object.hasOwn(labels, name) ? (labels[name] as string) : '';
}

/** Compiles matchers for repeated tests. */
export function compileMatchers(inputs: readonly AlertMatcherInput[]): CompiledMatcher[] {
  return inputs.map((input) => {
    const matcher = toMatcher(input);
    const { name, operator, value } = matcher;
    // A missing label reads as the empty string, so `env!=prod` matches alerts without `env`.
    if (operator === '=') return { ...matcher, test: (labels) => labelValue(labels, name) === value };
    if (operator === '!=') return { ...matcher, test: (labels) => labelValue(labels, name) !== value };
    const pattern = anchored(value, formatMatcher(matcher));
    if (operator === '=~') return { ...matcher, test: (labels) => pattern.test(labelValue(labels, name)) };
    return { ...matcher, test: (labels) => !pattern.test(labelValue(labels, name)) };
  });
}

/** True when every matcher accepts the labels (an empty list accepts everything). */
export function matchesAll(matchers: readonly CompiledMatcher[], labels: AlertLabels): boolean {
  for (const matcher of matchers) if (!matcher.test(labels)) return false;
  return true;
}

/** The labels of an alert event that matchers, routes and group keys use. */
export function alertLabels(event: Pick<AlertEvent, 'tags' | 'alertId' | 'ruleId' | 'checkId' | 'severity' | 'state'>): AlertLabels {
  return { ...event.tags, alertId: event.alertId, ruleId: event.ruleId, checkId: event.checkId, severity: event.severity, state: event.state };
}

/** The labels a rule's `matchers` option sees for a result: its tags plus `checkId`. */
export function resultLabels(checkId: string, tags: Tags): AlertLabels {
  return { ...tags, checkId };
}
