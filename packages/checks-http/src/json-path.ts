/**
 * A small JSON path evaluator for single values: `$.data[0].status`, `$['odd key'].items[-1]`.
 *
 * Written here rather than taken from a library: assertions need one value per path, not
 * filters or wildcards, and the common JSON path libraries evaluate filter expressions with
 * `eval`-like machinery (jsonpath-plus had CVE-2024-21534), which a monitor that reads bodies
 * from untrusted servers should not carry. This grammar has no expressions at all.
 *
 * Grammar: an optional `$`, then segments: `.name` (letters, digits, `_`, `$`, `-`), `[index]`
 * (an integer; negative counts from the end), or `['name']` / `["name"]` (backslash escapes
 * the quote or a backslash). A path without `$` is read as if it started with `$.`.
 */

/** One step of a parsed path: a property name or an array index. */
export type JsonPathSegment = { readonly kind: 'property'; readonly name: string } | { readonly kind: 'index'; readonly index: number };

/** A parsed path. `source` is the text it came from, normalised to start with `$`. */
export interface JsonPath {
  readonly source: string;
  readonly segments: readonly JsonPathSegment[];
}

/** What a path found: the value, or where the walk stopped and why. */
export type JsonPathLookup =
  | { readonly found: true; readonly value: unknown }
  | { readonly found: false; readonly missingAt: string; readonly why: string };

const namePattern = /^[A-Za-z0-9_$-]+/;
const indexPattern = /^\[\s*(-?\d+)\s*\]/;

/** Formats segments back into path text (`$.a[0]['b c']`). */
export function formatJsonPath(segments: readonly JsonPathSegment[]): string {
  let text = '$';
  for (const segment of segments) {
    if (segment.kind === 'index') text += `[${segment.index}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(segment.name)) text += `.${segment.name}`;
    else text += `['${segment.name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
  }
  return text;
}

function readQuoted(text: string, start: number): { name: string; end: number } | undefined {
  const quote = text[start];
  let name = '';
  for (let position = start + 1; position < text.length; position += 1) {
    const character = text[position] as string;
    if (character === '\\') {
      const next = text[position + 1];
      if (next === undefined) return undefined;
      name += next;
      position += 1;
    } else if (character === quote) {
      return { name, end: position + 1 };
    } else {
      name += character;
    }
  }
  return undefined;
}

/**
 * Parses a path. Throws an Error naming the position and what was expected when the text is
 * not a path (option schemas turn that into a config error).
 */
export function parseJsonPath(text: string): JsonPath {
  const trimmed = text.trim();
  if (trimmed === '') throw new Error('the JSON path is empty');
  let rest: string;
  if (trimmed.startsWith('$')) rest = trimmed.slice(1);
  else if (trimmed.startsWith('[') || trimmed.startsWith('.')) rest = trimmed;
  else rest = `.${trimmed}`;
  const segments: JsonPathSegment[] = [];
  while (rest.length > 0) {
    const at = trimmed.length - rest.length;
    if (rest.startsWith('.')) {
      const match = namePattern.exec(rest.slice(1));
      if (!match) throw new Error(`expected a property name after "." at position ${at + 1} of ${JSON.stringify(trimmed)}`);
      segments.push({ kind: 'property', name: match[0] });
      rest = rest.slice(1 + match[0].length);
      continue;
    }
    if (rest.startsWith('[')) {
      const index = indexPattern.exec(rest);
      if (index) {
        segments.push({ kind: 'index', index: Number(index[1]) });
        rest = rest.slice(index[0].length);
        continue;
      }
      const inner = rest.slice(1).trimStart();
      const quoteAt = rest.length - inner.length;
      if (inner.startsWith("'") || inner.startsWith('"')) {
        const quoted = readQuoted(rest, quoteAt);
        const closing = quoted === undefined ? -1 : rest.indexOf(']', quoted.end);
        if (quoted !== undefined && closing !== -1 && rest.slice(quoted.end, closing).trim() === '') {
          segments.push({ kind: 'property', name: quoted.name });
          rest = rest.slice(closing + 1);
          continue;
        }
      }
      throw new Error(`expected [number] or ['name'] at position ${at} of ${JSON.stringify(trimmed)}`);
    }
    throw new Error(`unexpected ${JSON.stringify(rest[0])} at position ${at} of ${JSON.stringify(trimmed)}; use .name, [0] or ['name']`);
  }
  return Object.freeze({ source: formatJsonPath(segments), segments: Object.freeze(segments) });
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Walks `path` through a parsed JSON document. Never throws. */
export function lookupJsonPath(document: unknown, path: JsonPath): JsonPathLookup {
  let current: unknown = document;
  for (let position = 0; position < path.segments.length; position += 1) {
    const segment = path.segments[position] as JsonPathSegment;
    const here = formatJsonPath(path.segments.slice(0, position));
    if (segment.kind === 'index') {
      if (!Array.isArray(current)) return { found: false, missingAt: here, why: `${here} is ${describeType(current)}, not an array` };
      const index = segment.index < 0 ? current.length + segment.index : segment.index;
      if (index < 0 || index >= current.length) {
        return { found: false, missingAt: here, why: `${here} has ${current.length} items, no index ${segment.index}` };
      }
      current = current[index];
    } else {
      if (current === null || typeof current !== 'object' || Array.isArray(current)) {
        return { found: false, missingAt: here, why: `${here} is ${describeType(current)}, not an object` };
      }
      // Own properties only: "constructor" or "__proto__" in a path must not reach prototypes.
      if (!Object.hasOwn(current, segment.name)) return { found: false, missingAt: here, why: `${here} has no property ${JSON.stringify(segment.name)}` };
      current = (current as Record<string, unknown>)[segment.name];
    }
  }
  return { found: true, value: current };
}
