import { z } from 'zod';
import type { AlertRule, AlertSeriesStats } from '../contracts/alert.js';
import { parseOptions } from '../config/parse-options.js';
import { parseDuration } from '../util/duration.js';
import { createStatefulRule } from './rule-engine.js';
import { positiveAlertDurationSchema, ruleBaseShape } from './rule-options.js';

const percentileFields = { 50: 'p50', 90: 'p90', 95: 'p95', 99: 'p99', 99.9: 'p999' } as const satisfies Record<number, keyof AlertSeriesStats>;

/** Options of {@link latencyAbove}. */
export const latencyAboveOptionsSchema = z
  .strictObject({
    ...ruleBaseShape,
    /** The percentile to watch: 50, 90, 95 (default), 99 or 99.9. */
    percentile: z.union([z.literal(50), z.literal(90), z.literal(95), z.literal(99), z.literal(99.9)]).default(95),
    /** The rolling window, rounded up to whole snapshot intervals of the metrics engine; default 5m. */
    window: positiveAlertDurationSchema.default('5m'),
    /** Fire (at the rule's severity, default warning: "degraded") when the percentile exceeds this. */
    thresholdMs: z.number().positive(),
    /** Raise the severity to critical above this. */
    criticalMs: z.number().positive().optional(),
    /** Once firing, resolve only when the percentile drops below this (hysteresis); default thresholdMs. */
    recoverBelowMs: z.number().positive().optional(),
    /** Judge only windows holding at least this many timed runs; default 5. */
    minSamples: z.number().int().min(1).default(5),
    /** The metrics engine series: `duration` (run durations, default) or a check's histogram, e.g. `rtt`. */
    metric: z.string().min(1).default('duration'),
  })
  .superRefine((options, context) => {
    if (options.criticalMs !== undefined && options.criticalMs < options.thresholdMs) {
      context.addIssue({ code: 'custom', path: ['criticalMs'], message: `must be at least thresholdMs (${options.thresholdMs})` });
    }
    if (options.recoverBelowMs !== undefined && options.recoverBelowMs > options.thresholdMs) {
      context.addIssue({ code: 'custom', path: ['recoverBelowMs'], message: `must not exceed thresholdMs (${options.thresholdMs})` });
    }
  });

export type LatencyAboveOptions = z.input<typeof latencyAboveOptionsSchema>;

/**
 * Fires when a latency percentile over a rolling window (from the HDR metrics engine) exceeds
 * `thresholdMs` (severity `warning` by default: degraded), and raises it to `critical` above
 * `criticalMs`. Once firing it resolves below `recoverBelowMs`.
 */
export function latencyAbove(options: LatencyAboveOptions): AlertRule {
  const parsed = parseOptions(latencyAboveOptionsSchema, options, { source: 'core', path: 'latencyAbove' });
  const windowMs = parseDuration(parsed.window);
  const field = percentileFields[parsed.percentile];
  const label = `p${String(parsed.percentile).replace('.', '')}`;
  return createStatefulRule({
    type: 'latencyAbove',
    id: parsed.id ?? `latency-${label}-above-${parsed.thresholdMs}ms`,
    options: parsed,
    defaultSeverity: 'warning',
    defaultFireAfter: 1,
    defaultResolveAfter: 1,
    evaluate(record, context, series) {
      const stats = context.seriesStats(record.checkId, parsed.metric, windowMs);
      if (!stats || !(stats.sampleCount >= parsed.minSamples)) return [];
      const value = stats[field];
      if (!Number.isFinite(value)) return [];
      const firing = series.isFiring(record.checkId);
      const breaching = firing ? value >= (parsed.recoverBelowMs ?? parsed.thresholdMs) : value > parsed.thresholdMs;
      const critical = parsed.criticalMs !== undefined && value > parsed.criticalMs;
      const limit = critical ? (parsed.criticalMs as number) : parsed.thresholdMs;
      const rounded = Math.round(value * 10) / 10;
      return [
        {
          breaching,
          ...(critical ? { severity: 'critical' as const } : {}),
          values: { [label]: value, thresholdMs: parsed.thresholdMs, ...(parsed.criticalMs === undefined ? {} : { criticalMs: parsed.criticalMs }), samples: stats.sampleCount },
          detail: `${parsed.metric} ${label} ${rounded} ms ${breaching ? `> ${limit}` : `<= ${firing && parsed.recoverBelowMs !== undefined ? parsed.recoverBelowMs : parsed.thresholdMs}`} ms over ${parsed.window} (${stats.sampleCount} samples)`,
        },
      ];
    },
  });
}
