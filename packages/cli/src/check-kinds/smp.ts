import { parseDuration } from '@vigil/core';
import type { CheckKindCommand, FlagValues } from './types.js';

/** The per-probe histogram each mode records; the summary's percentiles come from it. */
const smpModeHistograms: Readonly<Record<string, string>> = { ping: 'rtt', queue: 'queue_time', delivery: 'delivery_time' };

/** Options every SimpleX command shares: proxy (or --tor), onion mode, credentials, timeouts. */
function transportOptions(flags: FlagValues): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (typeof flags.proxy === 'string') options.proxy = flags.proxy;
  else if (flags.tor === true) options.proxy = true;
  if (typeof flags.onion === 'string') options.onion = flags.onion;
  if (flags['random-credentials'] === true) options.randomCredentials = true;
  if (typeof flags['connect-timeout'] === 'string') options.connectTimeoutMs = parseDuration(flags['connect-timeout'], 'connect-timeout');
  if (typeof flags['protocol-timeout'] === 'string') options.protocolTimeoutMs = parseDuration(flags['protocol-timeout'], 'protocol-timeout');
  return options;
}

export const simplexTransportFlags = {
  mode: { type: 'string', short: 'm' },
  proxy: { type: 'string' },
  tor: { type: 'boolean' },
  onion: { type: 'string' },
  'random-credentials': { type: 'boolean' },
  'connect-timeout': { type: 'string' },
  'protocol-timeout': { type: 'string' },
} as const;

/**
 * A SimpleX kind: the check sends `--count` probes in one run (PINGs, messages), so the summary
 * reads the histogram of the chosen mode (set when the options are built; one command per process).
 */
export function simplexCommand(base: Omit<CheckKindCommand, 'countMode' | 'summaryHistogram' | 'toOptions'>, histograms: Readonly<Record<string, string>>): CheckKindCommand {
  let mode = 'ping';
  return {
    ...base,
    countMode: 'option',
    get summaryHistogram() {
      return histograms[mode] ?? 'rtt';
    },
    toOptions(target, flags, common) {
      mode = typeof flags.mode === 'string' ? flags.mode : 'ping';
      const options: Record<string, unknown> = { server: target, count: common.count, intervalMs: common.count > 1 ? common.intervalMs : 0, ...transportOptions(flags) };
      if (typeof flags.mode === 'string') options.mode = flags.mode;
      return options;
    },
  };
}

/** `vigil check smp '<smp://keyHash[:password]@host[,host][:port]>'`. */
export const smpCheckCommand: CheckKindCommand = simplexCommand(
  {
    type: 'smp',
    usage: "vigil check smp 'smp://<keyHash>[:<password>]@<host>[,<host>][:<port>]' [--mode ping|queue|delivery] [--count N] [--proxy socks5://127.0.0.1:9050 | --tor] [--onion never|prefer|require] [--random-credentials]",
    summary: 'SimpleX SMP relay: pinned identity and handshake, then PING (RTT percentiles over --count), the queue test, or a verified message delivery',
    flags: simplexTransportFlags,
  },
  smpModeHistograms,
);
