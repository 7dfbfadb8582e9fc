/*
 * The two formats Prometheus scrapes:
 * - the text format 0.0.4 (`text/plain; version=0.0.4`): `# HELP`, `# TYPE`, samples; a counter's
 *   TYPE line names the sample (`x_total`);
 * - OpenMetrics 1.0.0 (`application/openmetrics-text; version=1.0.0`): the same samples, but
 *   TYPE/HELP/UNIT name the family (`x` for counter `x_total`), and the body ends with `# EOF`.
 * Label values escape backslash, double quote and newline in both.
 */

export type MetricType = 'gauge' | 'counter' | 'histogram' | 'summary';

/** One sample: the family name plus `suffix` (`_total`, `_bucket`, `_sum`, `_count` or none). */
export interface Sample {
  readonly suffix: string;
  readonly labels: readonly (readonly [string, string])[];
  readonly value: number;
}

/** A metric family; `name` excludes a counter's `_total`. */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  /** Declared in OpenMetrics (`# UNIT`); `name` must end with `_<unit>`. */
  readonly unit?: string;
  readonly samples: readonly Sample[];
  /** Sample lines already rendered with {@link renderSamples} (cached by the caller), after `samples`. */
  readonly rendered?: readonly string[];
}

export type ExpositionFormat = 'text' | 'openmetrics';

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

const labelSpecial = /[\\"\n]/;

/** Escapes a label value (backslash, double quote, newline). */
export function escapeLabelValue(value: string): string {
  return labelSpecial.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/** Formats a sample value: integers plainly, `+Inf`, `-Inf`, `NaN`. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** A bucket bound or quantile as a label value: always a float (`1.0`, `0.005`, `+Inf`). */
export function formatBound(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  const text = String(value);
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

/** A valid metric or label name from arbitrary text: other characters become `_`. */
export function sanitizeName(text: string): string {
  const replaced = text.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(replaced) ? `_${replaced}` : replaced === '' ? '_' : replaced;
}

function renderLabels(labels: readonly (readonly [string, string])[]): string {
  if (labels.length === 0) return '';
  let text = '{';
  for (let index = 0; index < labels.length; index += 1) {
    const [name, value] = labels[index] as readonly [string, string];
    text += `${index === 0 ? '' : ','}${name}="${escapeLabelValue(value)}"`;
  }
  return `${text}}`;
}

/** The sample lines of one family (the same in both formats). */
export function renderSamples(name: string, samples: readonly Sample[]): string {
  let text = '';
  for (const sample of samples) text += `${name}${sample.suffix}${renderLabels(sample.labels)} ${formatValue(sample.value)}\n`;
  return text;
}

/** Renders families in the text format 0.0.4 or OpenMetrics 1.0.0; families without samples are left out. */
export function renderExposition(families: readonly MetricFamily[], format: ExpositionFormat): string {
  const parts: string[] = [];
  for (const family of families) {
    if (family.samples.length === 0 && !family.rendered?.some((chunk) => chunk !== '')) continue;
    if (format === 'openmetrics') {
      parts.push(`# TYPE ${family.name} ${family.type}\n`);
      if (family.unit !== undefined) parts.push(`# UNIT ${family.name} ${family.unit}\n`);
      parts.push(`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}\n`);
    } else {
      const named = family.type === 'counter' ? `${family.name}_total` : family.name;
      parts.push(`# HELP ${named} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n`);
      parts.push(`# TYPE ${named} ${family.type}\n`);
    }
    parts.push(renderSamples(family.name, family.samples));
    if (family.rendered) parts.push(...family.rendered);
  }
  if (format === 'openmetrics') parts.push('# EOF\n');
  return parts.join('');
}

/**
 * Picks the format from an Accept header: OpenMetrics when it is offered with a quality at least
 * that of the text format (Prometheus asks for it first), else text.
 */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  if (accept === undefined || accept.trim() === '') return 'text';
  let openMetrics = 0;
  let text = 0;
  for (const range of accept.split(',')) {
    const [type = '', ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    let quality = 1;
    for (const parameter of parameters) {
      const match = /^q=([0-9.]+)$/.exec(parameter);
      if (match) quality = Number(match[1]);
    }
    if (!Number.isFinite(quality)) continue;
    if (type === 'application/openmetrics-text') openMetrics = Math.max(openMetrics, quality);
    else if (type === 'text/plain' || type === 'text/*' || type === '*/*') text = Math.max(text, quality);
  }
  return openMetrics > 0 && openMetrics >= text ? 'openmetrics' : 'text';
}
