/**
 * The assertions an HTTP check can make about a response, compiled once from the options and
 * evaluated per run. Every failed assertion yields one line that says which assertion it was
 * and what was seen, in the spirit of Gatus conditions (`[STATUS] == 200`, `[BODY].status == UP`).
 */
import { isSecretKey } from '@vigil/core';
import { type JsonPath, lookupJsonPath, parseJsonPath } from './json-path.js';

/** An inclusive range of status codes; `2xx` is 200-299. */
export interface StatusRange {
  readonly min: number;
  readonly max: number;
}

/** Parses `200`, `"2xx"` or `"200-204"` into a range; undefined when it is none of those. */
export function parseStatusRange(value: number | string): StatusRange | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 100 && value <= 599 ? { min: value, max: value } : undefined;
  const text = value.trim().toLowerCase();
  const single = /^([1-5]\d\d)$/.exec(text);
  if (single) return { min: Number(single[1]), max: Number(single[1]) };
  const family = /^([1-5])xx$/.exec(text);
  if (family) return { min: Number(family[1]) * 100, max: Number(family[1]) * 100 + 99 };
  const range = /^([1-5]\d\d)\s*-\s*([1-5]\d\d)$/.exec(text);
  if (range && Number(range[1]) <= Number(range[2])) return { min: Number(range[1]), max: Number(range[2]) };
  return undefined;
}

/** `200`, `2xx` or `200-204`, for messages. */
export function formatStatusRange(range: StatusRange): string {
  if (range.min === range.max) return String(range.min);
  if (range.min % 100 === 0 && range.max === range.min + 99) return `${range.min / 100}xx`;
  return `${range.min}-${range.max}`;
}

export type JsonPathOperator =
  | 'exists'
  | 'notExists'
  | 'equals'
  | 'notEquals'
  | 'greaterThan'
  | 'greaterThanOrEqual'
  | 'lessThan'
  | 'lessThanOrEqual'
  | 'matches'
  | 'notMatches';

/** One compiled JSON path condition. */
export interface JsonPathCondition {
  readonly path: JsonPath;
  /** Compare the length of the value (array items, string characters, object keys) instead of the value. */
  readonly length: boolean;
  readonly operator: JsonPathOperator;
  /** The value to compare with: any JSON value for (not) equals, a number for orderings, a RegExp for (not) matches. */
  readonly expected: unknown;
  /** The condition as text, e.g. `$.data[0].status == "UP"` or `len($.items) > 0`. */
  readonly text: string;
}

const operatorSymbols: Readonly<Record<JsonPathOperator, string>> = {
  exists: 'exists',
  notExists: 'does not exist',
  equals: '==',
  notEquals: '!=',
  greaterThan: '>',
  greaterThanOrEqual: '>=',
  lessThan: '<',
  lessThanOrEqual: '<=',
  matches: '=~',
  notMatches: '!~',
};

// Longest first, so `==` is not read as `=`.
const expressionOperators: readonly (readonly [string, JsonPathOperator])[] = [
  ['==', 'equals'],
  ['=~', 'matches'],
  ['!=', 'notEquals'],
  ['!~', 'notMatches'],
  ['>=', 'greaterThanOrEqual'],
  ['<=', 'lessThanOrEqual'],
  ['>', 'greaterThan'],
  ['<', 'lessThan'],
  ['=', 'equals'],
];

/** Finds the first operator outside brackets and quotes. */
function findOperator(text: string): { at: number; symbol: string; operator: JsonPathOperator } | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let position = 0; position < text.length; position += 1) {
    const character = text[position] as string;
    if (quote !== undefined) {
      if (character === '\\') position += 1;
      else if (character === quote) quote = undefined;
      continue;
    }
    if (character === "'" || character === '"') quote = character;
    else if (character === '[' || character === '(') depth += 1;
    else if (character === ']' || character === ')') depth -= 1;
    else if (depth === 0) {
      for (const [symbol, operator] of expressionOperators) {
        if (text.startsWith(symbol, position)) return { at: position, symbol, operator };
      }
    }
  }
  return undefined;
}

