import { randomBytes, randomInt } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { buildEchoRequest, describeIcmpError, readIcmpV4, readIcmpV6 } from './packet.js';
import { type EchoSample, type EchoSeriesRequest, type EchoSeriesResult, type Pinger, delay } from './pinger.js';

/** The parts of the `raw-socket` addon the pinger uses. */
export interface RawSocket {
  on(event: 'message', listener: (buffer: Buffer, source: string) => void): unknown;
  on(event: 'error' | 'close', listener: (error?: Error) => void): unknown;
  send(buffer: Buffer, offset: number, length: number, address: string, beforeCallback: () => void, afterCallback: (error: Error | null) => void): unknown;
  setOption(level: number, option: number, value: Buffer | number, length?: number): void;
  close(): unknown;
}

export interface RawSocketModule {
  createSocket(options: { protocol: number; addressFamily?: number; bufferSize?: number }): RawSocket;
  readonly Protocol: { readonly ICMP: number; readonly ICMPv6: number };
  readonly AddressFamily: { readonly IPv4: number; readonly IPv6: number };
  readonly SocketLevel: { readonly SOL_SOCKET: number };
  readonly SocketOption: { readonly SO_RCVBUF: number };
}

/** Loads the optional `raw-socket` addon; throws (module not found, failed build) when it is not usable. */
export function loadRawSocketModule(): RawSocketModule {
  return createRequire(import.meta.url)('raw-socket') as RawSocketModule;
}

// Linux socket options (linux/icmp.h, linux/icmpv6.h): let the kernel drop every ICMP type the
// pinger never reads, so a loopback ping does not wake us for our own echo requests.
const solRaw = 255;
const icmpFilter = 1;
const ipprotoIcmpV6 = 58;
const icmp6Filter = 1;

function icmpV4FilterValue(): Buffer {
  const blocked = ~((1 << 0) | (1 << 3) | (1 << 11)) >>> 0;
  const value = Buffer.alloc(4);
  value.writeUInt32LE(blocked, 0);
  return value;
}

function icmpV6FilterValue(): Buffer {
  // A set bit blocks the type; pass echo reply (129), destination unreachable (1) and time exceeded (3).
  const words = new Uint32Array(8).fill(0xffffffff);
  for (const type of [129, 1, 3]) words[type >> 5] = (words[type >> 5] as number) & ~(1 << (type & 31));
  return Buffer.from(words.buffer);
}

interface Probe {
  readonly key: number;
  readonly address: string;
  readonly family: 4 | 6;
  sentAt: number;
  timer: NodeJS.Timeout | undefined;
  resolve: (sample: EchoSample) => void;
}

interface FamilySocket {
  readonly socket: RawSocket;
  closed: boolean;
}

export interface RawPingerOptions {
  readonly module: RawSocketModule;
  /** Close idle sockets after this long without echoes in flight; default 1000 ms. */
  readonly idleCloseMs?: number;
}

/**
 * One raw ICMP socket per address family, shared by every series: echoes are told apart by
 * identifier and sequence (one 32-bit counter split across both), the source address and an
 * 8-byte per-pinger cookie at the start of the payload. Send and receive times are taken in the
 * socket's own callbacks, right around `sendto` and as the reply event fires.
 */
export class RawSocketPinger implements Pinger {
  readonly backend = 'raw' as const;
  private readonly module: RawSocketModule;
  private readonly sockets = new Map<4 | 6, FamilySocket>();
  private readonly probes = new Map<number, Probe>();
  private readonly cookie = randomBytes(8);
  private readonly identifierBase = randomInt(0, 0x10000);
  private counter = randomInt(0, 0x10000);
  private readonly idleCloseMs: number;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(options: RawPingerOptions) {
    this.module = options.module;
    this.idleCloseMs = options.idleCloseMs ?? 1_000;
  }

  /** Opens the socket of a family now; throws the OS error (EPERM without CAP_NET_RAW). */
  open(family: 4 | 6): void {
    this.socketFor(family);
  }

  private socketFor(family: 4 | 6): RawSocket {
    const existing = this.sockets.get(family);
    if (existing && !existing.closed) return existing.socket;
    const { module } = this;
    const socket = module.createSocket(
      family === 4 ? { protocol: module.Protocol.ICMP, addressFamily: module.AddressFamily.IPv4, bufferSize: 4096 } : { protocol: module.Protocol.ICMPv6, addressFamily: module.AddressFamily.IPv6, bufferSize: 4096 },
    );
    const entry: FamilySocket = { socket, closed: false };
    try {
      if (family === 4) socket.setOption(solRaw, icmpFilter, icmpV4FilterValue(), 4);
      else socket.setOption(ipprotoIcmpV6, icmp6Filter, icmpV6FilterValue(), 32);
    } catch {
      // Not Linux, or an old kernel: the pinger filters in JavaScript as well.
    }
    try {
      // Room for a burst of replies from thousands of targets (the kernel caps it at rmem_max).
      socket.setOption(module.SocketLevel.SOL_SOCKET, module.SocketOption.SO_RCVBUF, 1 << 20);
    } catch {
      // Keep the default buffer.
    }
    const onMessage = family === 4 ? (buffer: Buffer, source: string) => this.onPacket(4, buffer, source) : (buffer: Buffer, source: string) => this.onPacket(6, buffer, source);
    socket.on('message', onMessage);
    socket.on('error', (error?: Error) => this.onSocketError(family, entry, error));
    socket.on('close', () => {
      entry.closed = true;
    });
    this.sockets.set(family, entry);
    return socket;
  }

