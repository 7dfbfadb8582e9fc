/*
 * InfluxDB line protocol: `measurement[,tag=value...] field=value[,field=value...] [timestamp]`.
 *
 * Escaping, as InfluxDB 1.x and 2.x (OSS, the same Go parser) read it — each rule below was
 * checked against influxd 1.6 (see line-protocol.fuzz.test.ts, which round-trips random strings
 * through it):
 * - measurement: comma and space are escaped with a backslash;
 * - tag keys, tag values, field keys: comma, equals sign and space are escaped; field keys also
 *   escape the double quote (the parser unescapes `\"` there, not in tags);
 * - a backslash is literal except before those characters, so it is written as is; but the
 *   line scanner pairs backslashes (`\\` plus any character) while the tag parser looks only at
 *   the preceding character, so an odd run of backslashes before an escaped character (or at the
 *   end) gets one more backslash, which keeps both readings the same (otherwise a string field
 *   holding a newline can split the line);
 * - string field values: backslash and double quote are escaped; newlines are allowed;
 * - integers end in `i`, booleans are `true`/`false`, floats are plain decimal or exponent form.
 * What line protocol cannot carry is normalised, never rejected:
 * - a newline in a measurement, tag or field key, or tag value becomes the two characters `\n`;
 * - a key or value ending in a backslash is invalid to the parser: the run is made even (above)
 *   and an escaped space appended, so `C:\` is stored as `C:\\ ` (a backslash before a comma,
 *   equals sign or space reads back doubled too: `a\,b` as `a\\,b`);
 * - empty tag keys or values are left out (the parser rejects them), as are fields that are not
 *   finite numbers (NaN, Infinity).
 */

/** Timestamp precision of a write (the `precision` query parameter). */
export type LineProtocolPrecision = 'ns' | 'us' | 'ms' | 's';

/** An integer field (written with the `i` suffix); plain numbers are written as floats. */
export interface IntegerField {
  readonly integer: number | bigint;
}

export type LineFieldValue = number | boolean | string | IntegerField;

/** One point, before encoding. */
export interface LinePoint {
  readonly measurement: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, LineFieldValue | undefined>>;
  /** Epoch milliseconds (fractions kept for `us`/`ns`); omitted: the server's time. */
  readonly timestamp?: number;
}

/** Marks `value` as an integer field. */
export function integerField(value: number | bigint): IntegerField {
  return { integer: value };
}

