// The transport area (dialer, proxies, onion names, error classification). Explicit names only.
export { createDialer } from './dialer.js';
export type { CreateDialerOptions, LookupFunction } from './dialer.js';
export { formatProxyUrl, parseProxyUrl, proxyCredentials } from './proxy.js';
export { chooseHost, isOnionHost } from './onion.js';
export type { ChooseHostOptions } from './onion.js';
export { abortReasonCode, classifyNetworkError, classifySocksReply, describeSocksReply } from './classify-error.js';
export type { ClassifyNetworkErrorOptions, DialPhase, NetworkErrorClassification } from './classify-error.js';
export { normalizeSha256Fingerprint } from './tls-session.js';