  private onSocketError(family: 4 | 6, entry: FamilySocket, error: Error | undefined): void {
    // raw-socket closes the socket after an error; every echo in flight on it is lost.
    entry.closed = true;
    if (this.sockets.get(family) === entry) this.sockets.delete(family);
    for (const probe of [...this.probes.values()]) if (probe.family === family) this.settle(probe, { error: `raw socket error: ${error?.message ?? 'unknown'}` });
  }

  private onPacket(family: 4 | 6, buffer: Buffer, source: string): void {
    // First thing: the receive time, as close to the socket event as JavaScript gets.
    const receivedAt = performance.now();
    const packet = family === 4 ? readIcmpV4(buffer) : readIcmpV6(buffer);
    if (packet.kind === 'other') return;
    const key = packet.identifier * 0x10000 + packet.sequence;
    const probe = this.probes.get(key);
    if (!probe || probe.family !== family) return;
    if (packet.kind === 'reply') {
      if (source !== probe.address || !this.hasCookie(packet.payload)) return;
      this.settle(probe, { rttMs: receivedAt - probe.sentAt, ...(packet.ttl === undefined ? {} : { ttl: packet.ttl }) });
      return;
    }
    if (packet.destination !== undefined && packet.destination !== probe.address) return;
    this.settle(probe, { error: `${describeIcmpError(family, packet.type, packet.code)} (from ${source})` });
  }

  private hasCookie(payload: Uint8Array): boolean {
    const length = Math.min(this.cookie.length, payload.length);
    for (let index = 0; index < length; index += 1) if (payload[index] !== this.cookie[index]) return false;
    return true;
  }

  private settle(probe: Probe, sample: EchoSample): void {
    if (this.probes.get(probe.key) !== probe) return;
    this.probes.delete(probe.key);
    if (probe.timer !== undefined) clearTimeout(probe.timer);
    probe.resolve(sample);
    if (this.probes.size === 0) this.scheduleIdleClose();
  }

  private scheduleIdleClose(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.probes.size === 0) this.closeSockets();
    }, this.idleCloseMs);
  }

  private nextKey(): number {
    // Skip keys still in flight: only after 2^32 echoes could a key come round while in use.
    for (;;) {
      this.counter = (this.counter + 1) % 0x1_0000_0000;
      const identifier = (this.identifierBase + Math.floor(this.counter / 0x10000)) & 0xffff;
      const key = identifier * 0x10000 + (this.counter & 0xffff);
      if (!this.probes.has(key)) return key;
    }
  }

  /** Sends one echo and resolves with its sample; never rejects. */
  echo(address: string, family: 4 | 6, payloadSize: number, timeoutMs: number, signal: AbortSignal): Promise<EchoSample & { aborted?: boolean }> {
    return new Promise((resolve) => {
      let socket: RawSocket;
      try {
        socket = this.socketFor(family);
      } catch (error) {
        resolve({ error: `cannot open a raw ICMP socket: ${error instanceof Error ? error.message : String(error)}` });
        return;
      }
      if (this.idleTimer !== undefined) {
        clearTimeout(this.idleTimer);
        this.idleTimer = undefined;
      }
      const key = this.nextKey();
      const onAbort = (): void => this.settle(probe, { aborted: true } as EchoSample);
      const probe: Probe = {
        key,
        address,
        family,
        sentAt: performance.now(),
        timer: undefined,
        resolve: (sample) => {
          signal.removeEventListener('abort', onAbort);
          resolve(sample);
        },
      };
      this.probes.set(key, probe);
      signal.addEventListener('abort', onAbort, { once: true });
      probe.timer = setTimeout(() => this.settle(probe, {}), timeoutMs);
      const packet = buildEchoRequest(family, Math.floor(key / 0x10000), key & 0xffff, payloadSize, this.cookie);
      try {
        socket.send(
          packet,
          0,
          packet.length,
          address,
          () => {
            probe.sentAt = performance.now();
          },
          (error) => {
            if (error) this.settle(probe, { error: `send failed: ${error.message}` });
          },
        );
      } catch (error) {
        this.settle(probe, { error: `send failed: ${error instanceof Error ? error.message : String(error)}` });
      }
    });
  }

  async echoSeries(request: EchoSeriesRequest): Promise<EchoSeriesResult> {
    const { signal } = request;
    // An echo cut short by the signal was neither answered nor lost: it leaves no sample.
    const samples: (EchoSample | undefined)[] = [];
    const pending: Promise<void>[] = [];
    const started = performance.now();
    for (let index = 0; index < request.count; index += 1) {
      if (index > 0) await delay(started + index * request.intervalMs - performance.now(), signal);
      if (signal.aborted) break;
      const slot = samples.length;
      samples.push(undefined);
      pending.push(
        this.echo(request.address, request.family, request.payloadSize, request.timeoutMs, signal).then((sample) => {
          samples[slot] = sample.aborted ? undefined : sample;
        }),
      );
    }
    await Promise.all(pending);
    return { samples: samples.filter((sample): sample is EchoSample => sample !== undefined), aborted: signal.aborted };
  }

  private closeSockets(): void {
    for (const entry of this.sockets.values()) {
      entry.closed = true;
      try {
        entry.socket.close();
      } catch {
        // Already closed.
      }
    }
    this.sockets.clear();
  }

  async close(): Promise<void> {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    for (const probe of [...this.probes.values()]) this.settle(probe, {});
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.closeSockets();
  }
}