const measurementSpecial = /[, \n\\]/;
const tagSpecial = /[,= \n\\]/;
const fieldKeySpecial = /[,= "\n\\]/;
const stringSpecial = /["\\]/;

/** Escapes a measurement name (commas, spaces; see the module comment for newlines). */
export function escapeMeasurement(name: string): string {
  if (!measurementSpecial.test(name)) return name;
  const escaped = name.replace(/[, ]/g, '\\$&').replace(/\n/g, '\\n');
  // The parser rejects a name that ends in a backslash; an escaped space keeps it valid.
  return escaped.endsWith('\\') ? `${escaped}\\ ` : escaped;
}

/**
 * Escapes a key or value: `\` before each of `escapable`, newlines as `\n`. Backslash runs of
 * odd length before an escaped character, or at the end, get one more backslash, because the
 * parser's line scanner pairs backslashes; and a trailing backslash gets an escaped space.
 */
function escapeKey(text: string, escapable: string): string {
  let escaped = '';
  // Backslashes just written, as the scanner would pair them.
  let run = 0;
  for (const character of text) {
    if (character === '\\') {
      escaped += character;
      run += 1;
    } else if (escapable.includes(character)) {
      escaped += `${run % 2 === 1 ? '\\' : ''}\\${character}`;
      run = 0;
    } else {
      escaped += character === '\n' ? '\\n' : character;
      run = 0;
    }
  }
  return run > 0 ? `${escaped}${run % 2 === 1 ? '\\' : ''}\\ ` : escaped;
}

/** Escapes a tag key or tag value (commas, equals signs, spaces; see the module comment). */
export function escapeTag(text: string): string {
  return tagSpecial.test(text) ? escapeKey(text, ',= ') : text;
}

/** Escapes a field key (commas, equals signs, spaces, double quotes; see the module comment). */
export function escapeFieldKey(key: string): string {
  return fieldKeySpecial.test(key) ? escapeKey(key, ',= "') : key;
}

/** Quotes a string field value (escaping backslashes and double quotes). */
export function quoteString(value: string): string {
  if (!stringSpecial.test(value)) return `"${value}"`;
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

/** What a measurement name reads back as after {@link escapeMeasurement} (newlines, a trailing backslash). */
export function normalizedMeasurement(name: string): string {
  const replaced = name.replace(/\n/g, '\\n');
  return replaced.endsWith('\\') ? `${replaced} ` : replaced;
}

function normalized(text: string, escapable: RegExp): string {
  // An odd backslash run before an escaped character or the end gains a backslash (see escapeKey).
  let result = '';
  let index = 0;
  while (index < text.length) {
    const character = text[index] as string;
    if (character !== '\\') {
      result += character === '\n' ? '\\n' : character;
      index += 1;
      continue;
    }
    let end = index;
    while (text[end] === '\\') end += 1;
    const run = end - index;
    const next = text[end];
    result += '\\'.repeat(run) + (run % 2 === 1 && (next === undefined || escapable.test(next)) ? '\\' : '');
    index = end;
  }
  return result.endsWith('\\') ? `${result} ` : result;
}

/** What a tag key or value reads back as after {@link escapeTag}: the normalisation rules. */
export function normalizedTag(text: string): string {
  return normalized(text, /[,= ]/);
}

/** What a field key reads back as after {@link escapeFieldKey}. */
export function normalizedFieldKey(key: string): string {
  return normalized(key, /[,= "]/);
}

/** The field value's text, or undefined when it cannot be written (NaN, Infinity, unsafe integers). */
export function formatFieldValue(value: LineFieldValue): string | undefined {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? String(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return quoteString(value);
    default: {
      const integer = value.integer;
      if (typeof integer === 'bigint') return integer >= -(2n ** 63n) && integer < 2n ** 63n ? `${integer}i` : undefined;
      return Number.isFinite(integer) ? `${Math.trunc(integer)}i` : undefined;
    }
  }
}

/** Epoch milliseconds as an integer in `precision` (text, since nanoseconds exceed 2^53). */
export function formatTimestamp(epochMs: number, precision: LineProtocolPrecision): string {
  switch (precision) {
    case 'ms':
      return String(Math.round(epochMs));
    case 's':
      return String(Math.floor(epochMs / 1_000));
    case 'us':
      return String(Math.round(epochMs * 1_000));
    case 'ns': {
      const micros = Math.round(epochMs * 1_000);
      return micros === 0 ? '0' : `${micros}000`;
    }
  }
}

/** Appends `,key=value` for each tag with a non-empty key and value, sorted by key (InfluxDB's preferred order). */
export function encodeTags(tags: Readonly<Record<string, string>>): string {
  const keys = Object.keys(tags).sort();
  let text = '';
  for (const key of keys) {
    const value = tags[key];
    if (key === '' || value === undefined || value === '') continue;
    text += `,${escapeTag(key)}=${escapeTag(value)}`;
  }
  return text;
}

/** Encodes `fields`; undefined when none can be written (a point needs one field). */
export function encodeFields(fields: Readonly<Record<string, LineFieldValue | undefined>>): string | undefined {
  let text = '';
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (key === '' || value === undefined) continue;
    const formatted = formatFieldValue(value);
    if (formatted === undefined) continue;
    text += `${text === '' ? '' : ','}${escapeFieldKey(key)}=${formatted}`;
  }
  return text === '' ? undefined : text;
}

/** Encodes one point as a line (no trailing newline); undefined when it has no writable field. */
export function encodePoint(point: LinePoint, precision: LineProtocolPrecision = 'ms'): string | undefined {
  const fields = encodeFields(point.fields);
  if (fields === undefined) return undefined;
  const head = `${escapeMeasurement(point.measurement)}${point.tags ? encodeTags(point.tags) : ''} ${fields}`;
  return point.timestamp === undefined ? head : `${head} ${formatTimestamp(point.timestamp, precision)}`;
}
