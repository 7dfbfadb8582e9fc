import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors/vigil-error.js';
import { abortReasonCode, classifyNetworkError, classifySocksReply, describeSocksReply } from './classify-error.js';

function errno(code: string, message = `connect ${code}`): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

describe('classifyNetworkError', () => {
  it('maps Node errno codes to reason codes', () => {
    const table: Array<[string, string]> = [
      ['ECONNREFUSED', 'connection_refused'],
      ['ENOTFOUND', 'dns_error'],
      ['EAI_AGAIN', 'dns_error'],
      ['ECONNRESET', 'connection_reset'],
      ['EPIPE', 'connection_reset'],
      ['EHOSTUNREACH', 'network_unreachable'],
      ['ENETUNREACH', 'network_unreachable'],
      ['CERT_HAS_EXPIRED', 'certificate_expired'],
      ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls_error'],
      ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls_error'],
      ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls_error'],
      ['UNABLE_TO_GET_ISSUER_CERT', 'tls_error'],
    ];
    for (const [code, reason] of table) {
      const classification = classifyNetworkError(errno(code));
      expect(classification.reason, code).toBe(reason);
      expect(classification.message, code).toContain(code);
      expect(classification.details, code).toEqual({ code });
    }
  });

  it('treats a reset during the TLS or SOCKS handshake as a failure of that handshake', () => {
    expect(classifyNetworkError(errno('ECONNRESET'), { phase: 'tls' })).toMatchObject({ reason: 'tls_error', phase: 'tls' });
    expect(classifyNetworkError(errno('ECONNRESET'), { phase: 'proxy' })).toMatchObject({ reason: 'proxy_error', phase: 'proxy' });
    expect(classifyNetworkError(new Error('Client network socket disconnected before secure TLS connection was established'), { phase: 'tls' }).reason).toBe('tls_error');
  });

  it('recognises failures reported by the socks package', () => {
    expect(classifyNetworkError(new Error('Socks5 proxy rejected connection - ConnectionRefused'))).toMatchObject({
      reason: 'proxy_error',
      details: { socksReply: 5, socksReplyMessage: 'connection refused' },
    });
    expect(classifyNetworkError(new Error('Socks5 Authentication failed')).reason).toBe('proxy_error');
  });

  it('maps aborts to timeout or aborted by the abort reason', () => {
    expect(abortReasonCode(new VigilError('VIGIL_ERR_TIMEOUT', 'x', { reason: 'timeout' }))).toBe('timeout');
    expect(abortReasonCode(new VigilError('VIGIL_ERR_ABORTED', 'x', { reason: 'aborted' }))).toBe('aborted');
    expect(abortReasonCode(new DOMException('t', 'TimeoutError'))).toBe('timeout');
    expect(abortReasonCode(new DOMException('a', 'AbortError'))).toBe('aborted');
    expect(classifyNetworkError(new DOMException('t', 'TimeoutError')).reason).toBe('timeout');
  });

  it('keeps the reason and phase of a dial error, and falls back by phase for unknown errors', () => {
    const dialError = new VigilError('VIGIL_ERR_DIAL', '[core] dial x:1: refused', { reason: 'connection_refused', details: { phase: 'connect' } });
    expect(classifyNetworkError(dialError)).toMatchObject({ reason: 'connection_refused', phase: 'connect' });
    expect(classifyNetworkError(new Error('weird'), { phase: 'tls' }).reason).toBe('tls_error');
    expect(classifyNetworkError(new Error('weird'), { phase: 'dns' }).reason).toBe('dns_error');
    expect(classifyNetworkError('weird').reason).toBe('probe_error');
  });

  it('never repeats credentials found in an error message', () => {
    expect(classifyNetworkError(new Error('failed socks5://alice:hunter2@127.0.0.1:1080')).message).not.toContain('hunter2');
  });
});

describe('SOCKS5 replies', () => {
  it('describes RFC 1928 and Tor onion-service reply codes', () => {
    expect(describeSocksReply(0x02)).toBe('connection not allowed by ruleset');
    expect(describeSocksReply(0xf0)).toBe('onion service descriptor can not be found');
    expect(describeSocksReply(0x42)).toBe('unassigned reply code 0x42');
    expect(classifySocksReply(0x04)).toEqual({
      reason: 'proxy_error',
      message: 'the SOCKS5 proxy refused the connection: reply 0x04 (host unreachable)',
      phase: 'proxy',
      details: { socksReply: 4, socksReplyMessage: 'host unreachable' },
    });
  });
});
