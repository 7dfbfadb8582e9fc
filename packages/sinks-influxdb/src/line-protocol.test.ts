import { describe, expect, it } from 'vitest';
import {
  encodePoint,
  escapeFieldKey,
  escapeMeasurement,
  escapeTag,
  formatFieldValue,
  formatTimestamp,
  integerField,
  normalizedFieldKey,
  normalizedTag,
  quoteString,
} from './line-protocol.js';

describe('line protocol escaping', () => {
  it('escapes commas and spaces in measurements', () => {
    expect(escapeMeasurement('vigil_result')).toBe('vigil_result');
    expect(escapeMeasurement('my measurement,v2')).toBe('my\\ measurement\\,v2');
    expect(escapeMeasurement('a=b"c')).toBe('a=b"c');
    expect(escapeMeasurement('two\nlines')).toBe('two\\nlines');
  });

  it('escapes commas, equals signs and spaces in tag keys and values, leaving quotes alone', () => {
    expect(escapeTag('plain')).toBe('plain');
    expect(escapeTag('eu=1,"west" a')).toBe('eu\\=1\\,"west"\\ a');
    expect(escapeTag('C:\\dir\\file')).toBe('C:\\dir\\file');
  });

  it('also escapes double quotes in field keys', () => {
    expect(escapeFieldKey('phase_connect_ms')).toBe('phase_connect_ms');
    expect(escapeFieldKey('say "hi", a=b')).toBe('say\\ \\"hi\\"\\,\\ a\\=b');
  });

  it('keeps backslash runs even before an escaped character and never ends a key with a backslash', () => {
    // One backslash before a comma: the scanner would pair it with the escape's backslash.
    expect(escapeTag('a\\,b')).toBe('a\\\\\\,b');
    expect(normalizedTag('a\\,b')).toBe('a\\\\,b');
    // Two are already a pair.
    expect(escapeTag('a\\\\,b')).toBe('a\\\\\\,b');
    expect(normalizedTag('a\\\\,b')).toBe('a\\\\,b');
    // A trailing backslash: made even, then an escaped space.
    expect(escapeTag('C:\\')).toBe('C:\\\\\\ ');
    expect(normalizedTag('C:\\')).toBe('C:\\\\ ');
    expect(escapeFieldKey('key\\"')).toBe('key\\\\\\"');
    expect(normalizedFieldKey('key\\"')).toBe('key\\\\"');
    // A quote is not special in tags, so a backslash before it stays single.
    expect(normalizedTag('x\\"')).toBe('x\\"');
  });

  it('quotes string fields, escaping backslashes and quotes and keeping newlines', () => {
    expect(quoteString('ok')).toBe('"ok"');
    expect(quoteString('say "hi"\\now\nnext')).toBe('"say \\"hi\\"\\\\now\nnext"');
  });

  it('formats integers with i, booleans, floats, and skips what cannot be written', () => {
    expect(formatFieldValue(integerField(42))).toBe('42i');
    expect(formatFieldValue(integerField(-7.9))).toBe('-7i');
    expect(formatFieldValue(integerField(9_223_372_036_854_775_807n))).toBe('9223372036854775807i');
    expect(formatFieldValue(integerField(2n ** 63n))).toBeUndefined();
    expect(formatFieldValue(true)).toBe('true');
    expect(formatFieldValue(false)).toBe('false');
    expect(formatFieldValue(1.5)).toBe('1.5');
    expect(formatFieldValue(1e-7)).toBe('1e-7');
    expect(formatFieldValue(Number.NaN)).toBeUndefined();
    expect(formatFieldValue(Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it('formats timestamps in every precision without losing nanosecond digits', () => {
    const ms = Date.UTC(2026, 0, 1, 0, 0, 0, 123);
    expect(formatTimestamp(ms, 'ms')).toBe('1767225600123');
    expect(formatTimestamp(ms, 's')).toBe('1767225600');
    expect(formatTimestamp(ms, 'us')).toBe('1767225600123000');
    expect(formatTimestamp(ms, 'ns')).toBe('1767225600123000000');
    expect(formatTimestamp(ms + 0.0015, 'us')).toBe('1767225600123002');
    expect(formatTimestamp(0, 'ns')).toBe('0');
  });

  it('encodes a point with sorted tags, leaving out empty tags and unwritable fields', () => {
    const line = encodePoint(
      { measurement: 'm', tags: { zone: 'b', app: 'a', empty: '', '': 'x' }, fields: { value: 1, skipped: Number.NaN, text: 'hi', count: integerField(3), gone: undefined }, timestamp: 1_000 },
      's',
    );
    expect(line).toBe('m,app=a,zone=b value=1,text="hi",count=3i 1');
    expect(encodePoint({ measurement: 'm', fields: { only: Number.NaN } })).toBeUndefined();
    expect(encodePoint({ measurement: 'm', fields: { value: 1 } })).toBe('m value=1');
  });
});
