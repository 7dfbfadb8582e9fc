import path from 'node:path';
import { consecutiveFailures, createConsoleLogger, createMonitor, formatDuration } from '@vigil/core';
import type { Monitor, Sink } from '@vigil/core';
import { createHttpCheck } from '@vigil/checks-http';
import { createTcpCheck } from '@vigil/checks-tcp';
import { createDefaultStore } from './store.js';
import { type DemoService, startApiService, startBannerService, startFlakyService } from './services.js';

export interface DemoOptions {
  /** Where the embedded store keeps its file. */
  readonly dataDirectory: string;
  /** Stop by itself after this long (default: run until stopped). */
  readonly durationMs?: number;
  /** How often to print the summary; default 5 s. */
  readonly summaryEveryMs?: number;
  readonly write?: (text: string) => void;
  /** Resolves when the user asks to stop. */
  readonly stopRequested?: Promise<unknown>;
  /** Check interval; default 2 s. */
  readonly interval?: string;
}

/** A readable summary: one line per check with status, last latency, p50/p95/p99 over 5 min. */
export function formatSummary(monitor: Monitor): string {
  const lines = monitor.checks().map((check) => {
    const stats = monitor.metrics.get(check.id)?.stats(300_000);
    const last = check.last;
    const latency = stats && stats.count > 0 ? `p50 ${formatDuration(stats.p50)}  p95 ${formatDuration(stats.p95)}  p99 ${formatDuration(stats.p99)}` : 'no successful samples yet';
    const ratio = stats ? `${(stats.successRatio * 100).toFixed(1)}% ok` : '';
    return `  ${check.id.padEnd(6)} ${(last?.status ?? 'pending').toUpperCase().padEnd(9)} ${(last ? formatDuration(last.durationMs) : '').padStart(8)}  ${latency}  ${ratio}${last && last.reason !== 'ok' ? `  (${last.reason})` : ''}`;
  });
  return `${new Date().toISOString()}  ${monitor.stats().results} results stored\n${lines.join('\n')}\n`;
}

/** Starts three local services and a monitor of them; resolves when stopped. */
export async function runDemo(options: DemoOptions): Promise<{ results: number; sink: Sink }> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const services: DemoService[] = [await startApiService(), await startBannerService(), await startFlakyService()];
  const [api, mail, flaky] = services as [DemoService, DemoService, DemoService];
  const store = await createDefaultStore(path.resolve(options.dataDirectory));
  const interval = options.interval ?? '2s';
  const monitor = createMonitor({
    logger: createConsoleLogger({ level: 'warn' }),
    sinks: [store.sink],
    rules: [consecutiveFailures({ failures: 3, successes: 2 })],
    checks: [
      {
        id: 'api',
        check: createHttpCheck({ url: `http://127.0.0.1:${api.port}/health`, expect: { status: 200, body: { jsonPath: ['$.status == ok'] } } }),
        interval,
        tags: { service: 'api' },
      },
      { id: 'mail', check: createTcpCheck({ host: '127.0.0.1', port: mail.port, expect: '^220 ' }), interval, tags: { service: 'mail' } },
      { id: 'flaky', check: createTcpCheck({ host: '127.0.0.1', port: flaky.port }), interval, timeout: '1s', tags: { service: 'flaky' } },
    ],
  });
  monitor.on('alert:firing', (event) => write(`ALERT  ${event.message}\n`));
  monitor.on('alert:resolved', (event) => write(`OK     ${event.message}\n`));

  write(`Vigil quick start: monitoring 3 local services; results go to ${store.location}\n`);
  write('The "flaky" service goes away for 20 s every minute. Press Ctrl-C to stop.\n\n');
  await monitor.start();
  const summaryTimer = setInterval(() => write(formatSummary(monitor)), options.summaryEveryMs ?? 5_000);
  const stops: Promise<unknown>[] = [];
  if (options.stopRequested) stops.push(options.stopRequested);
  if (options.durationMs !== undefined) stops.push(new Promise((resolve) => setTimeout(resolve, options.durationMs)));
  await (stops.length > 0 ? Promise.race(stops) : new Promise(() => {}));
  clearInterval(summaryTimer);
  await monitor.stop();
  for (const service of services) await service.close();
  write(`\nStopped. ${monitor.stats().results} results stored in ${store.location}\n${formatSummary(monitor)}`);
  write(store.summary('1h'));
  return { results: monitor.stats().results, sink: store.sink };
}
