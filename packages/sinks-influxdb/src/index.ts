// @vigil/sinks-influxdb public API. Explicit names only.
export { createInfluxdbSink, influxdbSinkPlugin, parseRetryAfter } from './influxdb-sink.js';
export { influxdbSinkOptionsSchema } from './options.js';
export type { InfluxdbSinkOptions, InfluxdbSinkSettings } from './options.js';
export {
  encodeFields,
  encodePoint,
  encodeTags,
  escapeFieldKey,
  escapeMeasurement,
  escapeTag,
  formatFieldValue,
  formatTimestamp,
  integerField,
  normalizedFieldKey,
  normalizedMeasurement,
  normalizedTag,
  quoteString,
} from './line-protocol.js';
export type { IntegerField, LineFieldValue, LinePoint, LineProtocolPrecision } from './line-protocol.js';
export { createPointEncoder, encodeBatch, recordLines } from './points.js';
export type { EncodedBatch, PointEncoder, PointSettings } from './points.js';
