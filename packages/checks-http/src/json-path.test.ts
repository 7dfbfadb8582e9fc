import { describe, expect, it } from 'vitest';
import { formatJsonPath, lookupJsonPath, parseJsonPath } from './json-path.js';

const document = {
  data: [
    { status: 'UP', 'odd key': { "it's": 1 }, nested: [[10, 20], [30]] },
    { status: 'DOWN', value: null },
  ],
  count: 2,
  'x-request-id': 'abc',
  __proto__value: 'plain',
};

function value(path: string): unknown {
  const lookup = lookupJsonPath(document, parseJsonPath(path));
  if (!lookup.found) throw new Error(lookup.why);
  return lookup.value;
}

describe('parseJsonPath', () => {
  it('parses dotted names, indexes, negative indexes and quoted names', () => {
    expect(parseJsonPath('$.data[0].status').segments).toEqual([
      { kind: 'property', name: 'data' },
      { kind: 'index', index: 0 },
      { kind: 'property', name: 'status' },
    ]);
    expect(parseJsonPath("$['odd key'][\"it's\"]").segments).toEqual([
      { kind: 'property', name: 'odd key' },
      { kind: 'property', name: "it's" },
    ]);
    expect(parseJsonPath("$['a\\'b\\\\c']").segments).toEqual([{ kind: 'property', name: "a'b\\c" }]);
    expect(parseJsonPath('$.data[-1]').segments).toEqual([
      { kind: 'property', name: 'data' },
      { kind: 'index', index: -1 },
    ]);
    expect(parseJsonPath('$').segments).toEqual([]);
  });

  it('reads a path without $ as if it started with $. (Gatus style)', () => {
    expect(parseJsonPath('data[0].status').source).toBe('$.data[0].status');
    expect(parseJsonPath('[1]').source).toBe('$[1]');
    expect(parseJsonPath(' .count ').source).toBe('$.count');
  });

  it('normalises the source text', () => {
    expect(parseJsonPath("$['data'][ 0 ]['odd key']").source).toBe("$.data[0]['odd key']");
    expect(formatJsonPath([{ kind: 'property', name: "it's" }])).toBe("$['it\\'s']");
    expect(formatJsonPath([{ kind: 'property', name: '0abc' }])).toBe("$['0abc']");
  });

  it.each([
    ['', /empty/],
    ['$.', /property name after "\."/],
    ['$.a[', /expected \[number\] or \['name'\]/],
    ['$.a[x]', /expected \[number\] or \['name'\]/],
    ["$['unterminated]", /expected \[number\] or \['name'\]/],
    ['$.a b', /unexpected " "/],
    ['$.a[1.5]', /expected \[number\]/],
    ['$*', /unexpected "\*"/],
  ])('rejects %j', (text, message) => {
    expect(() => parseJsonPath(text)).toThrow(message);
  });
});

describe('lookupJsonPath', () => {
  it('finds values, including null, nested arrays and hyphenated names', () => {
    expect(value('$.data[0].status')).toBe('UP');
    expect(value('$.data[-1].status')).toBe('DOWN');
    expect(value('$.data[1].value')).toBeNull();
    expect(value('$.data[0].nested[0][1]')).toBe(20);
    expect(value("$.data[0]['odd key']['it\\'s']")).toBe(1);
    expect(value('$.x-request-id')).toBe('abc');
    expect(value('$')).toBe(document);
  });

  it('says where a walk stopped and why', () => {
    const missing = (path: string) => {
      const lookup = lookupJsonPath(document, parseJsonPath(path));
      if (lookup.found) throw new Error('expected a miss');
      return lookup;
    };
    expect(missing('$.data[5]')).toEqual({ found: false, missingAt: '$.data', why: '$.data has 2 items, no index 5' });
    expect(missing('$.data[-3]').why).toBe('$.data has 2 items, no index -3');
    expect(missing('$.data[0].missing').why).toBe('$.data[0] has no property "missing"');
    expect(missing('$.count.value').why).toBe('$.count is a number, not an object');
    expect(missing('$.count[0]').why).toBe('$.count is a number, not an array');
    expect(missing('$.data.status').why).toBe('$.data is an array of 2, not an object');
    expect(missing('$.data[1].value.x').why).toBe('$.data[1].value is null, not an object');
  });

  it('never walks into prototypes', () => {
    for (const path of ['$.constructor', '$.__proto__', '$.data.length', '$.toString', '$.data[0].hasOwnProperty']) {
      expect(lookupJsonPath(document, parseJsonPath(path)).found, path).toBe(false);
    }
    // A real "__proto__" key from JSON.parse is an own property and is found.
    const parsed: unknown = JSON.parse('{"__proto__": {"polluted": true}}');
    expect(lookupJsonPath(parsed, parseJsonPath("$['__proto__'].polluted"))).toEqual({ found: true, value: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
