// @vigil/sinks-prometheus public API. Explicit names only.
export { createPrometheusSink, prometheusSinkPlugin } from './prometheus-sink.js';
export type { PrometheusSink, PrometheusSinkAddress } from './prometheus-sink.js';
export { defaultHistogramBuckets, prometheusSinkOptionsSchema } from './options.js';
export type { PrometheusSinkOptions, PrometheusSinkSettings } from './options.js';
export {
  OPENMETRICS_CONTENT_TYPE,
  TEXT_CONTENT_TYPE,
  escapeLabelValue,
  formatBound,
  formatValue,
  negotiateFormat,
  renderExposition,
  renderSamples,
  sanitizeName,
} from './exposition.js';
export type { ExpositionFormat, MetricFamily, MetricType, Sample } from './exposition.js';
