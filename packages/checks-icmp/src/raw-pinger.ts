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

/** One series in flight: its samples fill in as echoes settle. */
interface SeriesState {
  readonly samples: (EchoSample | undefined)[];
  readonly probes: Set<Probe>;
  sendingDone: boolean;
  readonly finished: () => void;
}

interface Probe {
  readonly key: number;
  readonly address: string;
  readonly family: 4 | 6;
  readonly packet: Buffer;
  readonly timeoutMs: number;
  readonly series: SeriesState;
  readonly slot: number;
  sentAt: number;
  deadline: number;
}

/** Echoes waiting for replies with one timeout value: deadlines only grow, so one timer serves them all. */
interface TimeoutBucket {
  readonly queue: Probe[];
  head: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The addon's native handle (`socket.wrap` in raw-socket 1.8): `send` calls sendto at once and
 * `recv` reads one datagram or throws when none is queued. The public `send` queues and sends one
 * packet per event-loop turn, and the public 'message' event reads one packet per turn; using the
 * handle directly sends a batch in one turn and drains a burst of replies per readable event.
 */
interface NativeSocketHandle {
  send(buffer: Buffer, offset: number, length: number, address: string, callback: (bytes: number) => void): unknown;
  recv(buffer: Buffer, callback: (buffer: Buffer, bytes: number, source: string) => void): unknown;
}

interface FamilySocket {
  readonly socket: RawSocket;
  readonly native: NativeSocketHandle | undefined;
  closed: boolean;
}

function nativeHandle(socket: RawSocket): NativeSocketHandle | undefined {
  const candidate = (socket as { wrap?: Partial<NativeSocketHandle> }).wrap;
  return typeof candidate?.send === 'function' && typeof candidate.recv === 'function' ? (candidate as NativeSocketHandle) : undefined;
}

const ignoreSent = (): void => {};
// Packets sent per event-loop turn; between turns the replies are read, so a burst of thousands
// of echoes does not overflow the socket's receive queue (replies would be dropped as loss).
const sendBatch = 32;
// SO_RCVBUFFORCE (linux/asm-generic/socket.h): root may exceed rmem_max.
const soReceiveBufferForce = 33;
// Replies drained per readable event; the read that finds the queue empty throws, so keep batches large.
const drainLimit = 256;
const receiveBuffer = Buffer.alloc(4096);

/** Errors of a full send buffer: try again through the addon's queue. */
function isSendBufferFull(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /temporarily unavailable|no buffer space/i.test(message);
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
  private readonly sendQueue: Probe[] = [];
  private readonly timeoutBuckets = new Map<number, TimeoutBucket>();
  private sendQueueHead = 0;
  private flushScheduled = false;

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
    const entry: FamilySocket = { socket, native: nativeHandle(socket), closed: false };
    try {
      if (family === 4) socket.setOption(solRaw, icmpFilter, icmpV4FilterValue(), 4);
      else socket.setOption(ipprotoIcmpV6, icmp6Filter, icmpV6FilterValue(), 32);
    } catch {
      // Not Linux, or an old kernel: the pinger filters in JavaScript as well.
    }
    // Room for a burst of replies from thousands of targets: 4 MiB when privileged enough to
    // pass rmem_max, else as much as rmem_max allows.
    try {
      socket.setOption(module.SocketLevel.SOL_SOCKET, soReceiveBufferForce, 4 << 20);
    } catch {
      try {
        socket.setOption(module.SocketLevel.SOL_SOCKET, module.SocketOption.SO_RCVBUF, 4 << 20);
      } catch {
        // Keep the default buffer.
      }
    }
    const onPacket = family === 4 ? (buffer: Buffer, bytes: number, source: string) => this.onPacket(4, buffer.subarray(0, bytes), source) : (buffer: Buffer, bytes: number, source: string) => this.onPacket(6, buffer.subarray(0, bytes), source);
    const { native } = entry;
    socket.on('message', (buffer: Buffer, source: string) => {
      this.onPacket(family, buffer, source);
      if (!native) return;
      // Drain what else has queued up, instead of one event-loop turn per reply.
      // The read that finds the queue empty throws; without a stack trace that costs little.
      const stackTraceLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        for (let count = 0; count < drainLimit && !entry.closed; count += 1) native.recv(receiveBuffer, onPacket);
      } catch {
        // EAGAIN: the queue is empty.
      } finally {
        Error.stackTraceLimit = stackTraceLimit;
      }
    });
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

  private settle(probe: Probe, sample: EchoSample | undefined): void {
    if (this.probes.get(probe.key) !== probe) return;
    this.probes.delete(probe.key);
    const { series } = probe;
    series.samples[probe.slot] = sample;
    series.probes.delete(probe);
    if (series.sendingDone && series.probes.size === 0) series.finished();
    if (this.probes.size === 0) this.scheduleIdleClose();
  }

  private armTimeout(probe: Probe): void {
    let bucket = this.timeoutBuckets.get(probe.timeoutMs);
    if (!bucket) {
      bucket = { queue: [], head: 0, timer: undefined };
      this.timeoutBuckets.set(probe.timeoutMs, bucket);
    }
    bucket.queue.push(probe);
    if (bucket.timer === undefined) this.rearm(bucket);
  }

