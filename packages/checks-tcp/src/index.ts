// @vigil/checks-tcp public API. Explicit names only.
export { createTcpCheck, tcpCheckMeta, tcpCheckPlugin } from './tcp-check.js';
export { tcpCheckOptionsSchema } from './options.js';
// Part of this package's API since its first release; the function now lives in the core.
export { decodeEscapes } from '@vigil/core';
export type { ParsedTcpCheckOptions, TcpCheckOptions } from './options.js';
