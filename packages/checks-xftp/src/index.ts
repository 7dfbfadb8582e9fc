// @vigil/checks-xftp public API. Explicit names only.
export { XFTP_TEST_CHUNK_BYTES, createXftpCheck, xftpCheckMeta, xftpCheckPlugin } from './xftp-check.js';
export { xftpCheckOptionsSchema } from './options.js';
export type { ParsedXftpCheckOptions, XftpCheckOptions } from './options.js';
