import { coreVersion, describeError } from '@vigil/core';
import { checkCommand, checkUsage } from './commands/check.js';
import { reportCommand, reportUsage } from './commands/report.js';
import { runCommand, runUsage } from './commands/run.js';
import { type CliIo, exitCodes } from './io.js';
import { builtinPlugins } from './registry.js';

const usage = `vigil — probe and monitor servers

Usage:
  vigil run <config.yaml|json>        run a monitor until SIGINT/SIGTERM
  vigil check <kind> <target> [...]   run one check; Nagios exit codes (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)
  vigil report [--db FILE] [...]      uptime, p50/p95/p99 and incidents from the embedded store
  vigil plugins                       list the built-in plugins
  vigil version

Run "vigil <command> --help" for a command's options.
`;

/** The CLI entry point; returns the process exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest, io);
      case 'check':
        return await checkCommand(rest, io);
      case 'report':
        return await reportCommand(rest, io);
      case 'plugins':
        for (const plugin of builtinPlugins) io.stdout(`${plugin.meta.kind.padEnd(9)} ${plugin.meta.type.padEnd(12)} ${plugin.meta.name}${plugin.description ? ` — ${plugin.description}` : ''}\n`);
        return exitCodes.ok;
      case 'version':
      case '--version':
        io.stdout(`vigil ${coreVersion}\n`);
        return exitCodes.ok;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(usage);
        if (rest[0] === 'check') io.stdout(checkUsage());
        if (rest[0] === 'run') io.stdout(runUsage);
        if (rest[0] === 'report') io.stdout(reportUsage);
        return command === undefined ? exitCodes.unknown : exitCodes.ok;
      default:
        io.stderr(`vigil: unknown command "${command}"\n${usage}`);
        return exitCodes.unknown;
    }
  } catch (error) {
    io.stderr(`vigil: unexpected error: ${describeError(error)}\n`);
    return exitCodes.unknown;
  }
}
