// @vigil/checks-udp public API. Explicit names only.
export { createUdpCheck, udpCheckMeta, udpCheckPlugin } from './udp-check.js';
export type { UdpAnswer } from './udp-check.js';
export { decodeEscapes, maximumUdpPayloadBytes, udpCheckOptionsSchema } from './options.js';
export type { ParsedUdpCheckOptions, UdpCheckOptions } from './options.js';
