import type { CheckResult, MetricEntry } from '../contracts/result.js';
import { checkStatuses, isReasonCode } from '../contracts/result.js';

const statusSet: ReadonlySet<string> = new Set(checkStatuses);

/** Returns why `value` is not a valid {@link CheckResult}, or undefined when it is. */
export function findResultProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return `expected an object, got ${value === null ? 'null' : typeof value}`;
  const result = value as Record<string, unknown>;
  if (typeof result.status !== 'string' || !statusSet.has(result.status)) return `status must be one of ${checkStatuses.join(', ')}, got ${JSON.stringify(result.status)}`;
  if (!isReasonCode(result.reason)) return `reason must be a known reason code, got ${JSON.stringify(result.reason)}`;
  if (result.durationMs !== undefined && (typeof result.durationMs !== 'number' || !Number.isFinite(result.durationMs) || result.durationMs < 0)) {
    return `durationMs must be a non-negative number, got ${String(result.durationMs)}`;
  }
  if (result.message !== undefined && typeof result.message !== 'string') return 'message must be a string';
  if (result.phases !== undefined) {
    if (result.phases === null || typeof result.phases !== 'object') return 'phases must be an object of numbers';
    for (const [name, timing] of Object.entries(result.phases)) {
      if (typeof timing !== 'number' || !Number.isFinite(timing) || timing < 0) return `phases.${name} must be a non-negative number`;
    }
  }
  if (result.metrics !== undefined) {
    if (!Array.isArray(result.metrics)) return 'metrics must be an array';
    for (const [index, entry] of (result.metrics as unknown[]).entries()) {
      const metric = entry as Partial<MetricEntry> | null;
      if (!metric || typeof metric.name !== 'string' || !['gauge', 'counter', 'histogram'].includes(String(metric.type))) {
        return `metrics[${index}] must have a name and a type of gauge, counter or histogram`;
      }
    }
  }
  if (result.details !== undefined) {
    if (result.details === null || typeof result.details !== 'object' || Array.isArray(result.details)) return 'details must be a plain object';
    try {
      JSON.stringify(result.details);
    } catch (error) {
      return `details must be JSON-serialisable (${(error as Error).message})`;
    }
  }
  return undefined;
}

/** True when `value` is a valid {@link CheckResult}. */
export function isCheckResult(value: unknown): value is CheckResult {
  return findResultProblem(value) === undefined;
}
