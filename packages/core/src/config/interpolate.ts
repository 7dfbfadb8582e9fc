import { VigilError } from '../errors/vigil-error.js';
import { isSecretKey } from '../util/redact.js';
import { formatPath } from './parse-options.js';

export interface InterpolationResult<T> {
  readonly value: T;
  /** Values substituted for variables or held by secret-named fields: scrub them from logs. */
  readonly secrets: string[];
}

const variablePattern = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${NAME}` (and `${NAME:-default}`) in every string of a parsed config with values from
 * `env`; `$$` is a literal `$`. A variable that is unset and has no default fails with
 * `VIGIL_ERR_CONFIG_ENV` naming the variable and the field.
 */
export function interpolateEnv<T>(input: T, env: Readonly<Record<string, string | undefined>>): InterpolationResult<T> {
  const secrets: string[] = [];
  const visit = (value: unknown, path: PropertyKey[]): unknown => {
    if (typeof value === 'string') {
      const substituted = value.replace(variablePattern, (match, name: string | undefined, fallback: string | undefined) => {
        if (match === '$$') return '$';
        const resolved = env[name as string] ?? fallback;
        if (resolved === undefined) {
          const where = formatPath(path) || '(root)';
          throw new VigilError('VIGIL_ERR_CONFIG_ENV', `[core] config: ${where}: environment variable ${name} is not set`, {
            path: where,
            details: { variable: name },
          });
        }
        if (env[name as string] !== undefined && resolved.length > 0) secrets.push(resolved);
        return resolved;
      });
      const key = path.at(-1);
      if (typeof key === 'string' && isSecretKey(key) && substituted.length > 0) secrets.push(substituted);
      return substituted;
    }
    if (Array.isArray(value)) return value.map((item, index) => visit(item, [...path, index]));
    if (value !== null && typeof value === 'object') {
      const output: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) output[key] = visit(item, [...path, key]);
      return output;
    }
    return value;
  };
  const value = visit(input, []) as T;
  return { value, secrets: [...new Set(secrets)] };
}