  private rearm(bucket: TimeoutBucket): void {
    const { queue } = bucket;
    while (bucket.head < queue.length && this.probes.get((queue[bucket.head] as Probe).key) !== queue[bucket.head]) bucket.head += 1;
    if (bucket.head >= queue.length) {
      queue.length = 0;
      bucket.head = 0;
      bucket.timer = undefined;
      return;
    }
    if (bucket.head > 1_024 && bucket.head * 2 > queue.length) {
      queue.splice(0, bucket.head);
      bucket.head = 0;
    }
    const next = queue[bucket.head] as Probe;
    bucket.timer = setTimeout(() => this.expire(bucket), Math.max(0, next.deadline - performance.now()));
  }

  private expire(bucket: TimeoutBucket): void {
    bucket.timer = undefined;
    // Timers may fire a little early; a deadline within half a millisecond counts as reached.
    const now = performance.now() + 0.5;
    const { queue } = bucket;
    while (bucket.head < queue.length) {
      const probe = queue[bucket.head] as Probe;
      if (this.probes.get(probe.key) === probe) {
        if (probe.deadline > now) break;
        this.settle(probe, {});
      }
      bucket.head += 1;
    }
    this.rearm(bucket);
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

  /** Queues one echo of a series; its sample lands in the series when it settles. */
  private echo(request: EchoSeriesRequest, series: SeriesState): void {
    const slot = series.samples.length;
    series.samples.push(undefined);
    try {
      this.socketFor(request.family);
    } catch (error) {
      series.samples[slot] = { error: `cannot open a raw ICMP socket: ${error instanceof Error ? error.message : String(error)}` };
      return;
    }
    if (this.idleTimer !== undefined) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
    const key = this.nextKey();
    const probe: Probe = {
      key,
      address: request.address,
      family: request.family,
      packet: buildEchoRequest(request.family, Math.floor(key / 0x10000), key & 0xffff, request.payloadSize, this.cookie),
      timeoutMs: request.timeoutMs,
      series,
      slot,
      sentAt: 0,
      deadline: 0,
    };
    this.probes.set(key, probe);
    series.probes.add(probe);
    this.sendQueue.push(probe);
    if (!this.flushScheduled) this.flushSendQueue();
  }

  /** Sends up to one batch now and the rest on later event-loop turns. */
  private readonly flushSendQueue = (): void => {
    this.flushScheduled = false;
    const end = Math.min(this.sendQueue.length, this.sendQueueHead + sendBatch);
    for (; this.sendQueueHead < end; this.sendQueueHead += 1) {
      const probe = this.sendQueue[this.sendQueueHead] as Probe;
      // A probe settled while queued (aborted, socket error) is not sent.
      if (this.probes.get(probe.key) === probe) this.send(probe);
    }
    if (this.sendQueueHead < this.sendQueue.length) {
      this.flushScheduled = true;
      setImmediate(this.flushSendQueue);
    } else {
      this.sendQueue.length = 0;
      this.sendQueueHead = 0;
    }
  };

  private send(probe: Probe): void {
    const entry = this.sockets.get(probe.family);
    if (!entry || entry.closed) {
      this.settle(probe, { error: 'the raw ICMP socket closed' });
      return;
    }
    const { packet } = probe;
    probe.sentAt = performance.now();
    probe.deadline = probe.sentAt + probe.timeoutMs;
    this.armTimeout(probe);
    if (entry.native) {
      // Timestamp, then sendto, synchronously: the send time is the moment the packet left.
      try {
        entry.native.send(packet, 0, packet.length, probe.address, ignoreSent);
        return;
      } catch (error) {
        if (!isSendBufferFull(error)) {
          this.settle(probe, { error: `send failed: ${error instanceof Error ? error.message : String(error)}` });
          return;
        }
      }
    }
    try {
      entry.socket.send(
        packet,
        0,
        packet.length,
        probe.address,
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
  }

  echoSeries(request: EchoSeriesRequest): Promise<EchoSeriesResult> {
    const { signal } = request;
    return new Promise((resolve) => {
      let onAbort = (): void => {};
      const finish = (): void => {
        signal.removeEventListener('abort', onAbort);
        // An echo cut short by the signal was neither answered nor lost: it leaves no sample.
        resolve({ samples: series.samples.filter((sample): sample is EchoSample => sample !== undefined), aborted: signal.aborted });
      };
      const series: SeriesState = { samples: [], probes: new Set(), sendingDone: false, finished: finish };
      // One listener per series (not per echo) ends every echo still in flight.
      onAbort = () => {
        for (const probe of [...series.probes]) this.settle(probe, undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const sendAll = async (): Promise<void> => {
        const started = performance.now();
        for (let index = 0; index < request.count; index += 1) {
          if (index > 0 && request.intervalMs > 0) await delay(started + index * request.intervalMs - performance.now(), signal);
          if (signal.aborted) break;
          this.echo(request, series);
        }
        series.sendingDone = true;
        if (series.probes.size === 0) finish();
      };
      void sendAll();
    });
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
    for (const probe of [...this.probes.values()]) this.settle(probe, {});
    for (const bucket of this.timeoutBuckets.values()) if (bucket.timer !== undefined) clearTimeout(bucket.timer);
    this.timeoutBuckets.clear();
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.closeSockets();
  }
}
