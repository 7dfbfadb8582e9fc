// @vigil/checks-http public API. Explicit names only.
export { createHttpCheck, httpCheckMeta, httpCheckPlugin } from './http-check.js';
export { httpCheckOptionsSchema } from './options.js';
export type { HttpCheckOptions, ParsedHttpCheckOptions } from './options.js';
export {
  compileJsonPathCondition,
  evaluateJsonPathCondition,
  formatStatusRange,
  parseJsonPathCondition,
  parseStatusRange,
} from './conditions.js';
export type { JsonPathCondition, JsonPathConditionObject, JsonPathOperator, StatusRange } from './conditions.js';
export { formatJsonPath, lookupJsonPath, parseJsonPath } from './json-path.js';
export type { JsonPath, JsonPathLookup, JsonPathSegment } from './json-path.js';
