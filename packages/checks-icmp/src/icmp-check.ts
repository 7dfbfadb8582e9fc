import { isIP } from 'node:net';
import {
  type Check,
  type CheckContext,
  type CheckResult,
  type PluginDefinition,
  type PluginMeta,
  abortReasonCode,
  classifyNetworkError,
  createResultFinisher,
  parseOptions,
  resolveHostAddress,
  roundMs,
} from '@vigil/core';
import { type PingerLease, acquirePinger } from './backend.js';
import { type IcmpCheckOptions, type ParsedIcmpCheckOptions, icmpCheckOptionsSchema } from './options.js';
import type { EchoSample } from './pinger.js';

/** Who the ICMP check is, for the plugin registry. */
export const icmpCheckMeta: PluginMeta = Object.freeze({ name: '@vigil/checks-icmp', kind: 'check', type: 'icmp', coreRange: '^0.1.0' });

/** Exact statistics of the round trips of one run (the histogram summary is bucketed). */
export interface RoundTripStatistics {
  readonly min: number;
  readonly avg: number;
  readonly max: number;
  /** Population standard deviation, as ping's `mdev` is close to. */
  readonly stddev: number;
  /** Mean absolute difference of consecutive round trips. */
  readonly jitter: number;
}

/** min/avg/max/stddev/jitter of round trips, or undefined for none. */
export function roundTripStatistics(values: readonly number[]): RoundTripStatistics | undefined {
  if (values.length === 0) return undefined;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (const value of values) {
    min = Math.min(min, value);
    max = Math.max(max, value);
    sum += value;
  }
  const avg = sum / values.length;
  let squares = 0;
  let differences = 0;
  values.forEach((value, index) => {
    squares += (value - avg) ** 2;
    if (index > 0) differences += Math.abs(value - (values[index - 1] as number));
  });
  return {
    min: roundMs(min),
    avg: roundMs(avg),
    max: roundMs(max),
    stddev: roundMs(Math.sqrt(squares / values.length)),
    jitter: roundMs(values.length > 1 ? differences / (values.length - 1) : 0),
  };
}

/**
 * Creates an ICMP echo check: `count` echoes `intervalMs` apart, each waiting `echoTimeoutMs`;
 * every round trip goes to the `rtt` histogram, loss decides the status.
 */
export function createIcmpCheck(options: IcmpCheckOptions): Check {
  const plan: ParsedIcmpCheckOptions = Object.freeze(parseOptions(icmpCheckOptionsSchema, options, { source: 'checks-icmp' }));
  const target = plan.host;
  let lease: PingerLease | undefined;

  const run = async (context: CheckContext): Promise<CheckResult> => {
    const started = context.clock.monotonicNow();
    const phases: Record<string, number> = {};
    const details: Record<string, unknown> = { host: plan.host };
    const finish = createResultFinisher({ clock: context.clock, started, phases, details });
    const abortedResult = (what: string): CheckResult => {
      const reason = abortReasonCode(context.signal.reason);
      return reason === 'aborted' ? finish('unknown', 'aborted', `${target}: aborted ${what}`) : finish('down', 'timeout', `${target}: timed out ${what}`);
    };

    let address: string;
    let family: 4 | 6;
    try {
      const lookupStarted = context.clock.monotonicNow();
      ({ address, family } = await resolveHostAddress({ host: plan.host, family: plan.family, signal: context.signal }));
      if (isIP(plan.host) === 0) phases.dns = roundMs(context.clock.monotonicNow() - lookupStarted);
    } catch (error) {
      if (context.signal.aborted) return abortedResult('resolving the name');
      const failure = classifyNetworkError(error, { phase: 'dns' });
      details.phase = 'dns';
      return finish('down', failure.reason === 'probe_error' ? 'dns_error' : failure.reason, `${target}: ${failure.message}`);
    }
    details.address = address;

    lease ??= acquirePinger(plan.backend);
    const { pinger, skipped } = lease.selection;
    if (skipped.length > 0) details.backendSkipped = skipped;
    if (!pinger) {
      return finish('unknown', 'unsupported', `${target}: no ICMP backend works in this process: ${skipped.join('; ')}`);
    }
    details.backend = pinger.backend;

    const series = await pinger.echoSeries({
      address,
      family,
      count: plan.count,
      intervalMs: plan.intervalMs,
      timeoutMs: plan.echoTimeoutMs,
      payloadSize: plan.payloadSize,
      signal: context.signal,
    });
    const sent = series.samples.length;
    const roundTrips: number[] = [];
    const errors = new Set<string>();
    let ttl: number | undefined;
    for (const sample of series.samples as readonly EchoSample[]) {
      if (sample.rttMs !== undefined) {
        roundTrips.push(sample.rttMs);
        context.metrics.histogram('rtt', sample.rttMs, { unit: 'ms' });
        ttl ??= sample.ttl;
      } else if (sample.error !== undefined) errors.add(sample.error);
    }
    const received = roundTrips.length;
    const lossPercent = sent === 0 ? 100 : roundMs(((sent - received) / sent) * 100);
    context.metrics.counter('sent', sent);
    context.metrics.counter('received', received);
    if (sent > 0) context.metrics.gauge('loss', lossPercent, { unit: '%' });
    const statistics = roundTripStatistics(roundTrips);
    Object.assign(details, { sent, received, lossPercent });
    if (statistics) details.rtt = statistics;
    if (ttl !== undefined) details.ttl = ttl;
    if (errors.size > 0) details.errors = [...errors].slice(0, 5);
    if (series.failure) details.backendFailure = series.failure;

    const counts = `${received}/${sent} replies`;
    if (series.aborted) return abortedResult(`after ${counts} of ${plan.count} echoes`);
    if (series.failure && sent === 0) return finish('unknown', 'probe_error', `${target}: the ${pinger.backend} backend failed: ${series.failure}`);
    const rttText = statistics ? `, rtt min/avg/max/stddev = ${statistics.min}/${statistics.avg}/${statistics.max}/${statistics.stddev} ms` : '';
    const errorText = errors.size > 0 ? ` (${[...errors].slice(0, 2).join('; ')})` : '';
    if (lossPercent >= plan.lossCriticalPercent) {
      return finish('down', 'packet_loss', `${target}: ${lossPercent}% loss, ${counts}${rttText}${errorText}`);
    }
    if (lossPercent > plan.lossWarnPercent) {
      return finish('degraded', 'packet_loss', `${target}: ${lossPercent}% loss, ${counts}${rttText}${errorText}`);
    }
    if (plan.slowMs !== undefined && statistics && statistics.avg > plan.slowMs) {
      return finish('degraded', 'slow_response', `${target}: mean round trip ${statistics.avg} ms is above ${plan.slowMs} ms, ${counts}${rttText}`);
    }
    return finish('up', 'ok', `${target}: ${counts}${rttText}`);
  };

  return Object.freeze({
    specificationVersion: 'v1' as const,
    meta: icmpCheckMeta,
    target,
    run,
    async shutdown() {
      const held = lease;
      lease = undefined;
      await held?.release();
    },
  });
}

/** The ICMP check as a registrable plugin (`type: icmp` in config files). */
export const icmpCheckPlugin: PluginDefinition<typeof icmpCheckOptionsSchema, Check> = Object.freeze({
  meta: icmpCheckMeta,
  optionsSchema: icmpCheckOptionsSchema,
  create: createIcmpCheck,
  description: 'Sends ICMP echoes (raw socket, or the system fping/ping) and reports loss, min/avg/max/stddev, jitter and the rtt histogram.',
});
