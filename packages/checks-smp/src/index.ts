// @vigil/checks-smp public API. Explicit names only.
export { createSmpCheck, smpCheckMeta, smpCheckPlugin } from './smp-check.js';
export { smpCheckOptionsSchema } from './options.js';
export type { ParsedSmpCheckOptions, SmpCheckOptions } from './options.js';
