import { z } from 'zod';
import type { AlertRule } from '../contracts/alert.js';
import type { ResultRecord } from '../contracts/result.js';
import { parseOptions } from '../config/parse-options.js';
import { createStatefulRule } from './rule-engine.js';
import { ruleBaseShape } from './rule-options.js';

/** The gauge `@vigil/checks-tcp` reports for TLS targets. */
export const certificateDaysMetric = 'tls_certificate_days_until_expiry';

/** Options of {@link certificateExpiry}. */
export const certificateExpiryOptionsSchema = z
  .strictObject({
    ...ruleBaseShape,
    /** Fire when the certificate expires in fewer than this many days; default 14. */
    days: z.number().min(0).default(14),
    /** Raise the severity to critical below this many days; default 3 (0 turns it off). */
    criticalDays: z.number().min(0).default(3),
    /** The gauge to read when a result has no `details.tls.daysUntilExpiry`. */
    metric: z.string().min(1).default(certificateDaysMetric),
  })
  .refine((options) => options.criticalDays <= options.days, { path: ['criticalDays'], message: 'must not exceed days' });

export type CertificateExpiryOptions = z.input<typeof certificateExpiryOptionsSchema>;

/** Days left on the certificate: `details.tls.daysUntilExpiry` (checks-tcp) or the gauge. */
function daysLeft(record: ResultRecord, metric: string): number | undefined {
  const tls = record.details?.tls;
  if (typeof tls === 'object' && tls !== null) {
    const days = (tls as Record<string, unknown>).daysUntilExpiry;
    if (typeof days === 'number' && Number.isFinite(days)) return days;
  }
  for (const entry of record.metrics) {
    if (entry.type !== 'histogram' && entry.name === metric && Number.isFinite(entry.value)) return entry.value;
  }
  return undefined;
}

/**
 * Fires when a TLS certificate expires within `days` (warning) or `criticalDays` (critical).
 * Results without certificate facts (e.g. the connection failed) leave the alert as it is.
 */
export function certificateExpiry(options: CertificateExpiryOptions = {}): AlertRule {
  const parsed = parseOptions(certificateExpiryOptionsSchema, options, { source: 'core', path: 'certificateExpiry' });
  return createStatefulRule({
    type: 'certificateExpiry',
    id: parsed.id ?? `certificate-expiry-${parsed.days}d`,
    options: parsed,
    defaultSeverity: 'warning',
    defaultFireAfter: 1,
    defaultResolveAfter: 1,
    evaluate(record) {
      const days = daysLeft(record, parsed.metric);
      if (days === undefined) return [];
      const whole = Math.floor(days);
      const critical = days < parsed.criticalDays;
      return [
        {
          breaching: days < parsed.days,
          ...(critical ? { severity: 'critical' as const } : {}),
          values: { daysLeft: whole, days: parsed.days },
          detail: whole < 0 ? `the certificate expired ${-whole} days ago` : `the certificate expires in ${whole} days (threshold ${parsed.days})`,
        },
      ];
    },
  });
}
