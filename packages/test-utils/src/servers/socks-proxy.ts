import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import type { ProxyOptions } from '@vigil/core';
import { type LoopbackHost, hostPort } from './connections.js';
import { findClosedPort } from './tcp-server.js';

export interface SocksProxyOptions {
  /** Require this username (microsocks `-u`); needs `password` too. */
  readonly username?: string;
  /** Require this password (microsocks `-P`). */
  readonly password?: string;
  /** Default `127.0.0.1`. */
  readonly host?: LoopbackHost;
  /** The binary to run; default `microsocks` from PATH (Debian: `apt-get install microsocks`). */
  readonly command?: string;
}

export interface SocksProxy {
  readonly host: LoopbackHost;
  readonly port: number;
  /** `socks5h://host:port`, without credentials. */
  readonly url: string;
  /** Ready for `createDialer({ proxy })` or a check's `proxy` option, with the credentials. */
  readonly proxy: ProxyOptions;
  /** The microsocks process id. */
  readonly pid: number;
  /** Stops microsocks (SIGTERM, then SIGKILL) and waits for it to exit; idempotent. */
  close(): Promise<void>;
}

const readyTimeoutMs = 10_000;
const startAttempts = 3;

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

async function launch(command: string, args: string[], host: LoopbackHost, port: number): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-2_000);
  });
  const failure = new Promise<Error>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      resolve(
        error.code === 'ENOENT'
          ? new Error(`[test-utils] ${command} is not installed; on Debian: apt-get install microsocks`)
          : new Error(`[test-utils] could not start ${command}: ${error.message}`),
      );
    });
    child.once('exit', (code, signal) => resolve(new Error(`[test-utils] ${command} exited (${signal ?? `code ${code}`}) before listening: ${stderr.trim()}`)));
  });
  const deadline = Date.now() + readyTimeoutMs;
  let failed: Error | undefined;
  void failure.then((error) => {
    failed = error;
  });
  // microsocks prints nothing when ready: poll until the port accepts.
  while (Date.now() < deadline) {
    if (failed) throw failed;
    if (await canConnect(host, port)) {
      if (failed) throw failed;
      return child;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.kill('SIGKILL');
  throw new Error(`[test-utils] ${command} did not listen on ${hostPort(host, port)} within ${readyTimeoutMs} ms: ${stderr.trim()}`);
}

/**
 * Starts Debian's `microsocks` SOCKS5 server on a free loopback port. A CONNECT to a closed
 * loopback port makes it answer reply 0x05 (connection refused): a real "proxy refuses the
 * destination" case. Only give it loopback destinations: it resolves names with the system resolver.
 */
export async function startSocksProxy(options: SocksProxyOptions = {}): Promise<SocksProxy> {
  const host = options.host ?? '127.0.0.1';
  const command = options.command ?? 'microsocks';
  if ((options.username === undefined) !== (options.password === undefined)) {
    throw new Error('[test-utils] startSocksProxy: give both username and password, or neither');
  }
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < startAttempts; attempt += 1) {
    // The port is free now; another process could take it before microsocks binds, hence the retries.
    const port = await findClosedPort({ host });
    const args = ['-i', host, '-p', String(port)];
    if (options.username !== undefined && options.password !== undefined) args.push('-u', options.username, '-P', options.password);
    let child: ChildProcess;
    try {
      child = await launch(command, args, host, port);
    } catch (error) {
      lastError = error as Error;
      if (/not installed/.test(lastError.message)) throw lastError;
      continue;
    }
    const proxy: ProxyOptions =
      options.username !== undefined && options.password !== undefined
        ? Object.freeze({ host, port, username: options.username, password: options.password })
        : Object.freeze({ host, port });
    let closing: Promise<void> | undefined;
    const running = child;
    return {
      host,
      port,
      url: `socks5h://${hostPort(host, port)}`,
      proxy,
      pid: running.pid as number,
      close() {
        closing ??= (async () => {
          const done = exited(running);
          running.kill('SIGTERM');
          const timer = setTimeout(() => running.kill('SIGKILL'), 2_000);
          await done;
          clearTimeout(timer);
        })();
        return closing;
      },
    };
  }
  throw lastError ?? new Error(`[test-utils] could not start ${command}`);
}
