// @vigil/checks-icmp public API. Explicit names only.
export { createIcmpCheck, icmpCheckMeta, icmpCheckPlugin, roundTripStatistics } from './icmp-check.js';
export type { RoundTripStatistics } from './icmp-check.js';
export { icmpCheckOptionsSchema } from './options.js';
export type { IcmpCheckOptions, ParsedIcmpCheckOptions } from './options.js';
export { acquirePinger, describePingGroupRange, selectIcmpBackend } from './backend.js';
export type { IcmpBackendPreference, IcmpBackendSelection, PingerLease, SelectIcmpBackendOptions } from './backend.js';
export { CommandPinger, findExecutable, parseFpingCounts, parsePingOutput } from './command-pinger.js';
export { RawSocketPinger, loadRawSocketModule } from './raw-pinger.js';
export type { RawPingerOptions, RawSocket, RawSocketModule } from './raw-pinger.js';
export type { EchoSample, EchoSeriesRequest, EchoSeriesResult, IcmpBackendName, Pinger } from './pinger.js';
export { buildEchoRequest, internetChecksum, readIcmpV4, readIcmpV6 } from './packet.js';
export type { ReceivedIcmp } from './packet.js';
