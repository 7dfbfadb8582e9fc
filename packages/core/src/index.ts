export { VigilError, describeError } from './errors/vigil-error.js';
export type { VigilErrorCode, VigilErrorOptions } from './errors/vigil-error.js';
