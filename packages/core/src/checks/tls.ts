import { certificateDaysMetric } from '../alerts/certificate-expiry.js';
import type { TlsDialOptions, TlsSessionSummary } from '../contracts/dialer.js';
import type { MetricsAccumulator } from '../contracts/metrics.js';
import { defaultCertificateExpiryThresholds } from './options.js';

const dayMs = 86_400_000;

/** The TLS facts a result carries: JSON-friendly and secret-free. */
export function tlsSessionDetails(tls: TlsSessionSummary): Record<string, unknown> {
  const leaf = tls.chain[0];
  const details: Record<string, unknown> = {
    protocol: tls.protocol,
    cipher: tls.cipher,
    alpnProtocol: tls.alpnProtocol,
    authorized: tls.authorized,
    servername: tls.servername,
    chainLength: tls.chain.length,
    leafSubject: leaf?.subject ?? null,
    leafIssuer: leaf?.issuer ?? null,
    leafNotAfter: leaf?.validTo ?? null,
    daysUntilExpiry: tls.daysUntilExpiry ?? null,
    fingerprintSha256: leaf?.fingerprintSha256 ?? null,
  };
  if (tls.authorizationError !== undefined) details.authorizationError = tls.authorizationError;
  if (tls.pinned !== undefined) details.pinned = tls.pinned;
  return details;
}

/** Below how many days a certificate's expiry degrades a check (warn) or fails it (critical). */
export interface CertificateExpiryThresholds {
  readonly expiryWarnDays: number;
  readonly expiryCriticalDays: number;
}

/** The TLS options as a check's schema (`tlsOptionsShape`) parses them, plus any fields of the check's own. */
export type ParsedTlsOptions = Omit<TlsDialOptions, 'pinSha256'> & CertificateExpiryThresholds & { readonly pinSha256?: string | readonly string[] | undefined };

/** Splits parsed TLS options into what the dialer takes (pins as a frozen list) and the expiry thresholds. */
export function splitTlsOptions(tls: ParsedTlsOptions | undefined): { readonly dialOptions: TlsDialOptions; readonly thresholds: CertificateExpiryThresholds } {
  const { expiryWarnDays, expiryCriticalDays, pinSha256, ...rest }: ParsedTlsOptions = tls ?? defaultCertificateExpiryThresholds;
  const pins = pinSha256 === undefined ? {} : { pinSha256: Object.freeze(typeof pinSha256 === 'string' ? [pinSha256] : [...pinSha256]) };
  return { dialOptions: Object.freeze({ ...rest, ...pins }), thresholds: { expiryWarnDays, expiryCriticalDays } };
}

/** How the leaf certificate's expiry affects a run. */
export interface CertificateExpiryVerdict {
  readonly status: 'down' | 'degraded';
  readonly reason: 'certificate_expired' | 'certificate_expiring';
  /** Without the target: `the certificate expires in 5 days (warning below 14)`. */
  readonly message: string;
}

/** What `evaluateCertificateExpiry` needs besides the TLS session. */
export interface EvaluateCertificateExpiryOptions {
  /** Wall-clock time, epoch milliseconds. */
  readonly now: number;
  readonly thresholds: CertificateExpiryThresholds;
  /** Receives the days-until-expiry gauge that alert rules read. */
  readonly metrics: MetricsAccumulator;
}

/**
 * Records the leaf certificate's days until expiry and judges them: `down` when expired or below
 * the critical threshold, `degraded` below the warning one, undefined when fine or unreadable.
 */
export function evaluateCertificateExpiry(tls: TlsSessionSummary, options: EvaluateCertificateExpiryOptions): CertificateExpiryVerdict | undefined {
  const leaf = tls.chain[0];
  const notAfter = Date.parse(leaf?.validTo ?? '');
  if (Number.isNaN(notAfter)) return undefined;
  const { expiryWarnDays, expiryCriticalDays } = options.thresholds;
  const remainingMs = notAfter - options.now;
  const days = Math.floor(remainingMs / dayMs);
  options.metrics.gauge(certificateDaysMetric, days, { unit: 'd' });
  if (remainingMs <= 0) return { status: 'down', reason: 'certificate_expired', message: `the certificate expired on ${leaf?.validTo}` };
  if (remainingMs < expiryCriticalDays * dayMs) {
    return { status: 'down', reason: 'certificate_expiring', message: `the certificate expires in ${days} days (critical below ${expiryCriticalDays})` };
  }
  if (remainingMs < expiryWarnDays * dayMs) {
    return { status: 'degraded', reason: 'certificate_expiring', message: `the certificate expires in ${days} days (warning below ${expiryWarnDays})` };
  }
  return undefined;
}
