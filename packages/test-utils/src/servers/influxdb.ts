import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findClosedPort } from './tcp-server.js';

export interface InfluxdbServerOptions {
  /**
   * Where influxd keeps meta, data and WAL. Default: a fresh temporary directory, removed by
   * `close()`. Give the same directory to a second server to reopen its data.
   */
  readonly dataDirectory?: string;
  /** HTTP port on 127.0.0.1; default a free one. */
  readonly port?: number;
  /** Turn on `[http] auth-enabled` and create an admin user (see `adminUsername`/`adminPassword`). */
  readonly auth?: boolean;
  /** The binary; default `influxd` from PATH (Debian: `apt-get install influxdb`). */
  readonly command?: string;
  /** How long to wait for `/ping` to answer 204; default 60 s (influxd opens its shards first). */
  readonly startTimeoutMs?: number;
}

/** One row set of an InfluxQL answer. */
export interface InfluxSeries {
  readonly name: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly columns: readonly string[];
  readonly values: readonly (readonly unknown[])[];
}

/** A real InfluxDB 1.x (`influxd`) on loopback, started by a test. */
export interface InfluxdbServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `http://127.0.0.1:port`, no trailing slash. */
  readonly url: string;
  readonly dataDirectory: string;
  /** Set when started with `auth: true`: an admin with all privileges. */
  readonly adminUsername: string | undefined;
  readonly adminPassword: string | undefined;
  /** The influxd process id while it runs. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Runs InfluxQL (as the admin when auth is on) and returns the first statement's series; throws on an error. */
  query(statement: string, options?: { readonly database?: string }): Promise<InfluxSeries[]>;
  createDatabase(name: string): Promise<void>;
  /** `SELECT count(field) FROM measurement` over all series; 0 when there are none. */
  count(database: string, measurement: string, field: string): Promise<number>;
  /** Stops influxd (SIGTERM waits for a clean exit; SIGKILL is a crash) and keeps its data. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts influxd again on the same port and data directory. */
  restart(): Promise<void>;
  /** The last lines influxd wrote (for failure messages). */
  logs(): string;
  /** Stops influxd and removes the data directory when the harness created it; idempotent. */
  close(): Promise<void>;
}

const ADMIN_USERNAME = 'vigil_admin';
const startAttempts = 3;

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

