import type { z } from 'zod';
import { VigilError } from '../errors/vigil-error.js';
import { REDACTED, isSecretKey, redactText } from '../util/redact.js';

/** Renders a zod issue path as `checks[2].options.port`. */
export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let text = prefix;
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text ? `.${String(segment)}` : String(segment);
  }
  return text;
}

function describeReceived(issue: z.core.$ZodIssue, input: unknown): string {
  let value: unknown = input;
  for (const segment of issue.path) {
    if (value === null || typeof value !== 'object') return '';
    value = (value as Record<PropertyKey, unknown>)[segment as PropertyKey];
  }
  if (value === undefined) return issue.code === 'invalid_type' ? ' (missing)' : '';
  // Never echo secrets: not a secret field's value, nor credentials inside a URL.
  if (issue.path.some((segment) => typeof segment === 'string' && isSecretKey(segment))) return `, got ${REDACTED}`;
  let shown: string;
  try {
    shown = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    shown = String(value);
  }
  shown = redactText(shown);
  if (shown.length > 60) shown = `${shown.slice(0, 57)}...`;
  return `, got ${shown}`;
}

/** One line per issue: `path: message, got value`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown, prefix = ''): string[] {
  return issues.map((issue) => {
    const path = formatPath(issue.path, prefix) || '(root)';
    const keys = issue.code === 'unrecognized_keys' ? '' : describeReceived(issue, input);
    return `${path}: ${issue.message}${keys}`;
  });
}

export interface ParseOptionsContext {
  /** The package or area, e.g. `checks-tcp`; starts the error message. */
  readonly source: string;
  /** Where the options live in a config file, e.g. `checks[3]`; prefixes every path. */
  readonly path?: string;
}

/**
 * Validates plugin or config options with a zod schema. On failure throws a `VIGIL_ERR_CONFIG`
 * VigilError whose message names every bad field and what was expected, and whose `path` is the
 * first bad field.
 */
export function parseOptions<TSchema extends z.ZodType>(schema: TSchema, input: unknown, context: ParseOptionsContext): z.output<TSchema> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  const lines = formatIssues(issues, input, context.path ?? '');
  const first = issues[0];
  throw new VigilError('VIGIL_ERR_CONFIG', `[${context.source}] invalid options: ${lines.join('; ')}`, {
    path: first ? formatPath(first.path, context.path ?? '') : context.path,
    details: { issues: lines },
    cause: parsed.error,
  });
}
