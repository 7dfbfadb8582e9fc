import { readFileSync } from 'node:fs';
import { CommandPinger, findExecutable } from './command-pinger.js';
import type { Pinger } from './pinger.js';
import { RawSocketPinger, type RawSocketModule, loadRawSocketModule } from './raw-pinger.js';

/** Which backend to use: `auto` tries raw, then fping, then ping. */
export type IcmpBackendPreference = 'auto' | 'raw' | 'fping' | 'ping';

/** The outcome of choosing a backend: the pinger, or none, and why each skipped backend was skipped. */
export interface IcmpBackendSelection {
  readonly pinger: Pinger | undefined;
  /** One line per backend that was tried and passed over, e.g. `raw socket: Operation not permitted (needs root or CAP_NET_RAW)`. */
  readonly skipped: readonly string[];
}

export interface SelectIcmpBackendOptions {
  readonly preference: IcmpBackendPreference;
  /** Loads the raw-socket addon; a seam for tests of the "addon missing" path. */
  readonly loadRawSocket?: () => RawSocketModule;
  /** PATH to search for fping and ping. */
  readonly searchPath?: string;
  /** Where the kernel publishes `net.ipv4.ping_group_range`. */
  readonly pingGroupRangePath?: string;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** Whether this process's group may open datagram ICMP sockets, as a sentence for the skipped list. */
export function describePingGroupRange(path = '/proc/sys/net/ipv4/ping_group_range', group = process.getgid?.() ?? -1): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim().replace(/\s+/g, ' ');
  } catch {
    return 'datagram ICMP: net.ipv4.ping_group_range is not readable here (not Linux?)';
  }
  const [low, high] = text.split(' ').map(Number);
  if (low !== undefined && high !== undefined && group >= low && group <= high) {
    return `datagram ICMP: net.ipv4.ping_group_range "${text}" allows group ${group}, but Node.js cannot open datagram ICMP sockets; the system ping uses them`;
  }
  return `datagram ICMP: net.ipv4.ping_group_range "${text}" does not include group ${group}`;
}

/** Chooses the first backend that works for this process, and says why the others did not. */
export function selectIcmpBackend(options: SelectIcmpBackendOptions): IcmpBackendSelection {
  const { preference } = options;
  const skipped: string[] = [];
  if (preference === 'auto' || preference === 'raw') {
    let module: RawSocketModule | undefined;
    try {
      module = (options.loadRawSocket ?? loadRawSocketModule)();
    } catch (error) {
      skipped.push(`raw socket: the optional raw-socket addon is not installed or did not build (${firstLine(error)})`);
    }
    if (module) {
      const pinger = new RawSocketPinger({ module });
      try {
        // Open and close once: the permission check happens here, not in the first probe.
        pinger.open(4);
        void pinger.close();
        return { pinger, skipped };
      } catch (error) {
        skipped.push(`raw socket: ${firstLine(error)} (needs root or CAP_NET_RAW)`);
      }
    }
  }
  if (preference === 'auto') skipped.push(describePingGroupRange(options.pingGroupRangePath));
  for (const command of ['fping', 'ping'] as const) {
    if (preference !== 'auto' && preference !== command) continue;
    const executable = findExecutable(command, options.searchPath);
    if (executable) return { pinger: new CommandPinger(command, executable), skipped };
    skipped.push(`${command}: not found in PATH`);
  }
  return { pinger: undefined, skipped };
}

interface SharedEntry {
  readonly selection: IcmpBackendSelection;
  users: number;
}

// Deliberately process-wide: one raw socket per address family serves every ICMP check, so
// thousands of targets share two file descriptors. Reference-counted by check instances.
const sharedSelections = new Map<IcmpBackendPreference, SharedEntry>();

/** A check's hold on the process's shared pinger. */
export interface PingerLease {
  readonly selection: IcmpBackendSelection;
  /** Gives the hold back; the last one closes the pinger. Idempotent. */
  release(): Promise<void>;
}

/** Takes a hold on the shared pinger of this preference, choosing the backend on first use. */
export function acquirePinger(preference: IcmpBackendPreference): PingerLease {
  let entry = sharedSelections.get(preference);
  if (!entry) {
    entry = { selection: selectIcmpBackend({ preference }), users: 0 };
    sharedSelections.set(preference, entry);
  }
  entry.users += 1;
  const held = entry;
  let released = false;
  return {
    selection: held.selection,
    async release() {
      if (released) return;
      released = true;
      held.users -= 1;
      if (held.users > 0) return;
      if (sharedSelections.get(preference) === held) sharedSelections.delete(preference);
      await held.selection.pinger?.close();
    },
  };
}
