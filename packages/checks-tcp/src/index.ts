// @vigil/checks-tcp public API. Explicit names only.
export { createTcpCheck, tcpCheckMeta, tcpCheckPlugin } from './tcp-check.js';
export { decodeEscapes, tcpCheckOptionsSchema } from './options.js';
export type { ParsedTcpCheckOptions, TcpCheckOptions } from './options.js';
