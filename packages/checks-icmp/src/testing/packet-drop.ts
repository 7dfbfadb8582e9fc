/**
 * Packet loss on loopback for the tests. Every 127.0.0.0/8 address answers echoes on Linux, so a
 * test that needs loss adds an nftables table of its own that drops echo requests to one
 * loopback address nobody else uses (or, for IPv6, to ::1 with one packet length nobody else
 * sends). Tables are named per process and per call, and removed by the test's afterAll.
 * Root only; tests skip with that reason otherwise.
 */
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';

export const packetDropSkipReason = 'dropping echoes needs root (an nftables rule); CI runs as root';

/** True when this process may add nftables rules. */
export function canDropPackets(): boolean {
  return process.getuid?.() === 0;
}

function nft(args: readonly string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('nft', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr += text;
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`nft ${args.join(' ')} failed (${code}): ${stderr.trim()}`))));
    child.stdin.end(input ?? '');
  });
}

export interface PacketDrop {
  /** The IPv4 loopback address whose echo requests are dropped. */
  readonly address: string;
  /** The address that drops every second echo request (exactly 50 % loss). */
  readonly halfAddress: string;
  /** Echoes to ::1 with this payload size are dropped. */
  readonly ipv6PayloadSize: number;
  remove(): Promise<void>;
}

/** Adds a table that drops echo requests to two fresh loopback addresses and one IPv6 packet size. */
export async function dropEchoRequests(): Promise<PacketDrop> {
  const table = `vigil_icmp_test_${process.pid}_${randomInt(0, 1_000_000)}`;
  const prefix = `127.${100 + (process.pid % 100)}.${randomInt(0, 256)}`;
  const address = `${prefix}.${randomInt(1, 127)}`;
  const halfAddress = `${prefix}.${randomInt(128, 255)}`;
  const ipv6PayloadSize = 1_000 + randomInt(0, 400);
  await nft(
    ['-f', '-'],
    `table inet ${table} {
  chain input {
    type filter hook input priority 0; policy accept;
    ip daddr ${address} icmp type echo-request drop
    ip daddr ${halfAddress} icmp type echo-request numgen inc mod 2 1 drop
    ip6 daddr ::1 icmpv6 type echo-request meta length ${40 + 8 + ipv6PayloadSize} drop
  }
}
`,
  );
  let removed = false;
  return {
    address,
    halfAddress,
    ipv6PayloadSize,
    async remove() {
      if (removed) return;
      removed = true;
      await nft(['delete', 'table', 'inet', table]);
    },
  };
}