function configText(directory: string, httpPort: number, rpcPort: number, auth: boolean): string {
  // Everything but the HTTP API is off; every listener is on loopback.
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${path.join(directory, 'meta')}"

[data]
  dir = "${path.join(directory, 'data')}"
  wal-dir = "${path.join(directory, 'wal')}"
  query-log-enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = ${auth}
  log-enabled = false
  write-tracing = false
  pprof-enabled = false

[[graphite]]
  enabled = false

[[collectd]]
  enabled = false

[[opentsdb]]
  enabled = false

[[udp]]
  enabled = false

[continuous_queries]
  enabled = false

[subscriber]
  enabled = false

[logging]
  level = "warn"
`;
}

async function ping(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.status === 204;
  } catch {
    return false;
  }
}

/**
 * Starts Debian's InfluxDB 1.x (`influxd`) with its own config in a temporary directory, HTTP on
 * 127.0.0.1 and a free port (the RPC bind address on another loopback port), and waits for
 * `/ping` to answer 204. Never uses the system service's ports or data. The process is killed
 * when the test process exits, even if `close()` is never reached.
 */
export async function startInfluxdb(options: InfluxdbServerOptions = {}): Promise<InfluxdbServer> {
  const command = options.command ?? 'influxd';
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const ownsDirectory = options.dataDirectory === undefined;
  const dataDirectory = options.dataDirectory ?? (await mkdtemp(path.join(tmpdir(), 'vigil-influxd-')));
  await mkdir(dataDirectory, { recursive: true });
  const auth = options.auth === true;
  const adminPassword = auth ? `pw-${Math.random().toString(36).slice(2)}` : undefined;
  let port = options.port ?? 0;
  let child: ChildProcess | undefined;
  let output = '';
  let closing: Promise<void> | undefined;

  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const authorization = (): Record<string, string> =>
    auth && adminPassword !== undefined ? { authorization: `Basic ${Buffer.from(`${ADMIN_USERNAME}:${adminPassword}`).toString('base64')}` } : {};

  const launch = async (httpPort: number): Promise<void> => {
    const rpcPort = await findClosedPort();
    const configFile = path.join(dataDirectory, 'influxd.conf');
    await writeFile(configFile, configText(dataDirectory, httpPort, rpcPort, auth));
    const spawned = spawn(command, ['-config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-8_000);
    };
    spawned.stdout?.on('data', collect);
    spawned.stderr?.on('data', collect);
    let failure: Error | undefined;
    spawned.once('error', (error: NodeJS.ErrnoException) => {
      failure =
        error.code === 'ENOENT'
          ? new Error(`[test-utils] ${command} is not installed; on Debian: apt-get install influxdb`)
          : new Error(`[test-utils] could not start ${command}: ${error.message}`);
    });
    spawned.once('exit', (code, signal) => {
      failure ??= new Error(`[test-utils] ${command} exited (${signal ?? `code ${code}`}): ${output.trim().split('\n').slice(-5).join(' | ')}`);
    });
    child = spawned;
    const url = `http://127.0.0.1:${httpPort}`;
    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline) {
      if (failure) throw failure;
      if (await ping(url)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    spawned.kill('SIGKILL');
    await exited(spawned);
    throw new Error(`[test-utils] ${command} did not answer /ping on ${url} within ${startTimeoutMs} ms: ${output.trim().split('\n').slice(-5).join(' | ')}`);
  };

  const start = async (): Promise<void> => {
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < startAttempts; attempt += 1) {
      // A free port can be taken by another process before influxd binds it, hence the retries.
      const httpPort = options.port ?? (port !== 0 ? port : await findClosedPort());
      try {
        await launch(httpPort);
        port = httpPort;
        return;
      } catch (error) {
        lastError = error as Error;
        if (/not installed/.test(lastError.message) || port !== 0 || options.port !== undefined) throw lastError;
      }
    }
    throw lastError ?? new Error(`[test-utils] could not start ${command}`);
  };

  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const done = exited(running);
    running.kill(signal);
    const timer = setTimeout(() => running.kill('SIGKILL'), 15_000);
    await done;
    clearTimeout(timer);
  };

  const query = async (statement: string, queryOptions: { readonly database?: string } = {}): Promise<InfluxSeries[]> => {
    const body = new URLSearchParams({ q: statement });
    if (queryOptions.database !== undefined) body.set('db', queryOptions.database);
    const response = await fetch(`http://127.0.0.1:${port}/query?epoch=ms`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...authorization() },
      body,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    let parsed: { error?: string; results?: { error?: string; series?: InfluxSeries[] }[] };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new Error(`[test-utils] influxd answered ${response.status}: ${text.slice(0, 200)}`);
    }
    const first = parsed.results?.[0];
    const error = parsed.error ?? first?.error;
    if (error !== undefined || response.status >= 400) throw new Error(`[test-utils] InfluxQL ${JSON.stringify(statement)} failed: ${error ?? response.status}`);
    return first?.series ?? [];
  };

  try {
    await start();
    if (auth) {
      // With no users yet, influxd lets the first admin be created without credentials.
      const response = await fetch(`http://127.0.0.1:${port}/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ q: `CREATE USER "${ADMIN_USERNAME}" WITH PASSWORD '${adminPassword}' WITH ALL PRIVILEGES` }),
      });
      const text = await response.text();
      // On a reopened data directory the admin exists already.
      if (response.status >= 400 && !/already exists|create admin user first|not authorized/i.test(text)) throw new Error(`[test-utils] cannot create the influxd admin: ${text}`);
    }
  } catch (error) {
    await stop('SIGKILL');
    process.removeListener('exit', killOnExit);
    if (ownsDirectory) await rm(dataDirectory, { recursive: true, force: true });
    throw error;
  }

  const server: InfluxdbServer = {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    dataDirectory,
    adminUsername: auth ? ADMIN_USERNAME : undefined,
    adminPassword,
    get pid() {
      return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    query,
    async createDatabase(name) {
      await query(`CREATE DATABASE "${name.replace(/"/g, '\\"')}"`);
    },
    async count(database, measurement, field) {
      const series = await query(`SELECT count("${field}") FROM "${measurement}"`, { database });
      const value = series[0]?.values[0]?.[1];
      return typeof value === 'number' ? value : 0;
    },
    stop,
    async restart() {
      await stop('SIGTERM');
      await start();
    },
    logs: () => output,
    close() {
      closing ??= (async () => {
        await stop('SIGTERM');
        process.removeListener('exit', killOnExit);
        if (ownsDirectory) await rm(dataDirectory, { recursive: true, force: true });
      })();
      return closing;
    },
  };
  return server;
}