/** The right-hand side of an expression: JSON when it parses as JSON, otherwise the bare text. */
function parseOperand(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function formatValue(value: unknown, limit = 80): string {
  let text: string;
  if (value instanceof RegExp) text = String(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > limit ? `${text.slice(0, limit - 3)}...` : text;
}

function conditionText(path: JsonPath, length: boolean, operator: JsonPathOperator, expected: unknown): string {
  const subject = length ? `len(${path.source})` : path.source;
  if (operator === 'exists') return subject;
  if (operator === 'notExists') return `!${subject}`;
  return `${subject} ${operatorSymbols[operator]} ${formatValue(expected)}`;
}

/** The options form of a JSON path condition (exactly one comparison, or none for "exists"). */
export interface JsonPathConditionObject {
  readonly path: string;
  readonly length?: boolean;
  readonly exists?: boolean;
  readonly equals?: unknown;
  readonly notEquals?: unknown;
  readonly greaterThan?: number;
  readonly greaterThanOrEqual?: number;
  readonly lessThan?: number;
  readonly lessThanOrEqual?: number;
  readonly matches?: string;
  readonly notMatches?: string;
}

const comparisonKeys = ['exists', 'equals', 'notEquals', 'greaterThan', 'greaterThanOrEqual', 'lessThan', 'lessThanOrEqual', 'matches', 'notMatches'] as const;

function compileCondition(path: JsonPath, length: boolean, operator: JsonPathOperator, operand: unknown): JsonPathCondition {
  let expected: unknown = operand;
  if (operator === 'matches' || operator === 'notMatches') {
    if (typeof operand !== 'string') throw new Error(`${operatorSymbols[operator]} needs a regular expression`);
    try {
      expected = new RegExp(operand);
    } catch (error) {
      throw new Error(`not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`);
    }
  } else if (operator === 'greaterThan' || operator === 'greaterThanOrEqual' || operator === 'lessThan' || operator === 'lessThanOrEqual') {
    if (typeof operand !== 'number' || !Number.isFinite(operand)) throw new Error(`${operatorSymbols[operator]} needs a number, got ${formatValue(operand)}`);
  }
  return Object.freeze({ path, length, operator, expected, text: conditionText(path, length, operator, expected) });
}

/**
 * Parses a condition expression: `PATH`, `!PATH`, `PATH OP VALUE` or `len(PATH) OP VALUE`, with
 * OP one of `==` (or `=`), `!=`, `>`, `>=`, `<`, `<=`, `=~` (regex), `!~`. VALUE is JSON when it
 * parses as JSON (`200`, `true`, `"UP"`), else the bare text (`UP`). Throws an Error explaining
 * what is wrong.
 */
export function parseJsonPathCondition(expression: string): JsonPathCondition {
  const text = expression.trim();
  const found = findOperator(text);
  let left = found ? text.slice(0, found.at).trim() : text;
  let negated = false;
  if (!found && left.startsWith('!')) {
    negated = true;
    left = left.slice(1).trim();
  }
  let length = false;
  const lengthCall = /^len\s*\((.*)\)$/s.exec(left);
  if (lengthCall) {
    length = true;
    left = (lengthCall[1] as string).trim();
  }
  if (left === '') throw new Error(`expected a JSON path before the operator in ${JSON.stringify(text)}`);
  const path = parseJsonPath(left);
  if (!found) {
    if (length) throw new Error(`len(...) needs a comparison, e.g. len(${path.source}) > 0`);
    return compileCondition(path, false, negated ? 'notExists' : 'exists', undefined);
  }
  const right = text.slice(found.at + found.symbol.length).trim();
  if (right === '') throw new Error(`expected a value after ${found.symbol} in ${JSON.stringify(text)}`);
  const operand = found.operator === 'matches' || found.operator === 'notMatches' ? (/^".*"$/s.test(right) ? parseOperand(right) : right) : parseOperand(right);
  return compileCondition(path, length, found.operator, operand);
}

/** Compiles the options form of a condition. Throws an Error explaining what is wrong. */
export function compileJsonPathCondition(condition: JsonPathConditionObject): JsonPathCondition {
  const path = parseJsonPath(condition.path);
  const given = comparisonKeys.filter((key) => condition[key] !== undefined);
  if (given.length > 1) throw new Error(`use one comparison per condition, got ${given.join(' and ')}`);
  const key = given[0];
  const length = condition.length === true;
  if (key === undefined || key === 'exists') {
    if (length) throw new Error('length needs a comparison such as greaterThan');
    return compileCondition(path, false, condition.exists === false ? 'notExists' : 'exists', undefined);
  }
  return compileCondition(path, length, key, condition[key]);
}

function lengthOf(value: unknown): number | undefined {
  if (typeof value === 'string' || Array.isArray(value)) return value.length;
  if (value !== null && typeof value === 'object') return Object.keys(value).length;
  return undefined;
}

function deepEqual(left: unknown, right: unknown): boolean {
  if (Object.is(left, right)) return true;
  if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null) return false;
  if (Array.isArray(left) !== Array.isArray(right)) return false;
  if (Array.isArray(left) && Array.isArray(right)) return left.length === right.length && left.every((item, index) => deepEqual(item, right[index]));
  const leftKeys = Object.keys(left);
  const rightRecord = right as Record<string, unknown>;
  return leftKeys.length === Object.keys(right).length && leftKeys.every((key) => Object.hasOwn(rightRecord, key) && deepEqual((left as Record<string, unknown>)[key], rightRecord[key]));
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Equal as JSON, or as text when both are scalars (`200` equals `"200"`, as in Gatus). */
function looselyEqual(actual: unknown, expected: unknown): boolean {
  if (deepEqual(actual, expected)) return true;
  return isScalar(actual) && isScalar(expected) && String(actual) === String(expected);
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

/** Evaluates one condition against a parsed JSON body; undefined when it holds, else what was seen. */
export function evaluateJsonPathCondition(condition: JsonPathCondition, document: unknown): string | undefined {
  const lookup = lookupJsonPath(document, condition.path);
  if (condition.operator === 'exists') return lookup.found ? undefined : `missing (${lookup.why})`;
  if (condition.operator === 'notExists') return lookup.found ? `present: ${formatValue(lookup.value)}` : undefined;
  if (!lookup.found) return `missing (${lookup.why})`;
  let actual: unknown = lookup.value;
  if (condition.length) {
    const length = lengthOf(actual);
    if (length === undefined) return `${condition.path.source} is ${formatValue(actual)}, which has no length`;
    actual = length;
  }
  const seen = `got ${formatValue(actual)}`;
  switch (condition.operator) {
    case 'equals':
      return looselyEqual(actual, condition.expected) ? undefined : seen;
    case 'notEquals':
      return looselyEqual(actual, condition.expected) ? seen : undefined;
    case 'matches':
      return (condition.expected as RegExp).test(asText(actual)) ? undefined : seen;
    case 'notMatches':
      return (condition.expected as RegExp).test(asText(actual)) ? seen : undefined;
    default: {
      const number = asNumber(actual);
      if (number === undefined) return `${seen}, not a number`;
      const limit = condition.expected as number;
      const holds =
        condition.operator === 'greaterThan'
          ? number > limit
          : condition.operator === 'greaterThanOrEqual'
            ? number >= limit
            : condition.operator === 'lessThan'
              ? number < limit
              : number <= limit;
      return holds ? undefined : seen;
    }
  }
}

/** One header assertion: equal to a value, match a regex, or be present / absent. */
export interface HeaderCondition {
  /** Lower-case header name. */
  readonly name: string;
  readonly equals?: string;
  readonly matches?: RegExp;
  readonly exists?: boolean;
}

/** The value of a header as one string (repeated headers joined with `, `), or undefined. */
export function headerValue(headers: Readonly<Record<string, string | string[] | undefined>>, name: string): string | undefined {
  if (!Object.hasOwn(headers, name)) return undefined;
  const value = headers[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Evaluates a header condition; undefined when it holds, else a message that names the header and what was seen. */
export function evaluateHeaderCondition(condition: HeaderCondition, headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const value = headerValue(headers, condition.name);
  // Cookies and auth headers are secrets even when a server sends them: never quote them.
  const shown = value === undefined ? '' : isSecretKey(condition.name) ? '[redacted]' : formatValue(value, 120);
  if (condition.exists === false) return value === undefined ? undefined : `header ${condition.name}: expected no such header, got ${shown}`;
  if (value === undefined) {
    const wanted = condition.equals !== undefined ? `expected ${formatValue(condition.equals)}` : condition.matches ? `expected to match ${String(condition.matches)}` : 'expected to be present';
    return `header ${condition.name}: ${wanted}, but the response has no such header`;
  }
  if (condition.equals !== undefined && value !== condition.equals) return `header ${condition.name}: expected ${formatValue(condition.equals)}, got ${shown}`;
  if (condition.matches && !condition.matches.test(value)) return `header ${condition.name}: expected to match ${String(condition.matches)}, got ${shown}`;
  return undefined;
}
