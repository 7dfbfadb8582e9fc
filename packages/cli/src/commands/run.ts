import path from 'node:path';
import { parseArgs } from 'node:util';
import { createConsoleLogger, createMonitor, describeError, formatDuration, loadMonitorConfig, monitorOptionsFromConfig } from '@vigil/core';
import type { LogLevel, MonitorOptions, ResultRecord } from '@vigil/core';
import { type CliIo, exitCodes } from '../io.js';
import { createLiveStatus } from '../live-status.js';
import { createBuiltinRegistry } from '../registry.js';
import { defaultSinks } from '../default-sink.js';

export const runUsage = `Usage: vigil run <config.yaml|json> [--log-level debug|info|warn|error] [--log-format pretty|json] [--data-dir DIR]

Runs a monitor until SIGINT/SIGTERM, then stops gracefully (second signal: exit at once).
Without sinks in the config, results go to the embedded default store in --data-dir (default .vigil).
`;

/** `vigil run <config>` */
export async function runCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: {
        'log-level': { type: 'string' },
        'log-format': { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    io.stderr(`vigil run: ${describeError(error)}\n${runUsage}`);
    return exitCodes.unknown;
  }
  if (values.help === true) {
    io.stdout(runUsage);
    return exitCodes.ok;
  }
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    io.stderr(`vigil run: expected one config file\n${runUsage}`);
    return exitCodes.unknown;
  }
  const level = (values['log-level'] as LogLevel | undefined) ?? 'info';
  const format = values['log-format'] === 'json' ? 'json' : 'pretty';

  const dataDirectory = path.resolve(io.cwd, (values['data-dir'] as string | undefined) ?? '.vigil');
  let options: MonitorOptions;
  let secrets: readonly string[];
  try {
    const loaded = await loadMonitorConfig(path.resolve(io.cwd, file), { env: io.env });
    secrets = loaded.secrets;
    // Every configured sink keeps what it cannot write yet on disk, so outages and restarts lose nothing.
    options = monitorOptionsFromConfig(loaded.config, createBuiltinRegistry(), { spoolDirectory: path.join(dataDirectory, 'spool') });
  } catch (error) {
    io.stderr(`vigil run: ${describeError(error)}\n`);
    return exitCodes.unknown;
  }
  const logger = createConsoleLogger({ level, format, secrets, write: (line) => io.stderr(`${line}\n`) });
  const sinks = options.sinks && options.sinks.length > 0 ? options.sinks : await defaultSinks(dataDirectory, logger);
  const monitor = createMonitor({ ...options, sinks, logger });

  const live = io.isTty ? createLiveStatus(monitor, io.stdout) : undefined;
  if (!live) {
    monitor.on('check:result', (record: ResultRecord) => {
      logger.info(`${record.checkId} ${record.status} ${record.reason} ${formatDuration(record.durationMs)}`, {
        target: record.target,
        ...(record.message && record.status !== 'up' ? { message: record.message } : {}),
      });
    });
  }
  monitor.on('alert:event', (event) => logger.warn(`alert ${event.state}: ${event.message}`, { rule: event.ruleId, check: event.checkId }));
  monitor.on('sink:drop', (event) => logger.warn('records dropped', { ...event }));

  try {
    await monitor.start();
  } catch (error) {
    io.stderr(`vigil run: cannot start: ${describeError(error)}\n`);
    return exitCodes.unknown;
  }
  const signal = await (io.stopRequested ?? new Promise<string>(() => {}));
  logger.info(`received ${signal}; stopping (again to exit at once)`);
  await monitor.stop();
  live?.stop();
  const stats = monitor.stats();
  logger.info('stopped', { results: stats.results, sinks: stats.sinks });
  return exitCodes.ok;
}
