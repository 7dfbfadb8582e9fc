import { describe, expect, it } from 'vitest';
import {
  compileJsonPathCondition,
  evaluateHeaderCondition,
  evaluateJsonPathCondition,
  formatStatusRange,
  headerValue,
  parseJsonPathCondition,
  parseStatusRange,
} from './conditions.js';

const document = {
  status: 'UP',
  code: 200,
  ratio: '0.75',
  healthy: true,
  version: '2.4.1',
  items: [1, 2, 3],
  owner: { name: 'ops', tags: {} },
  nothing: null,
};

function check(expression: string): string | undefined {
  return evaluateJsonPathCondition(parseJsonPathCondition(expression), document);
}

describe('status ranges', () => {
  it.each([
    [200, { min: 200, max: 200 }, '200'],
    ['404', { min: 404, max: 404 }, '404'],
    ['2xx', { min: 200, max: 299 }, '2xx'],
    ['5XX', { min: 500, max: 599 }, '5xx'],
    ['200-204', { min: 200, max: 204 }, '200-204'],
    [' 300 - 399 ', { min: 300, max: 399 }, '3xx'],
  ])('parses %j', (input, range, text) => {
    const parsed = parseStatusRange(input);
    expect(parsed).toEqual(range);
    expect(formatStatusRange(parsed as NonNullable<typeof parsed>)).toBe(text);
  });

  it.each([99, 600, 200.5, '6xx', '2x', '204-200', 'ok', ''])('rejects %j', (input) => {
    expect(parseStatusRange(input)).toBeUndefined();
  });
});

describe('JSON path condition expressions', () => {
  it('parse into operator, operand and a normalised text', () => {
    expect(parseJsonPathCondition('$.status == UP')).toMatchObject({ operator: 'equals', expected: 'UP', length: false, text: '$.status == "UP"' });
    expect(parseJsonPathCondition('status=UP')).toMatchObject({ operator: 'equals', expected: 'UP', text: '$.status == "UP"' });
    expect(parseJsonPathCondition('$.code != 500')).toMatchObject({ operator: 'notEquals', expected: 500 });
    expect(parseJsonPathCondition('$.code >= 200')).toMatchObject({ operator: 'greaterThanOrEqual', expected: 200 });
    expect(parseJsonPathCondition('len($.items) > 0')).toMatchObject({ operator: 'greaterThan', expected: 0, length: true, text: 'len($.items) > 0' });
    expect(parseJsonPathCondition('$.version =~ ^2\\.')).toMatchObject({ operator: 'matches', text: '$.version =~ /^2\\./' });
    expect(parseJsonPathCondition('$.version =~ "^2"')).toMatchObject({ operator: 'matches', text: '$.version =~ /^2/' });
    expect(parseJsonPathCondition('$.owner')).toMatchObject({ operator: 'exists', text: '$.owner' });
    expect(parseJsonPathCondition('!$.error')).toMatchObject({ operator: 'notExists', text: '!$.error' });
    expect(parseJsonPathCondition('$.tags == ["a","b"]')).toMatchObject({ operator: 'equals', expected: ['a', 'b'] });
    expect(parseJsonPathCondition('$.name == "a == b"')).toMatchObject({ operator: 'equals', expected: 'a == b' });
  });

  it('find the operator outside brackets and quotes', () => {
    expect(parseJsonPathCondition("$['a == b'] == 1")).toMatchObject({ operator: 'equals', expected: 1, text: "$['a == b'] == 1" });
    expect(parseJsonPathCondition('$["x>y"] > 2')).toMatchObject({ operator: 'greaterThan', expected: 2 });
  });

  it.each([
    ['== 1', /expected a JSON path before the operator/],
    ['$.a ==', /expected a value after ==/],
    ['$.a > high', /> needs a number, got "high"/],
    ['len($.a)', /len\(\.\.\.\) needs a comparison/],
    ['$.a =~ (', /not a valid regular expression/],
    ['$.a[ == 1', /expected \[number\]/],
  ])('reject %j', (expression, message) => {
    expect(() => parseJsonPathCondition(expression)).toThrow(message);
  });

  it('compile the object form with one comparison at most', () => {
    expect(compileJsonPathCondition({ path: '$.code', equals: 200 })).toMatchObject({ operator: 'equals', expected: 200 });
    expect(compileJsonPathCondition({ path: '$.error', exists: false })).toMatchObject({ operator: 'notExists' });
    expect(compileJsonPathCondition({ path: '$.owner' })).toMatchObject({ operator: 'exists' });
    expect(compileJsonPathCondition({ path: '$.items', length: true, lessThanOrEqual: 3 })).toMatchObject({ operator: 'lessThanOrEqual', length: true });
    expect(compileJsonPathCondition({ path: '$.version', notMatches: '^1\\.' }).text).toBe('$.version !~ /^1\\./');
    expect(() => compileJsonPathCondition({ path: '$.a', equals: 1, lessThan: 2 })).toThrow(/one comparison per condition, got equals and lessThan/);
    expect(() => compileJsonPathCondition({ path: '$.a', length: true })).toThrow(/length needs a comparison/);
  });
});

