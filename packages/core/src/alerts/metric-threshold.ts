import { z } from 'zod';
import type { AlertRule } from '../contracts/alert.js';
import type { MetricValue, Tags } from '../contracts/result.js';
import { parseOptions } from '../config/parse-options.js';
import { createStatefulRule } from './rule-engine.js';
import { ruleBaseShape } from './rule-options.js';

/** How a metric's value is compared with the threshold. */
export type MetricComparison = '<' | '<=' | '>' | '>=' | '==' | '!=';

const compare = (operator: MetricComparison, left: number, right: number): boolean => {
  switch (operator) {
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
    case '==':
      return left === right;
    case '!=':
      return left !== right;
  }
};

/** Options of {@link metricThreshold}. */
export const metricThresholdOptionsSchema = z
  .strictObject({
    ...ruleBaseShape,
    /** The gauge or counter a check reports in its result, e.g. `audit_score`. */
    metric: z.string().min(1),
    operator: z.enum(['<', '<=', '>', '>=', '==', '!=']),
    /** The alert fires while `metric operator value` holds, e.g. `audit_score < 0.96`. */
    value: z.number(),
    /** Raise the severity to critical while `metric operator criticalValue` holds. */
    criticalValue: z.number().optional(),
    /** Once firing, keep firing while `metric operator recoverValue` holds (hysteresis); not for == and !=. */
    recoverValue: z.number().optional(),
    /** Only metric entries carrying these tags. Each distinct tag set is its own series (and alert). */
    metricTags: z.record(z.string(), z.string()).optional(),
  })
  .superRefine((options, context) => {
    const below = options.operator === '<' || options.operator === '<=';
    const above = options.operator === '>' || options.operator === '>=';
    if (options.recoverValue !== undefined) {
      if (!below && !above) context.addIssue({ code: 'custom', path: ['recoverValue'], message: `makes no sense with ${options.operator}` });
      else if (below ? options.recoverValue < options.value : options.recoverValue > options.value) {
        context.addIssue({ code: 'custom', path: ['recoverValue'], message: `must be ${below ? 'at least' : 'at most'} value (${options.value}) so the alert recovers past the threshold` });
      }
    }
    if (options.criticalValue !== undefined && (below || above) && (below ? options.criticalValue > options.value : options.criticalValue < options.value)) {
      context.addIssue({ code: 'custom', path: ['criticalValue'], message: `must be ${below ? 'at most' : 'at least'} value (${options.value})` });
    }
  });

export type MetricThresholdOptions = z.input<typeof metricThresholdOptionsSchema>;

function hasTags(entry: MetricValue, wanted: Tags | undefined): boolean {
  if (!wanted) return true;
  for (const [key, value] of Object.entries(wanted)) if (entry.tags?.[key] !== value) return false;
  return true;
}

/**
 * Compares a named gauge or counter from each result with a value, e.g. a Storj node's
 * `audit_score < 0.96`. Entries with different tags (say, per satellite) are separate series.
 */
export function metricThreshold(options: MetricThresholdOptions): AlertRule {
  const parsed = parseOptions(metricThresholdOptionsSchema, options, { source: 'core', path: 'metricThreshold' });
  const { metric, operator } = parsed;
  return createStatefulRule({
    type: 'metricThreshold',
    id: parsed.id ?? `metric-${metric.replace(/[^A-Za-z0-9_.:-]/g, '_')}`,
    options: parsed,
    defaultSeverity: 'warning',
    defaultFireAfter: 1,
    defaultResolveAfter: 1,
    evaluate(record, _context, series) {
      const verdicts = [];
      for (const entry of record.metrics) {
        if (entry.type === 'histogram' || entry.name !== metric || !hasTags(entry, parsed.metricTags) || !Number.isFinite(entry.value)) continue;
        const seriesTags = entry.tags && Object.keys(entry.tags).length > 0 ? entry.tags : undefined;
        const firing = series.isFiring(record.checkId, seriesTags);
        const limit = firing && parsed.recoverValue !== undefined ? parsed.recoverValue : parsed.value;
        const breaching = compare(operator, entry.value, limit);
        const critical = parsed.criticalValue !== undefined && compare(operator, entry.value, parsed.criticalValue);
        verdicts.push({
          ...(seriesTags ? { seriesTags } : {}),
          breaching,
          ...(critical ? { severity: 'critical' as const } : {}),
          values: { [metric]: entry.value, threshold: parsed.value },
          detail: `${metric} ${entry.value}${entry.unit ? ` ${entry.unit}` : ''} ${breaching ? operator : `(not ${operator})`} ${limit}`,
        });
      }
      return verdicts;
    },
  });
}
