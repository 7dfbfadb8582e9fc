import { VigilError } from '../errors/vigil-error.js';

/** A duration: milliseconds as a number, or a string such as `250ms`, `30s`, `5m`, `1h30m`, `2d`. */
export type DurationInput = number | string;

const unitMs: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const durationPattern = /^(?:(\d+(?:\.\d+)?)(ms|s|m|h|d|w))+$/;
const durationPart = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;

/**
 * Parses a duration into milliseconds. Throws a `VIGIL_ERR_CONFIG` VigilError naming `path`
 * when the input is not a finite, non-negative duration.
 */
export function parseDuration(input: DurationInput, path = 'duration'): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) {
      throw new VigilError('VIGIL_ERR_CONFIG', `[core] config: ${path}: expected a non-negative duration, got ${input}`, { path });
    }
    return input;
  }
  const text = input.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text);
  if (!durationPattern.test(text)) {
    throw new VigilError(
      'VIGIL_ERR_CONFIG',
      `[core] config: ${path}: expected a duration like 500ms, 30s, 5m, 1h, got ${JSON.stringify(input)}`,
      { path },
    );
  }
  let total = 0;
  for (const match of text.matchAll(durationPart)) total += Number(match[1]) * (unitMs[match[2] as string] as number);
  return total;
}

/** Formats milliseconds compactly (`1.5s`, `250ms`, `2h`), for messages and the CLI. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1) return `${ms.toFixed(3)}ms`;
  if (ms < 1_000) return `${Number(ms.toFixed(ms < 10 ? 2 : 1))}ms`;
  if (ms < 60_000) return `${Number((ms / 1_000).toFixed(2))}s`;
  if (ms < 3_600_000) return `${Number((ms / 60_000).toFixed(2))}m`;
  if (ms < 86_400_000) return `${Number((ms / 3_600_000).toFixed(2))}h`;
  return `${Number((ms / 86_400_000).toFixed(2))}d`;
}
