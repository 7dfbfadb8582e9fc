import { createDialer, createRunHistogram, silentLogger, systemClock } from '@vigil/core';
import type { CheckContext, Clock, Dialer, Logger, MetricOptions, Tags } from '@vigil/core';

export interface TestCheckContextOptions {
  readonly timeoutMs?: number;
  /** Use this signal instead of arming a timeout. */
  readonly signal?: AbortSignal;
  readonly dialer?: Dialer;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly checkId?: string;
  readonly tags?: Tags;
}

export interface RecordedMetric {
  readonly type: 'gauge' | 'counter' | 'histogram';
  readonly name: string;
  readonly value: number;
  readonly options?: MetricOptions;
}

/** A context for calling `check.run()` directly in tests; records what the check reports. */
export function createTestCheckContext(options: TestCheckContextOptions = {}): CheckContext & { readonly recorded: RecordedMetric[] } {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const signal = options.signal ?? AbortSignal.timeout(timeoutMs);
  const recorded: RecordedMetric[] = [];
  const histograms = new Map<string, ReturnType<typeof createRunHistogram>>();
  return {
    checkId: options.checkId ?? 'test-check',
    tags: options.tags ?? {},
    signal,
    timeoutMs,
    attempt: 1,
    dialer: options.dialer ?? createDialer(),
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
    recorded,
    metrics: {
      gauge: (name, value, metricOptions) => void recorded.push({ type: 'gauge', name, value, options: metricOptions }),
      counter: (name, value = 1, metricOptions) => void recorded.push({ type: 'counter', name, value, options: metricOptions }),
      histogram: (name, value, metricOptions) => {
        recorded.push({ type: 'histogram', name, value, options: metricOptions });
        let histogram = histograms.get(name);
        if (!histogram) {
          histogram = createRunHistogram(name, metricOptions?.unit ?? 'ms');
          histograms.set(name, histogram);
        }
        histogram.record(value);
      },
    },
  };
}
