import { z } from 'zod';
import { parseDuration } from '@vigil/core';
import type { Clock } from '@vigil/core';

/** Default histogram buckets in seconds: 0.5 ms to 60 s, 1-2.5-5 steps. */
export const defaultHistogramBuckets: readonly number[] = Object.freeze([
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
]);

const durationSchema = z.union([z.number().positive(), z.string().min(1)]).transform((value, context) => {
  try {
    return parseDuration(value);
  } catch {
    context.addIssue({ code: 'custom', message: 'expected a duration like 30s, 5m or a number of milliseconds' });
    return z.NEVER;
  }
});

export const prometheusSinkOptionsSchema = z.strictObject({
  /** Address to listen on. Loopback by default: exposing it is a deliberate choice. */
  host: z.string().min(1).default('127.0.0.1'),
  /** Port; 0 picks a free one (see `address()`). 9464 is also the OpenTelemetry Prometheus exporter's default. */
  port: z.number().int().min(0).max(65_535).default(9464),
  /** Path of the metrics endpoint. */
  path: z.string().regex(/^\/[^?#\s]*$/, 'expected a path starting with /').default('/metrics'),
  /** Prefix of every metric name. */
  namespace: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'expected a metric name prefix (letters, digits, _)').default('vigil'),
  /** Upper bounds (seconds) of the duration histogram's buckets; +Inf is added. */
  histogramBuckets: z
    .array(z.number().positive().finite())
    .min(1)
    .refine((buckets) => buckets.every((bound, index) => index === 0 || bound > (buckets[index - 1] as number)), 'expected strictly increasing bounds')
    .default([...defaultHistogramBuckets]),
  /** Quantiles of the summaries, computed from the HDR histograms over `summaryWindow`. */
  quantiles: z.array(z.number().gt(0).lt(1)).min(1).default([0.5, 0.9, 0.95, 0.99, 0.999]),
  /** The rolling window of the summaries' quantiles, moving in steps of a fifth of it (their `_sum` and `_count` are cumulative). */
  summaryWindow: durationSchema.default(300_000).refine((ms) => ms >= 10_000, 'expected at least 10s'),
  /** Record types used: results (check metrics) and alerts (alert state). */
  accepts: z.array(z.enum(['result', 'alert'])).min(1).default(['result', 'alert']),
  /** For tests: the clock of the summaries' rolling window. */
  clock: z.custom<Clock>((value) => typeof value === 'object' && value !== null && typeof (value as Clock).now === 'function').optional(),
});

export type PrometheusSinkOptions = z.input<typeof prometheusSinkOptionsSchema>;
export type PrometheusSinkSettings = z.output<typeof prometheusSinkOptionsSchema>;
