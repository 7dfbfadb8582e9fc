import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findClosedPort } from './tcp-server.js';

export interface PrometheusServerOptions {
  /** `host:port` of the endpoints to scrape (loopback only). */
  readonly targets: readonly string[];
  /** Default `/metrics`. */
  readonly metricsPath?: string;
  /** Default 1000 ms (Prometheus's minimum is 1 s in practice for a quick test). */
  readonly scrapeIntervalMs?: number;
  /** The binary; default `prometheus` from PATH (Debian: `apt-get install prometheus`). */
  readonly command?: string;
  /** How long to wait for `/-/ready`; default 60 s. */
  readonly startTimeoutMs?: number;
}

/** One element of an instant vector from `/api/v1/query`. */
export interface PrometheusSample {
  readonly metric: Readonly<Record<string, string>>;
  /** `[unix seconds, value as text]`. */
  readonly value: readonly [number, string];
}

/** A real Prometheus server on loopback, scraping the given targets. */
export interface PrometheusServer {
  readonly port: number;
  /** `http://127.0.0.1:port`. */
  readonly url: string;
  /** Runs an instant PromQL query; throws when Prometheus reports an error. */
  query(promql: string): Promise<PrometheusSample[]>;
  /** Polls `query` until `accept` holds (default: a non-empty result) or `timeoutMs` (default 60 s) passes. */
  waitFor(promql: string, options?: { readonly timeoutMs?: number; readonly accept?: (samples: PrometheusSample[]) => boolean }): Promise<PrometheusSample[]>;
  /** Prometheus's view of its targets (`/api/v1/targets`), for failure messages. */
  targets(): Promise<unknown>;
  logs(): string;
  /** Stops Prometheus and removes its config and TSDB; idempotent. */
  close(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts Debian's `prometheus` with a config in a temporary directory, its TSDB there too, the
 * web API on 127.0.0.1 and a free port, scraping `targets` every `scrapeIntervalMs`; waits for
 * `/-/ready`. Never touches the system service's port or data.
 */
export async function startPrometheus(options: PrometheusServerOptions): Promise<PrometheusServer> {
  const command = options.command ?? 'prometheus';
  const intervalSeconds = Math.max(1, Math.round((options.scrapeIntervalMs ?? 1_000) / 1_000));
  const directory = await mkdtemp(path.join(tmpdir(), 'vigil-prometheus-'));
  const configFile = path.join(directory, 'prometheus.yml');
  await writeFile(
    configFile,
    [
      'global:',
      `  scrape_interval: ${intervalSeconds}s`,
      `  scrape_timeout: ${intervalSeconds}s`,
      `  evaluation_interval: ${intervalSeconds}s`,
      'scrape_configs:',
      '  - job_name: vigil',
      `    metrics_path: ${JSON.stringify(options.metricsPath ?? '/metrics')}`,
      '    static_configs:',
      `      - targets: ${JSON.stringify(options.targets)}`,
      '',
    ].join('\n'),
  );
  const port = await findClosedPort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child = spawn(
    command,
    [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(directory, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-8_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let failure: Error | undefined;
  child.once('error', (error: NodeJS.ErrnoException) => {
    failure =
      error.code === 'ENOENT' ? new Error(`[test-utils] ${command} is not installed; on Debian: apt-get install prometheus`) : new Error(`[test-utils] could not start ${command}: ${error.message}`);
  });
  child.once('exit', (code, signal) => {
    failure ??= new Error(`[test-utils] ${command} exited (${signal ?? `code ${code}`}): ${output.trim().split('\n').slice(-5).join(' | ')}`);
  });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const done = exited(child);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(timer);
      process.removeListener('exit', killOnExit);
      await rm(directory, { recursive: true, force: true });
    })();
    return closing;
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (failure) {
      await close();
      throw failure;
    }
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await close();
      throw new Error(`[test-utils] ${command} was not ready on ${url}: ${output.trim().split('\n').slice(-5).join(' | ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const query = async (promql: string): Promise<PrometheusSample[]> => {
    const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: PrometheusSample[] } };
    if (body.status !== 'success') throw new Error(`[test-utils] PromQL ${JSON.stringify(promql)} failed: ${body.error ?? response.status}`);
    return body.data?.result ?? [];
  };

  return {
    port,
    url,
    query,
    async waitFor(promql, waitOptions = {}) {
      const accept = waitOptions.accept ?? ((samples: PrometheusSample[]) => samples.length > 0);
      const until = Date.now() + (waitOptions.timeoutMs ?? 60_000);
      let last: PrometheusSample[] = [];
      while (Date.now() < until) {
        last = await query(promql);
        if (accept(last)) return last;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const targets = await fetch(`${url}/api/v1/targets`).then((response) => response.text(), () => 'unavailable');
      throw new Error(`[test-utils] ${JSON.stringify(promql)} did not return what was expected; last ${JSON.stringify(last)}; targets ${targets.slice(0, 1_000)}`);
    },
    targets: () => fetch(`${url}/api/v1/targets`).then((response) => response.json() as Promise<unknown>),
    logs: () => output,
    close,
  };
}

/** Runs `promtool check metrics` on an exposition (text format) and returns its exit code and output. */
export function checkMetricsWithPromtool(exposition: string, command = 'promtool'): Promise<{ readonly exitCode: number; readonly output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error(`[test-utils] ${command} is not installed; on Debian: apt-get install prometheus`) : error),
    );
    child.once('close', (code) => resolve({ exitCode: code ?? -1, output }));
    child.stdin.end(exposition);
  });
}
