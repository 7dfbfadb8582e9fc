import { describe, expect, it } from 'vitest';
import type { TlsSessionSummary } from '../contracts/dialer.js';
import { evaluateCertificateExpiry, splitTlsOptions, tlsSessionDetails } from './tls.js';

const dayMs = 86_400_000;
const now = Date.parse('2026-01-01T00:00:00Z');

function session(validTo: string): TlsSessionSummary {
  return {
    protocol: 'TLSv1.3',
    cipher: 'TLS_AES_128_GCM_SHA256',
    alpnProtocol: null,
    authorized: true,
    servername: 'example.test',
    chain: [{ subject: 'CN=example.test', issuer: 'CN=Test CA', validFrom: 'x', validTo, fingerprintSha256: 'AB', serialNumber: '01' }],
    daysUntilExpiry: 5,
  };
}

function judge(daysLeft: number, thresholds = { expiryWarnDays: 14, expiryCriticalDays: 3 }) {
  const gauges: Array<[string, number]> = [];
  const metrics = { gauge: (name: string, value: number) => void gauges.push([name, value]), counter: () => {}, histogram: () => {} };
  const verdict = evaluateCertificateExpiry(session(new Date(now + daysLeft * dayMs).toUTCString()), { now, thresholds, metrics });
  return { verdict, gauges };
}

describe('evaluateCertificateExpiry', () => {
  it('records the days left and judges them against the thresholds', () => {
    expect(judge(30)).toEqual({ verdict: undefined, gauges: [['tls_certificate_days_until_expiry', 30]] });
    expect(judge(10).verdict).toEqual({ status: 'degraded', reason: 'certificate_expiring', message: 'the certificate expires in 10 days (warning below 14)' });
    expect(judge(2).verdict).toEqual({ status: 'down', reason: 'certificate_expiring', message: 'the certificate expires in 2 days (critical below 3)' });
    expect(judge(-1).verdict).toMatchObject({ status: 'down', reason: 'certificate_expired' });
    expect(judge(10, { expiryWarnDays: 7, expiryCriticalDays: 1 }).verdict).toBeUndefined();
  });

  it('says nothing without a readable expiry date', () => {
    const metrics = { gauge: () => expect.unreachable(), counter: () => {}, histogram: () => {} };
    expect(evaluateCertificateExpiry(session('not a date'), { now, thresholds: { expiryWarnDays: 14, expiryCriticalDays: 3 }, metrics })).toBeUndefined();
  });
});

describe('tlsSessionDetails', () => {
  it('keeps the JSON-friendly facts of the session and its leaf', () => {
    expect(tlsSessionDetails({ ...session('Jan 1 00:00:00 2027 GMT'), pinned: true })).toEqual({
      protocol: 'TLSv1.3',
      cipher: 'TLS_AES_128_GCM_SHA256',
      alpnProtocol: null,
      authorized: true,
      servername: 'example.test',
      chainLength: 1,
      leafSubject: 'CN=example.test',
      leafIssuer: 'CN=Test CA',
      leafNotAfter: 'Jan 1 00:00:00 2027 GMT',
      daysUntilExpiry: 5,
      fingerprintSha256: 'AB',
      pinned: true,
    });
  });
});

describe('splitTlsOptions', () => {
  it('separates the dialer options (pins as a list) from the expiry thresholds', () => {
    expect(splitTlsOptions({ verify: false, pinSha256: 'ab', expiryWarnDays: 7, expiryCriticalDays: 1 })).toEqual({
      dialOptions: { verify: false, pinSha256: ['ab'] },
      thresholds: { expiryWarnDays: 7, expiryCriticalDays: 1 },
    });
    expect(splitTlsOptions(undefined)).toEqual({ dialOptions: {}, thresholds: { expiryWarnDays: 14, expiryCriticalDays: 3 } });
  });
});
