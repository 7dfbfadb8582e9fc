// Option pieces and helpers shared by the check plugins. Explicit names only.
export { decodeEscapes, decodePayload } from './escapes.js';
export type { PayloadOptions } from './escapes.js';
export {
  addressFamilySchema,
  defaultCertificateExpiryThresholds,
  dialOptionsShape,
  proxyUrlSchema,
  escapedTextSchema,
  hexBytesSchema,
  hostSchema,
  portSchema,
  proxyFromOptions,
  randomCredentialsNeedProxyRule,
  regexOptionSchema,
  sendOrSendHexRule,
  tlsOptionsRules,
  tlsOptionsShape,
} from './options.js';
export type { ParsedProxyOptions } from './options.js';
export { parseRedactedOptions } from './parse-check-options.js';
export { resolveHostAddress } from './resolve-address.js';
export type { ResolveHostAddressOptions } from './resolve-address.js';
export { createResultFinisher, formatHostPort, roundMs, statelessPattern } from './results.js';
export type { ResultFinisher, ResultFinisherOptions } from './results.js';
export { evaluateCertificateExpiry, splitTlsOptions, tlsSessionDetails } from './tls.js';
export type { CertificateExpiryThresholds, CertificateExpiryVerdict, EvaluateCertificateExpiryOptions, ParsedTlsOptions } from './tls.js';
