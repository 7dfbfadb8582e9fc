import type { Tags } from './result.js';

export interface MetricOptions {
  readonly unit?: string;
  readonly tags?: Tags;
}

/**
 * How a check reports extra numbers. Gauges and counters land in the result's `metrics`;
 * histogram values feed the metrics engine (percentiles, jitter) and are summarised in the result.
 */
export interface MetricsAccumulator {
  gauge(name: string, value: number, options?: MetricOptions): void;
  counter(name: string, delta?: number, options?: MetricOptions): void;
  /** Records one sample, e.g. one ping round trip in milliseconds. */
  histogram(name: string, value: number, options?: MetricOptions): void;
}
