/**
 * Real local DNS servers for the tests: Debian's dnsmasq on a loopback port, and small node:dgram
 * servers that answer with what a test hands them (failing upstreams, malformed replies).
 * Everything listens on loopback only, and dnsmasq never forwards anywhere but where a test says.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findClosedPort } from '@vigil/test-utils';
import { encodeName } from '../wire.js';

export interface Dnsmasq {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Everything dnsmasq printed (its log goes to stderr with --no-daemon). */
  readonly log: () => string;
  close(): Promise<void>;
}

export interface DnsmasqOptions {
  /** The hosts file it serves (`address name...` lines). */
  readonly hosts: string;
  /** Record flags: `--txt-record=...`, `--mx-host=...`, `--dns-rr=...`, `--server=/zone/127.0.0.1#port`... */
  readonly arguments?: readonly string[];
  /** Also listen on ::1. */
  readonly ipv6?: boolean;
}

function waitForExit(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Starts dnsmasq serving `hosts` plus the given records on a free loopback port; no upstream unless a `--server` flag names a local one. */
export async function startDnsmasq(options: DnsmasqOptions): Promise<Dnsmasq> {
  const directory = await mkdtemp(path.join(tmpdir(), 'vigil-dnsmasq-'));
  // dnsmasq drops root privileges to nobody; it must still read the hosts file.
  await chmod(directory, 0o755);
  const hostsFile = path.join(directory, 'hosts');
  await writeFile(hostsFile, options.hosts, { mode: 0o644 });
  for (let attempt = 1; ; attempt += 1) {
    // A TCP port that was free; dnsmasq also binds UDP on it, and fails to start if that is taken.
    const port = await findClosedPort();
    const child = spawn(
      'dnsmasq',
      [
        '--no-daemon',
        '--conf-file=/dev/null',
        '--pid-file=',
        `--port=${port}`,
        '--listen-address=127.0.0.1',
        ...(options.ipv6 ? ['--listen-address=::1'] : []),
        '--bind-interfaces',
        '--no-resolv',
        '--no-hosts',
        '--no-poll',
        '--cache-size=0',
        `--addn-hosts=${hostsFile}`,
        ...(options.arguments ?? []),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    child.stderr?.setEncoding('utf8');
    const ready = new Promise<boolean>((resolve) => {
      child.stderr?.on('data', (text: string) => {
        log += text;
        // The hosts file is read after the sockets are bound: then queries work.
        if (log.includes(`read ${hostsFile}`)) resolve(true);
      });
      child.once('exit', () => resolve(false));
      child.once('error', (error) => {
        log += String(error);
        resolve(false);
      });
    });
    if (await ready) {
      return {
        host: '127.0.0.1',
        port,
        log: () => log,
        async close() {
          child.kill('SIGTERM');
          await waitForExit(child);
          await rm(directory, { recursive: true, force: true });
        },
      };
    }
    await waitForExit(child);
    if (attempt >= 5 || !log.includes('Address already in use')) {
      await rm(directory, { recursive: true, force: true });
      throw new Error(`dnsmasq did not start (is dnsmasq-base installed? .ci/run installs it): ${log.trim()}`);
    }
  }
}

export interface ScriptedDnsServer {
  readonly host: '127.0.0.1' | '::1';
  readonly port: number;
  /** Queries received, in order. */
  readonly queries: Buffer[];
  close(): Promise<void>;
}

/**
 * A UDP server that answers each query with whatever `answer` returns (nothing when undefined),
 * after `delayMs`. For failing upstreams, malformed replies and silence.
 */
export async function startScriptedDnsServer(
  answer: (query: Buffer) => Buffer | readonly Buffer[] | undefined,
  options: { readonly host?: '127.0.0.1' | '::1'; readonly delayMs?: number } = {},
): Promise<ScriptedDnsServer> {
  const host = options.host ?? '127.0.0.1';
  const socket = dgram.createSocket(host === '::1' ? 'udp6' : 'udp4');
  const queries: Buffer[] = [];
  const timers = new Set<NodeJS.Timeout>();
  socket.on('message', (query, remote) => {
    queries.push(query);
    const reply = answer(query);
    if (reply === undefined) return;
    const send = (): void => {
      for (const datagram of Buffer.isBuffer(reply) ? [reply] : reply) socket.send(datagram, remote.port, remote.address);
    };
    if (!options.delayMs) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      send();
    }, options.delayMs);
    timers.add(timer);
  });
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return {
    host,
    port: socket.address().port,
    queries,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        socket.close(() => resolve());
      }),
  };
}

/** The question section of a query (from offset 12 to the end of its first question). */
export function questionOf(query: Buffer): Buffer {
  let offset = 12;
  while (offset < query.length && query[offset] !== 0) offset += (query[offset] as number) + 1;
  return query.subarray(12, offset + 5);
}

/** A reply to `query` with the given rcode, flags and raw answer records (owner = the question name via a pointer). */
export function replyTo(query: Buffer, options: { rcode?: number; answers?: readonly { type: number; ttl?: number; data: Buffer }[]; flags?: number } = {}): Buffer {
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2);
  header.writeUInt16BE((options.flags ?? 0x8180) | (options.rcode ?? 0), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(options.answers?.length ?? 0, 6);
  const records = (options.answers ?? []).map((record) => {
    const fixed = Buffer.alloc(12);
    fixed.writeUInt16BE(0xc00c, 0);
    fixed.writeUInt16BE(record.type, 2);
    fixed.writeUInt16BE(1, 4);
    fixed.writeUInt32BE(record.ttl ?? 60, 6);
    fixed.writeUInt16BE(record.data.length, 10);
    return Buffer.concat([fixed, record.data]);
  });
  return Buffer.concat([header, questionOf(query), ...records]);
}

/** The hex data of an SOA record, for `--dns-rr=name,6,hex` (dnsmasq has no SOA flag outside auth mode). */
export function soaRecordHex(primary: string, mailbox: string, numbers: readonly [number, number, number, number, number]): string {
  const fields = Buffer.alloc(20);
  numbers.forEach((value, index) => fields.writeUInt32BE(value, index * 4));
  return Buffer.concat([encodeName(primary), encodeName(mailbox), fields]).toString('hex');
}

/** The hex data of a name, for `--dns-rr=name,2,hex` (NS). */
export function nameHex(name: string): string {
  return encodeName(name).toString('hex');
}
