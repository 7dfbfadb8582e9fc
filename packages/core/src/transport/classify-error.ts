import type { ReasonCode } from '../contracts/result.js';
import { VigilError, describeError } from '../errors/vigil-error.js';
import { redactText } from '../util/redact.js';

/** The steps of one dial, in order; `details.phase` of a dial error names one of them. */
export type DialPhase = 'dns' | 'connect' | 'proxy' | 'tls';

/** What a network failure means for a check result. */
export interface NetworkErrorClassification {
  readonly reason: ReasonCode;
  /** One line, no secrets, e.g. `connection refused (ECONNREFUSED)`. */
  readonly message: string;
  readonly phase?: string;
  /** Machine-readable facts: the errno `code`, the SOCKS5 `socksReply` and its meaning, ... */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface ClassifyNetworkErrorOptions {
  /** The step that failed, when the caller knows it (a reset during `tls` is a handshake failure). */
  readonly phase?: string;
}

/** RFC 1928 reply codes, and Tor's extended onion-service replies (0xF0-0xF7). */
const socksReplyMeanings: ReadonlyMap<number, string> = new Map([
  [0x00, 'succeeded'],
  [0x01, 'general SOCKS server failure'],
  [0x02, 'connection not allowed by ruleset'],
  [0x03, 'network unreachable'],
  [0x04, 'host unreachable'],
  [0x05, 'connection refused'],
  [0x06, 'TTL expired'],
  [0x07, 'command not supported'],
  [0x08, 'address type not supported'],
  [0xf0, 'onion service descriptor can not be found'],
  [0xf1, 'onion service descriptor is invalid'],
  [0xf2, 'onion service introduction failed'],
  [0xf3, 'onion service rendezvous failed'],
  [0xf4, 'onion service missing client authorization'],
  [0xf5, 'onion service wrong client authorization'],
  [0xf6, 'onion service invalid address'],
  [0xf7, 'onion service introduction timed out'],
]);

/** The meaning of a SOCKS5 reply code (RFC 1928 section 6, plus Tor's 0xF0-0xF7). */
export function describeSocksReply(code: number): string {
  return socksReplyMeanings.get(code) ?? `unassigned reply code 0x${code.toString(16).padStart(2, '0')}`;
}

/** The names the `socks` package prints for reply codes, mapped back to the codes. */
const socksReplyByName: ReadonlyMap<string, number> = new Map([
  ['Failure', 0x01],
  ['NotAllowed', 0x02],
  ['NetworkUnreachable', 0x03],
  ['HostUnreachable', 0x04],
  ['ConnectionRefused', 0x05],
  ['TTLExpired', 0x06],
  ['CommandNotSupported', 0x07],
  ['AddressNotSupported', 0x08],
]);

/** Builds the classification of a SOCKS5 reply other than "succeeded". */
export function classifySocksReply(code: number): NetworkErrorClassification {
  const meaning = describeSocksReply(code);
  const hex = `0x${code.toString(16).padStart(2, '0')}`;
  return {
    reason: 'proxy_error',
    message: `the SOCKS5 proxy refused the connection: reply ${hex} (${meaning})`,
    phase: 'proxy',
    details: { socksReply: code, socksReplyMessage: meaning },
  };
}

const errnoReasons: ReadonlyMap<string, { reason: ReasonCode; text: string }> = new Map([
  ['ECONNREFUSED', { reason: 'connection_refused', text: 'connection refused' }],
  ['ENOTFOUND', { reason: 'dns_error', text: 'name not found' }],
  ['EAI_AGAIN', { reason: 'dns_error', text: 'name lookup failed temporarily' }],
  ['EAI_FAIL', { reason: 'dns_error', text: 'name lookup failed' }],
  ['EAI_NODATA', { reason: 'dns_error', text: 'the name has no address' }],
  ['ENODATA', { reason: 'dns_error', text: 'the name has no address' }],
  ['EAI_NONAME', { reason: 'dns_error', text: 'name not found' }],
  ['ECONNRESET', { reason: 'connection_reset', text: 'connection reset by peer' }],
  ['EPIPE', { reason: 'connection_reset', text: 'connection closed by peer while writing' }],
  ['ECONNABORTED', { reason: 'connection_reset', text: 'connection aborted' }],
  ['ERR_SOCKET_CLOSED', { reason: 'connection_reset', text: 'the socket closed' }],
  ['EHOSTUNREACH', { reason: 'network_unreachable', text: 'host unreachable' }],
  ['ENETUNREACH', { reason: 'network_unreachable', text: 'network unreachable' }],
  ['ENETDOWN', { reason: 'network_unreachable', text: 'network is down' }],
  ['EHOSTDOWN', { reason: 'network_unreachable', text: 'host is down' }],
  ['EADDRNOTAVAIL', { reason: 'network_unreachable', text: 'address not available' }],
  ['EAFNOSUPPORT', { reason: 'network_unreachable', text: 'address family not supported' }],
  ['ETIMEDOUT', { reason: 'timeout', text: 'the operating system timed the connection out' }],
  ['CERT_HAS_EXPIRED', { reason: 'certificate_expired', text: 'the certificate has expired' }],
  ['CERT_NOT_YET_VALID', { reason: 'tls_error', text: 'the certificate is not yet valid' }],
  ['DEPTH_ZERO_SELF_SIGNED_CERT', { reason: 'tls_error', text: 'self-signed certificate' }],
  ['SELF_SIGNED_CERT_IN_CHAIN', { reason: 'tls_error', text: 'self-signed certificate in the chain' }],
  ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', { reason: 'tls_error', text: 'unable to verify the leaf certificate' }],
  ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', { reason: 'tls_error', text: 'unknown certificate issuer' }],
  ['ERR_TLS_CERT_ALTNAME_INVALID', { reason: 'tls_error', text: 'the certificate does not match the host name' }],
]);

// OpenSSL verification codes and Node's TLS/SSL error codes not listed above.
const tlsCodePattern = /^(ERR_SSL_|ERR_TLS_)|CERT|CRL|ISSUER|SELF_SIGNED|INVALID_CA|PATH_LENGTH|INVALID_PURPOSE|HOSTNAME_MISMATCH/;

// The `socks` package reports failures as plain messages; these identify them.
const socksRejectedPattern = /^Socks5 proxy rejected connection - (\w+)/;
const socksMessages: ReadonlyMap<string, string> = new Map([
  ['Socks5 Authentication failed', 'the SOCKS5 proxy rejected the username or password'],
  ['Received invalid Socks5 initial handshake (no accepted authentication type)', 'the SOCKS5 proxy accepts none of the offered authentication methods (does it need a username and password?)'],
  ['Received invalid Socks5 initial handshake (unknown authentication type)', 'the SOCKS5 proxy chose an unknown authentication method'],
  ['Received invalid Socks5 initial handshake (invalid socks version)', 'the proxy does not speak SOCKS5'],
  ['Proxy connection timed out', 'the SOCKS5 handshake timed out'],
  ['Socket closed', 'the proxy closed the connection during the SOCKS5 handshake'],
]);

function errorCode(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** Maps an abort reason (from an AbortSignal) to `timeout` or `aborted`. */
export function abortReasonCode(reason: unknown): 'timeout' | 'aborted' {
  if (VigilError.isInstance(reason)) return reason.reason === 'aborted' || reason.code === 'VIGIL_ERR_ABORTED' ? 'aborted' : 'timeout';
  if (reason instanceof Error && reason.name === 'TimeoutError') return 'timeout';
  return 'aborted';
}

function fallbackReason(phase: string | undefined): ReasonCode {
  if (phase === 'dns') return 'dns_error';
  if (phase === 'proxy') return 'proxy_error';
  if (phase === 'tls') return 'tls_error';
  return 'probe_error';
}

function withPhase(classification: NetworkErrorClassification, phase: string | undefined): NetworkErrorClassification {
  return phase === undefined || classification.phase !== undefined ? classification : { ...classification, phase };
}

/**
 * Maps a network error (Node errno codes, TLS and certificate errors, SOCKS failures, aborts) to a
 * check reason code and a one-line, secret-free message.
 */
export function classifyNetworkError(error: unknown, options: ClassifyNetworkErrorOptions = {}): NetworkErrorClassification {
  const { phase } = options;
  if (VigilError.isInstance(error) && error.reason !== undefined) {
    const errorPhase = error.details?.phase;
    return {
      reason: error.reason,
      message: redactText(error.message),
      phase: typeof errorPhase === 'string' ? errorPhase : phase,
      ...(error.details === undefined ? {} : { details: error.details }),
    };
  }
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    const reason = error.name === 'TimeoutError' ? 'timeout' : abortReasonCode(error.cause ?? error);
    return withPhase({ reason, message: reason === 'timeout' ? 'timed out' : 'aborted' }, phase);
  }

  const code = errorCode(error);
  const rawMessage = redactText(describeError(error));
  if (code !== undefined) {
    const known = errnoReasons.get(code);
    // A reset during the handshake is how many servers reject a TLS client: a TLS failure.
    if (phase === 'tls' && known?.reason === 'connection_reset') {
      return { reason: 'tls_error', message: `the connection closed during the TLS handshake (${code})`, phase, details: { code } };
    }
    if (phase === 'proxy' && known?.reason === 'connection_reset') {
      return { reason: 'proxy_error', message: `the proxy closed the connection during the SOCKS5 handshake (${code})`, phase, details: { code } };
    }
    if (known) return withPhase({ reason: known.reason, message: `${known.text} (${code})`, details: { code } }, phase);
    if (tlsCodePattern.test(code)) return withPhase({ reason: 'tls_error', message: `TLS failure: ${rawMessage} (${code})`, details: { code } }, phase);
  }

  const socksRejected = socksRejectedPattern.exec(rawMessage);
  if (socksRejected) {
    const replyCode = socksReplyByName.get(socksRejected[1] as string);
    if (replyCode !== undefined) return classifySocksReply(replyCode);
  }
  const socksText = socksMessages.get(rawMessage);
  if (socksText !== undefined) return { reason: 'proxy_error', message: socksText, phase: 'proxy' };

  if (phase === 'tls' && /before secure TLS connection|socket disconnected|socket hang up/i.test(rawMessage)) {
    return { reason: 'tls_error', message: 'the connection closed during the TLS handshake', phase };
  }
  return withPhase(
    { reason: fallbackReason(phase), message: rawMessage, ...(code === undefined ? {} : { details: { code } }) },
    phase,
  );
}
