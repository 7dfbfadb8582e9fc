// A small JSON-aware template language for webhook bodies and headers: `{{ path.to.value }}`.
// A string that is exactly one placeholder becomes the value itself (an array, object or
// number stays one); inside longer strings values are written as text. Only string values are
// templated, never object keys, and nothing is evaluated: paths are looked up, not executed.

const placeholderPattern = /\{\{\s*([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)\s*\}\}/g;
const wholePlaceholder = /^\{\{\s*([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)\s*\}\}$/;

/** Looks up `a.b.0.c` in plain data (own properties only, so `constructor` or `__proto__` find nothing). */
export function lookupPath(context: unknown, path: string): unknown {
  let value: unknown = context;
  for (const segment of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Fills the placeholders of one string: the raw value when the string is one placeholder, else text. */
export function fillString(template: string, context: unknown): unknown {
  const whole = wholePlaceholder.exec(template);
  if (whole) return lookupPath(context, whole[1] as string) ?? null;
  return template.replace(placeholderPattern, (_match, path: string) => asText(lookupPath(context, path)));
}

/** Fills every string in a JSON template (objects and arrays are walked; keys stay as written). */
export function fillTemplate(template: unknown, context: unknown, depth = 0): unknown {
  if (depth > 32) return null;
  if (typeof template === 'string') return fillString(template, context);
  if (Array.isArray(template)) return template.map((item) => fillTemplate(item, context, depth + 1));
  if (template !== null && typeof template === 'object') {
    const output: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(template)) output[key] = fillTemplate(value, context, depth + 1);
    return output;
  }
  return template;
}

/** The placeholder paths a template uses (for validating a config before anything is sent). */
export function templatePaths(template: unknown, depth = 0): string[] {
  if (depth > 32) return [];
  if (typeof template === 'string') return [...template.matchAll(placeholderPattern)].map((match) => match[1] as string);
  if (Array.isArray(template)) return template.flatMap((item) => templatePaths(item, depth + 1));
  if (template !== null && typeof template === 'object') return Object.values(template).flatMap((value) => templatePaths(value, depth + 1));
  return [];
}