describe('evaluating JSON path conditions', () => {
  it.each([
    '$.status == UP',
    '$.status == "UP"',
    '$.code == 200',
    '$.code == "200"',
    '$.healthy == true',
    '$.healthy == "true"',
    '$.nothing == null',
    '$.items == [1,2,3]',
    '$.owner == {"tags":{},"name":"ops"}',
    '$.status != DOWN',
    '$.code > 199',
    '$.code <= 200',
    '$.ratio < 1',
    '$.ratio >= 0.75',
    'len($.items) == 3',
    'len($.status) == 2',
    'len($.owner) == 2',
    '$.version =~ ^2\\.4',
    '$.code =~ ^2\\d\\d$',
    '$.version !~ ^1\\.',
    '$.nothing',
    '!$.error',
  ])('%s holds', (expression) => {
    expect(check(expression)).toBeUndefined();
  });

  it.each([
    ['$.status == DOWN', 'got "UP"'],
    ['$.code == 201', 'got 200'],
    ['$.items == [1,2]', 'got [1,2,3]'],
    ['$.status != UP', 'got "UP"'],
    ['$.code > 200', 'got 200'],
    ['$.status > 1', 'got "UP", not a number'],
    ['len($.items) > 3', 'got 3'],
    ['len($.code) > 0', '$.code is 200, which has no length'],
    ['$.version =~ ^3', 'got "2.4.1"'],
    ['$.missing == 1', 'missing ($ has no property "missing")'],
    ['$.owner.name.first == x', 'missing ($.owner.name is a string, not an object)'],
    ['$.error', 'missing ($ has no property "error")'],
    ['!$.owner', 'present: {"name":"ops","tags":{}}'],
  ])('%s fails with %j', (expression, seen) => {
    expect(check(expression)).toBe(seen);
  });

  it('shortens long values it quotes', () => {
    const seen = evaluateJsonPathCondition(parseJsonPathCondition('$.text == short'), { text: 'x'.repeat(500) });
    expect(seen?.length).toBeLessThan(100);
    expect(seen).toMatch(/\.\.\.$/);
  });
});

describe('header conditions', () => {
  const headers = { 'content-type': 'application/json', vary: ['accept', 'origin'], 'set-cookie': ['a=secret-1', 'b=secret-2'] };

  it('join repeated headers and ignore prototype names', () => {
    expect(headerValue(headers, 'vary')).toBe('accept, origin');
    expect(headerValue(headers, 'constructor')).toBeUndefined();
  });

  it('evaluate equality, patterns, presence and absence', () => {
    expect(evaluateHeaderCondition({ name: 'content-type', equals: 'application/json' }, headers)).toBeUndefined();
    expect(evaluateHeaderCondition({ name: 'vary', matches: /origin/ }, headers)).toBeUndefined();
    expect(evaluateHeaderCondition({ name: 'x-none', exists: false }, headers)).toBeUndefined();
    expect(evaluateHeaderCondition({ name: 'content-type', equals: 'text/html' }, headers)).toBe('header content-type: expected "text/html", got "application/json"');
    expect(evaluateHeaderCondition({ name: 'vary', exists: false }, headers)).toBe('header vary: expected no such header, got "accept, origin"');
    expect(evaluateHeaderCondition({ name: 'x-none', matches: /a/ }, headers)).toBe('header x-none: expected to match /a/, but the response has no such header');
    expect(evaluateHeaderCondition({ name: 'set-cookie', matches: /^lang/ }, headers)).toBe('header set-cookie: expected to match /^lang/, got [redacted]');
  });
});
