import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { EchoSample, EchoSeriesRequest, EchoSeriesResult, Pinger } from './pinger.js';

// Debian installs ping in /usr/bin and fping in /usr/bin; some systems keep them in sbin, which
// unprivileged users often lack in PATH.
const extraDirectories = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The absolute path of an executable found in PATH (or the usual system directories), if any. */
export function findExecutable(name: string, searchPath: string = process.env.PATH ?? ''): string | undefined {
  const directories = [...searchPath.split(path.delimiter).filter(Boolean), ...extraDirectories];
  for (const directory of directories) {
    const candidate = path.join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

interface CommandRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly spawnError: Error | undefined;
}

/** Runs a command to completion; on abort, sends SIGINT (both tools then print what they have). */
function runCommand(file: string, args: readonly string[], signal: AbortSignal): Promise<CommandRun> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let spawnError: Error | undefined;
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.on('data', (text: string) => {
      stderr += text;
    });
    const onAbort = (): void => {
      child.kill('SIGINT');
      // A tool that ignores SIGINT must not hold the run.
      setTimeout(() => child.kill('SIGKILL'), 1_000).unref();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      spawnError = error;
    });
    child.on('close', (exitCode) => {
      signal.removeEventListener('abort', onAbort);
      resolve({ stdout, stderr, exitCode, spawnError });
    });
  });
}

/** Milliseconds as the seconds ping's `-i`/`-W` expect (three decimals). */
function seconds(milliseconds: number): string {
  return (Math.max(milliseconds, 1) / 1_000).toFixed(3);
}

/** The per-echo results of `fping -C N -q`: `addr : 0.05 0.04 - 0.03` on stderr. */
export function parseFpingCounts(output: string, address: string): EchoSample[] | undefined {
  for (const line of output.split('\n')) {
    const match = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
    if (!match || match[1] !== address) continue;
    const values = (match[2] ?? '').trim().split(/\s+/).filter(Boolean);
    if (!values.every((value) => value === '-' || /^\d+(?:\.\d+)?$/.test(value))) continue;
    return values.map((value) => (value === '-' ? {} : { rttMs: Number(value) }));
  }
  return undefined;
}

/** The per-echo results of iputils `ping -n`: reply lines, error lines, and the transmitted count. */
export function parsePingOutput(output: string): { samples: Map<number, EchoSample>; transmitted: number | undefined } {
  const samples = new Map<number, EchoSample>();
  let transmitted: number | undefined;
  for (const line of output.split('\n')) {
    const sequence = /icmp_seq=(\d+)/.exec(line);
    const time = /time[=<]([\d.]+) ms/.exec(line);
    if (sequence && time) {
      const ttl = /ttl=(\d+)/.exec(line);
      samples.set(Number(sequence[1]), { rttMs: Number(time[1]), ...(ttl ? { ttl: Number(ttl[1]) } : {}) });
      continue;
    }
    const error = /^From (\S+) icmp_seq=(\d+) (.+)$/.exec(line.trim());
    if (error) {
      samples.set(Number(error[2]), { error: `${error[3]} (from ${error[1]})` });
      continue;
    }
    const summary = /^(\d+) packets transmitted/.exec(line.trim());
    if (summary) transmitted = Number(summary[1]);
  }
  return { samples, transmitted };
}

/**
 * Sends echoes by running the system's `fping` or `ping` once per series. They carry
 * `cap_net_raw` (or use datagram ICMP sockets), so this works for any user, at the price of one
 * process per series; the tools time the echoes themselves.
 */
export class CommandPinger implements Pinger {
  constructor(
    readonly backend: 'fping' | 'ping',
    readonly executable: string,
  ) {}

  async echoSeries(request: EchoSeriesRequest): Promise<EchoSeriesResult> {
    if (request.signal.aborted) return { samples: [], aborted: true };
    return this.backend === 'fping' ? this.fping(request) : this.ping(request);
  }

  private async fping(request: EchoSeriesRequest): Promise<EchoSeriesResult> {
    const args = [
      `-${request.family}`,
      '-q',
      '-C',
      String(request.count),
      '-p',
      String(Math.max(1, Math.round(request.intervalMs))),
      '-t',
      String(Math.max(1, Math.round(request.timeoutMs))),
      '-b',
      String(request.payloadSize),
      request.address,
    ];
    const run = await runCommand(this.executable, args, request.signal);
    const aborted = request.signal.aborted;
    if (run.spawnError) return { samples: [], aborted, failure: `cannot run ${this.executable}: ${run.spawnError.message}` };
    const samples = parseFpingCounts(`${run.stderr}\n${run.stdout}`, request.address);
    if (!samples) return { samples: [], aborted, failure: `${path.basename(this.executable)} exited with ${run.exitCode}: ${(run.stderr || run.stdout).trim().slice(0, 300)}` };
    // After SIGINT, fping lists every echo it sent; the ones still in flight show as lost.
    return { samples: aborted ? samples.filter((sample) => sample.rttMs !== undefined) : samples, aborted };
  }

  private async ping(request: EchoSeriesRequest): Promise<EchoSeriesResult> {
    const args = [`-${request.family}`, '-n', '-c', String(request.count), '-i', seconds(request.intervalMs), '-W', seconds(request.timeoutMs), '-s', String(request.payloadSize), request.address];
    const run = await runCommand(this.executable, args, request.signal);
    const aborted = request.signal.aborted;
    if (run.spawnError) return { samples: [], aborted, failure: `cannot run ${this.executable}: ${run.spawnError.message}` };
    const { samples, transmitted } = parsePingOutput(run.stdout);
    if (transmitted === undefined && samples.size === 0) {
      return { samples: [], aborted, failure: `${path.basename(this.executable)} exited with ${run.exitCode}: ${(run.stderr || run.stdout).trim().slice(0, 300)}` };
    }
    if (aborted) return { samples: [...samples.values()], aborted };
    const sent = transmitted ?? request.count;
    return { samples: Array.from({ length: sent }, (_unused, index) => samples.get(index + 1) ?? {}), aborted };
  }

  async close(): Promise<void> {
    // Nothing long-lived: each series is its own process.
  }
}
