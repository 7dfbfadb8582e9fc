import { describe, expect, it } from 'vitest';
import { parseFpingCounts, parsePingOutput } from './command-pinger.js';
import { roundTripStatistics } from './icmp-check.js';
import { buildEchoRequest, internetChecksum, readIcmpV4, readIcmpV6 } from './packet.js';

const cookie = Buffer.from('0102030405060708', 'hex');

/** An IPv4 header (20 bytes, TTL 64, protocol ICMP) in front of `icmp`. */
function withIpv4Header(icmp: Buffer, source = [127, 0, 0, 1], destination = [127, 0, 0, 1]): Buffer {
  const header = Buffer.alloc(20);
  header[0] = 0x45;
  header.writeUInt16BE(20 + icmp.length, 2);
  header[8] = 64;
  header[9] = 1;
  Buffer.from(source).copy(header, 12);
  Buffer.from(destination).copy(header, 16);
  return Buffer.concat([header, icmp]);
}

describe('echo packets', () => {
  it('computes the RFC 1071 checksum (the RFC 1071 example, and odd lengths)', () => {
    // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2, checksum 220d.
    expect(internetChecksum(Buffer.from('0001f203f4f5f6f7', 'hex'))).toBe(0x220d);
    expect(internetChecksum(Buffer.from('01', 'hex'))).toBe(0xfeff);
  });

  it('builds IPv4 requests whose checksum verifies, IPv6 requests with the checksum left to the kernel', () => {
    const v4 = buildEchoRequest(4, 0x1234, 7, 56, cookie);
    expect(v4.length).toBe(64);
    expect(v4.subarray(0, 2).toString('hex')).toBe('0800');
    expect(v4.readUInt16BE(4)).toBe(0x1234);
    expect(v4.readUInt16BE(6)).toBe(7);
    expect(v4.subarray(8, 16)).toEqual(cookie);
    expect(internetChecksum(v4)).toBe(0);
    const v6 = buildEchoRequest(6, 1, 2, 4, cookie);
    expect(v6.toString('hex')).toBe('8000000000010002' + '01020304');
  });

  it('reads IPv4 echo replies past the IP header, with the TTL', () => {
    const reply = buildEchoRequest(4, 0xabcd, 9, 8, cookie);
    reply[0] = 0;
    expect(readIcmpV4(withIpv4Header(reply))).toMatchObject({ kind: 'reply', identifier: 0xabcd, sequence: 9, ttl: 64, payload: cookie });
    // Our own echo request seen on the raw socket (loopback) is not a reply.
    expect(readIcmpV4(withIpv4Header(buildEchoRequest(4, 1, 1, 8, cookie)))).toEqual({ kind: 'other' });
  });

  it('matches ICMP errors to the echo they quote', () => {
    const original = withIpv4Header(buildEchoRequest(4, 0x4242, 3, 8, cookie), [127, 0, 0, 1], [192, 0, 2, 1]);
    const error = Buffer.concat([Buffer.from([3, 1, 0, 0, 0, 0, 0, 0]), original.subarray(0, 28)]);
    expect(readIcmpV4(withIpv4Header(error))).toEqual({ kind: 'error', type: 3, code: 1, identifier: 0x4242, sequence: 3, destination: '192.0.2.1' });
    const inner6 = Buffer.alloc(40);
    inner6[6] = 58;
    const error6 = Buffer.concat([Buffer.from([1, 3, 0, 0, 0, 0, 0, 0]), inner6, buildEchoRequest(6, 5, 6, 0, cookie)]);
    expect(readIcmpV6(error6)).toMatchObject({ kind: 'error', type: 1, code: 3, identifier: 5, sequence: 6 });
  });

  it('ignores short, foreign and garbled packets instead of throwing', () => {
    for (let length = 0; length < 80; length += 1) {
      const bytes = Buffer.alloc(length, 0xff);
      expect(() => readIcmpV4(bytes)).not.toThrow();
      expect(() => readIcmpV6(bytes)).not.toThrow();
    }
    expect(readIcmpV6(Buffer.from('8000000000010002', 'hex'))).toEqual({ kind: 'other' });
    expect(readIcmpV6(Buffer.from('8100000000010002', 'hex'))).toMatchObject({ kind: 'reply', identifier: 1, sequence: 2 });
  });
});

describe('command output', () => {
  it('reads fping -C lines, lost echoes as "-"', () => {
    expect(parseFpingCounts('127.0.0.1 : 0.05 - 0.03\n', '127.0.0.1')).toEqual([{ rttMs: 0.05 }, {}, { rttMs: 0.03 }]);
    expect(parseFpingCounts('::1 : 0.03\n', '127.0.0.1')).toBeUndefined();
    expect(parseFpingCounts('fping: can\'t create socket\n', '127.0.0.1')).toBeUndefined();
  });

  it('reads ping replies, errors and the transmitted count', () => {
    const output = [
      'PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.',
      '64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.045 ms',
      'From 127.0.0.1 icmp_seq=2 Destination Host Unreachable',
      '64 bytes from 127.0.0.1: icmp_seq=4 ttl=63 time=1.5 ms',
      '',
      '--- 127.0.0.1 ping statistics ---',
      '4 packets transmitted, 2 received, +1 errors, 50% packet loss, time 3004ms',
    ].join('\n');
    const parsed = parsePingOutput(output);
    expect(parsed.transmitted).toBe(4);
    expect([...parsed.samples.entries()]).toEqual([
      [1, { rttMs: 0.045, ttl: 64 }],
      [2, { error: 'Destination Host Unreachable (from 127.0.0.1)' }],
      [4, { rttMs: 1.5, ttl: 63 }],
    ]);
  });
});

describe('round-trip statistics', () => {
  it('computes min, avg, max, population stddev and consecutive-difference jitter', () => {
    expect(roundTripStatistics([1, 3, 2, 6])).toEqual({ min: 1, avg: 3, max: 6, stddev: 1.871, jitter: 2.333 });
    expect(roundTripStatistics([0.5])).toEqual({ min: 0.5, avg: 0.5, max: 0.5, stddev: 0, jitter: 0 });
    expect(roundTripStatistics([])).toBeUndefined();
  });
});
