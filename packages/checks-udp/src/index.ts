// @vigil/checks-udp public API. Explicit names only.
export { createUdpCheck, udpCheckMeta, udpCheckPlugin } from './udp-check.js';
export type { UdpAnswer } from './udp-check.js';
export { maximumUdpPayloadBytes, udpCheckOptionsSchema } from './options.js';
// Part of this package's API since its first release; the function now lives in the core.
export { decodeEscapes } from '@vigil/core';
export type { ParsedUdpCheckOptions, UdpCheckOptions } from './options.js';
