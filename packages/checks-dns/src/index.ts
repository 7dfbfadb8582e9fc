// @vigil/checks-dns public API. Explicit names only.
export { createDnsCheck, dnsCheckMeta, dnsCheckPlugin } from './dns-check.js';
export { dnsCheckOptionsSchema, parseServerAddress, queryName, reverseName } from './options.js';
export type { DnsCheckOptions, ParsedDnsCheckOptions } from './options.js';
export { exchangeTcp, exchangeUdp } from './exchange.js';
export type { DnsExchangeOptions, DnsExchangeOutcome, DnsServerAddress } from './exchange.js';
export { parseResolvConf, readSystemResolvers, resolvConfPath } from './system-resolver.js';
export {
  DnsProtocolError,
  describeResponseCode,
  dnsRecordTypes,
  dnsResponseCodes,
  encodeName,
  encodeQuery,
  formatIpv6,
  parseMessage,
  recordTypeName,
  responseCodeName,
  sameName,
} from './wire.js';
export type { DnsFlags, DnsMessage, DnsQuestion, DnsRecord, DnsRecordType, DnsResponseCodeName, EncodeQueryOptions } from './wire.js';
