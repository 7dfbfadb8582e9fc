import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeError, formatDuration, parseDuration } from '@vigil/core';
import { openSqliteStore } from '@vigil/sinks-sqlite';
import type { Incident, SqliteStore } from '@vigil/sinks-sqlite';
import { type CliIo, exitCodes } from '../io.js';

export const reportUsage = `Usage: vigil report [--db FILE] [--check ID] [--window 24h] [--json]

Prints, per check, uptime, latency percentiles (p50/p95/p99/max, merged exactly from the stored
HDR snapshots), the number of runs and latency samples, and incidents over a window, read from
the embedded store that vigil run writes.
  --db FILE      the store (default .vigil/vigil.db, the default of vigil run)
  --check ID     only this check
  --window DUR   how far back from now (default 24h; e.g. 1h, 7d)
  --json         one JSON object instead of the table
`;

/** One check's line of the report. Latency values are milliseconds; null when there is no sample. */
export interface CheckReport {
  readonly check: string;
  readonly uptime: {
    /** Percent of runs that were up or degraded; null without runs. */
    readonly percent: number | null;
    readonly runs: number;
    readonly ok: number;
    readonly fromResults: number;
    readonly fromSnapshots: number;
  };
  readonly latency: {
    readonly samples: number;
    readonly p50: number | null;
    readonly p95: number | null;
    readonly p99: number | null;
    readonly max: number | null;
  };
  readonly incidents: number;
  readonly openIncidents: number;
}

export interface Report {
  readonly database: string;
  readonly window: { readonly from: string; readonly to: string; readonly durationMs: number };
  readonly checks: readonly CheckReport[];
  readonly incidents: readonly (Omit<Incident, 'startedAt' | 'resolvedAt'> & { readonly startedAt: string; readonly resolvedAt: string | null })[];
}

const finiteOrNull = (value: number): number | null => (Number.isFinite(value) ? Math.round(value * 1_000) / 1_000 : null);

/** Builds the report from a store (exported for embedding and tests). */
export function buildReport(store: SqliteStore, options: { readonly windowMs: number; readonly now: number; readonly checks: readonly string[] }): Report {
  const window = { from: options.now - options.windowMs, to: options.now };
  const incidents = store.incidents(window).filter((incident) => options.checks.includes(incident.checkId));
  const checks = options.checks.map((check): CheckReport => {
    const uptime = store.uptime(check, window);
    const latency = store.percentiles(check, window, [50, 95, 99]);
    const own = incidents.filter((incident) => incident.checkId === check);
    return {
      check,
      uptime: {
        percent: Number.isFinite(uptime.ratio) ? Math.round(uptime.ratio * 100_000) / 1_000 : null,
        runs: uptime.total,
        ok: uptime.ok,
        fromResults: uptime.fromResults,
        fromSnapshots: uptime.fromSnapshots,
      },
      latency: {
        samples: latency.count,
        p50: finiteOrNull(latency.percentiles['50'] ?? Number.NaN),
        p95: finiteOrNull(latency.percentiles['95'] ?? Number.NaN),
        p99: finiteOrNull(latency.percentiles['99'] ?? Number.NaN),
        max: finiteOrNull(latency.max),
      },
      incidents: own.length,
      openIncidents: own.filter((incident) => incident.resolvedAt === undefined).length,
    };
  });
  return {
    database: store.path,
    window: { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString(), durationMs: options.windowMs },
    checks,
    incidents: incidents.map((incident) => ({
      ...incident,
      startedAt: new Date(incident.startedAt).toISOString(),
      resolvedAt: incident.resolvedAt === undefined ? null : new Date(incident.resolvedAt).toISOString(),
    })),
  };
}

/** The human-readable table. */
export function formatReport(report: Report): string {
  const milliseconds = (value: number | null): string => (value === null ? '-' : formatDuration(value));
  const header = ['check', 'uptime', 'runs', 'p50', 'p95', 'p99', 'max', 'samples', 'incidents'];
  const rows = report.checks.map((check) => [
    check.check,
    check.uptime.percent === null ? '-' : `${check.uptime.percent.toFixed(3)}%`,
    check.uptime.runs.toLocaleString('en-US'),
    milliseconds(check.latency.p50),
    milliseconds(check.latency.p95),
    milliseconds(check.latency.p99),
    milliseconds(check.latency.max),
    check.latency.samples.toLocaleString('en-US'),
    check.openIncidents > 0 ? `${check.incidents} (${check.openIncidents} open)` : String(check.incidents),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  // Names left-aligned, figures right-aligned.
  const line = (cells: readonly string[]): string => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] as number) : cell.padStart(widths[column] as number))).join('  ');
  const output = [`${report.database}: ${report.window.from} to ${report.window.to} (${formatDuration(report.window.durationMs)})`, '', line(header), ...rows.map(line)];
  if (report.incidents.length > 0) {
    output.push('', 'Incidents:');
    for (const incident of report.incidents) {
      const end = incident.resolvedAt === null ? 'still open' : `resolved ${incident.resolvedAt}`;
      output.push(`  ${incident.checkId}  ${incident.severity}  ${incident.startedAt}, ${end} (${formatDuration(incident.durationMs)})  ${incident.message}`);
    }
  }
  return `${output.join('\n')}\n`;
}

/** `vigil report [--db FILE] [--check ID] [--window 24h] [--json]` */
export async function reportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: {
        db: { type: 'string' },
        check: { type: 'string' },
        window: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    io.stderr(`vigil report: ${describeError(error)}\n${reportUsage}`);
    return exitCodes.unknown;
  }
  if (values.help === true) {
    io.stdout(reportUsage);
    return exitCodes.ok;
  }
  if (positionals.length > 0) {
    io.stderr(`vigil report: unexpected argument "${positionals[0]}"\n${reportUsage}`);
    return exitCodes.unknown;
  }
  let windowMs: number;
  try {
    windowMs = parseDuration((values.window as string | undefined) ?? '24h', '--window');
    if (windowMs <= 0) throw new Error('--window: expected a positive duration');
  } catch (error) {
    io.stderr(`vigil report: ${describeError(error).replace(/^\[core\] config: /, '')}\n`);
    return exitCodes.unknown;
  }
  const file = path.resolve(io.cwd, (values.db as string | undefined) ?? path.join('.vigil', 'vigil.db'));
  let store: SqliteStore;
  try {
    store = openSqliteStore(file);
  } catch (error) {
    io.stderr(`vigil report: ${describeError(error)}\n`);
    return exitCodes.unknown;
  }
  try {
    const known = store.checks();
    const wanted = values.check as string | undefined;
    if (wanted !== undefined && !known.includes(wanted)) {
      io.stderr(`vigil report: no stored results or snapshots for check "${wanted}" in ${file}${known.length > 0 ? ` (stored: ${known.join(', ')})` : ''}\n`);
      return exitCodes.unknown;
    }
    const report = buildReport(store, { windowMs, now: Date.now(), checks: wanted === undefined ? known : [wanted] });
    io.stdout(values.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return exitCodes.ok;
  } catch (error) {
    io.stderr(`vigil report: ${describeError(error)}\n`);
    return exitCodes.unknown;
  } finally {
    store.close();
  }
}
