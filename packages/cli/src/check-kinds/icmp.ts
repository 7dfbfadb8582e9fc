import { VigilError, parseDuration } from '@vigil/core';
import type { CheckKindCommand, FlagValues } from './types.js';

function integerFlag(flags: FlagValues, name: string): number | undefined {
  const text = flags[name];
  if (typeof text !== 'string') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value)) throw new VigilError('VIGIL_ERR_CONFIG', `[cli] --${name}: expected an integer, got ${JSON.stringify(text)}`, { path: name });
  return value;
}

/** `vigil check icmp <host>`: --count echoes in one run; the summary reads the `rtt` histogram and the `sent` counter. */
export const icmpCheckCommand: CheckKindCommand = {
  type: 'icmp',
  usage: 'vigil check icmp <host> [--count N] [--interval 1s] [--echo-timeout 1s] [--size 56] [--family 4|6] [--backend auto|raw|fping|ping] [--loss-warn PCT] [--loss-critical PCT]',
  summary: 'ICMP echo (ping): loss, min/avg/max/stddev, jitter and percentiles over --count echoes',
  countMode: 'option',
  summaryHistogram: 'rtt',
  flags: {
    'echo-timeout': { type: 'string' },
    size: { type: 'string', short: 's' },
    family: { type: 'string' },
    backend: { type: 'string' },
    'loss-warn': { type: 'string' },
    'loss-critical': { type: 'string' },
  },
  toOptions(target, flags, common) {
    // ping prints IPv6 targets bare; accept `[::1]` too.
    const host = /^\[(.+)\]$/.exec(target)?.[1] ?? target;
    const options: Record<string, unknown> = { host, count: common.count, intervalMs: common.intervalMs };
    if (typeof flags['echo-timeout'] === 'string') options.echoTimeoutMs = parseDuration(flags['echo-timeout'], 'echo-timeout');
    const size = integerFlag(flags, 'size');
    if (size !== undefined) options.payloadSize = size;
    const family = integerFlag(flags, 'family');
    if (family !== undefined) options.family = family;
    if (typeof flags.backend === 'string') options.backend = flags.backend;
    const lossWarn = integerFlag(flags, 'loss-warn');
    if (lossWarn !== undefined) options.lossWarnPercent = lossWarn;
    const lossCritical = integerFlag(flags, 'loss-critical');
    if (lossCritical !== undefined) options.lossCriticalPercent = lossCritical;
    return options;
  },
};
