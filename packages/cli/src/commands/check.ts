import { parseArgs } from 'node:util';
import { VigilError, createDialer, createRunHistogram, describeError, executeCheck, parseDuration, sleep, systemClock } from '@vigil/core';
import type { HistogramSummary, ResultRecord } from '@vigil/core';
import { checkKindCommands } from '../check-kinds/index.js';
import type { CheckKindCommand, FlagValues } from '../check-kinds/types.js';
import { type CliIo, exitCodes } from '../io.js';
import { exitCodeFor, formatNagiosLine, summarize } from '../output.js';
import { createBuiltinRegistry } from '../registry.js';

const commonFlags = {
  count: { type: 'string', short: 'c' },
  interval: { type: 'string', short: 'i' },
  timeout: { type: 'string', short: 't' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Help text for `vigil check`. */
export function checkUsage(): string {
  const lines = [
    'Usage: vigil check <kind> <target> [--count N] [--interval 1s] [--timeout 5s] [--json] [kind flags]',
    '',
    'Runs one check (N times with --count) and exits with the Nagios code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.',
    '',
    'Kinds:',
    ...checkKindCommands.map((command) => `  ${command.type.padEnd(8)} ${command.summary}\n           ${command.usage}`),
  ];
  return `${lines.join('\n')}\n`;
}

function positiveInteger(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new VigilError('VIGIL_ERR_CONFIG', `[cli] --${name}: expected a positive integer, got ${JSON.stringify(text)}`, { path: name });
  return value;
}

/** `vigil check <kind> <target> ...` */
export async function checkCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const kind = argv[0];
  if (kind === undefined || kind === '--help' || kind === '-h') {
    io.stdout(checkUsage());
    return kind === undefined ? exitCodes.unknown : exitCodes.ok;
  }
  const command: CheckKindCommand | undefined = checkKindCommands.find((candidate) => candidate.type === kind);
  if (!command) {
    io.stderr(`vigil check: unknown kind "${kind}"; known: ${checkKindCommands.map((candidate) => candidate.type).join(', ')}\n`);
    return exitCodes.unknown;
  }

  let values: FlagValues;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv.slice(1),
      options: { ...commonFlags, ...command.flags },
      allowPositionals: true,
      strict: true,
    }) as { values: FlagValues; positionals: string[] });
  } catch (error) {
    io.stderr(`vigil check ${kind}: ${describeError(error)}\nUsage: ${command.usage}\n`);
    return exitCodes.unknown;
  }
  if (values.help === true) {
    io.stdout(`${command.summary}\nUsage: ${command.usage} [--count N] [--interval 1s] [--timeout 5s] [--json]\n`);
    return exitCodes.ok;
  }
  const target = positionals[0];
  if (target === undefined || positionals.length > 1) {
    io.stderr(`vigil check ${kind}: expected exactly one target\nUsage: ${command.usage}\n`);
    return exitCodes.unknown;
  }

  let count: number;
  let intervalMs: number;
  let timeoutMs: number;
  let check;
  try {
    count = positiveInteger(values.count as string | undefined, 'count', 1);
    intervalMs = parseDuration((values.interval as string | undefined) ?? '1s', 'interval');
    timeoutMs = parseDuration((values.timeout as string | undefined) ?? '10s', 'timeout');
    if (timeoutMs <= 0) throw new VigilError('VIGIL_ERR_CONFIG', '[cli] --timeout: expected a positive duration', { path: 'timeout' });
    const options = command.toOptions(target, values, { count, intervalMs, timeoutMs });
    check = createBuiltinRegistry().create('check', command.type, options, 'check');
  } catch (error) {
    io.stderr(`vigil check ${kind}: ${describeError(error)}\n`);
    return exitCodes.unknown;
  }

  const dialer = createDialer();
  const durations = createRunHistogram('duration', 'ms');
  const records: ResultRecord[] = [];
  let okSamples = 0;
  let totalSamples = 0;
  let stopped = false;
  void io.stopRequested?.then(() => {
    stopped = true;
  });
  const runs = command.countMode === 'option' ? 1 : count;
  let histogram: HistogramSummary | undefined;
  try {
    for (let index = 0; index < runs && !stopped; index += 1) {
      const started = systemClock.monotonicNow();
      const { record } = await executeCheck(check, {
        checkId: kind,
        timeoutMs: command.countMode === 'option' ? timeoutMs + count * intervalMs : timeoutMs,
        dialer,
        histogramFactory: createRunHistogram,
      });
      records.push(record);
      if (command.countMode !== 'option') {
        totalSamples += 1;
        if (record.status === 'up' || record.status === 'degraded') {
          okSamples += 1;
          durations.record(record.durationMs);
        }
      }
      const wait = intervalMs - (systemClock.monotonicNow() - started);
      if (index + 1 < runs && wait > 0 && !stopped) await sleep(systemClock, wait);
    }
    if (command.countMode === 'option') {
      const last = records.at(-1);
      histogram = last?.metrics.find((metric): metric is HistogramSummary => metric.type === 'histogram' && metric.name === command.summaryHistogram);
      const sentMetric = last?.metrics.find((metric) => metric.type !== 'histogram' && metric.name === 'sent');
      const sent = sentMetric && sentMetric.type !== 'histogram' ? sentMetric.value : undefined;
      totalSamples = typeof sent === 'number' ? sent : count;
      okSamples = histogram?.count ?? 0;
    } else {
      histogram = durations.summarize();
    }
  } finally {
    await check.shutdown?.().catch(() => undefined);
  }

  const summary = summarize(kind, records, histogram, { total: totalSamples, ok: okSamples });
  io.stdout(values.json === true ? `${JSON.stringify(summary)}\n` : `${formatNagiosLine(summary)}\n`);
  return exitCodeFor(summary.status);
}
