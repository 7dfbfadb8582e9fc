/**
 * ICMP echo packets (RFC 792 for IPv4, RFC 4443 for IPv6): building requests and reading what a
 * raw socket receives. IPv4 raw sockets deliver the IP header too; IPv6 raw sockets deliver the
 * ICMPv6 message only, and the kernel fills in the ICMPv6 checksum (RFC 3542 section 3.1).
 */

export const icmpTypes = {
  echoReplyV4: 0,
  destinationUnreachableV4: 3,
  echoRequestV4: 8,
  timeExceededV4: 11,
  destinationUnreachableV6: 1,
  timeExceededV6: 3,
  echoRequestV6: 128,
  echoReplyV6: 129,
} as const;

/** The Internet checksum (RFC 1071) of `bytes`: ones' complement of the ones' complement sum of 16-bit words. */
export function internetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  const even = bytes.length & ~1;
  for (let index = 0; index < even; index += 2) sum += ((bytes[index] as number) << 8) | (bytes[index + 1] as number);
  if (even !== bytes.length) sum += (bytes[even] as number) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * An echo request: 8-byte header, then `payloadSize` bytes whose first bytes are the pinger's
 * cookie (so a reply can be told from another program's with the same id) and the rest a
 * fixed pattern.
 */
export function buildEchoRequest(family: 4 | 6, identifier: number, sequence: number, payloadSize: number, cookie: Uint8Array): Buffer {
  const packet = Buffer.allocUnsafe(8 + payloadSize);
  packet[0] = family === 4 ? icmpTypes.echoRequestV4 : icmpTypes.echoRequestV6;
  packet[1] = 0;
  packet.writeUInt16BE(0, 2);
  packet.writeUInt16BE(identifier, 4);
  packet.writeUInt16BE(sequence, 6);
  const cookieLength = Math.min(cookie.length, payloadSize);
  for (let index = 0; index < cookieLength; index += 1) packet[8 + index] = cookie[index] as number;
  for (let index = cookieLength; index < payloadSize; index += 1) packet[8 + index] = index & 0xff;
  if (family === 4) packet.writeUInt16BE(internetChecksum(packet), 2);
  return packet;
}

/** What one received packet is, as far as the pinger cares. */
export type ReceivedIcmp =
  | { readonly kind: 'reply'; readonly identifier: number; readonly sequence: number; readonly payload: Uint8Array; readonly ttl: number | undefined }
  | { readonly kind: 'error'; readonly identifier: number; readonly sequence: number; readonly type: number; readonly code: number; readonly destination: string | undefined }
  | { readonly kind: 'other' };

const other: ReceivedIcmp = Object.freeze({ kind: 'other' });

function ipv4Text(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** Reads an IPv4 raw-socket packet (IP header first). Anything short, foreign or malformed is `other`. */
export function readIcmpV4(packet: Uint8Array): ReceivedIcmp {
  if (packet.length < 20) return other;
  const headerLength = ((packet[0] as number) & 0x0f) * 4;
  if (headerLength < 20 || packet.length < headerLength + 8) return other;
  const type = packet[headerLength] as number;
  if (type === icmpTypes.echoReplyV4) {
    return {
      kind: 'reply',
      identifier: ((packet[headerLength + 4] as number) << 8) | (packet[headerLength + 5] as number),
      sequence: ((packet[headerLength + 6] as number) << 8) | (packet[headerLength + 7] as number),
      payload: packet.subarray(headerLength + 8),
      ttl: packet[8],
    };
  }
  if (type === icmpTypes.destinationUnreachableV4 || type === icmpTypes.timeExceededV4) {
    // The error quotes the original IP header and the first 8 bytes of our echo request.
    const inner = headerLength + 8;
    if (packet.length < inner + 20) return other;
    const innerHeaderLength = ((packet[inner] as number) & 0x0f) * 4;
    const original = inner + innerHeaderLength;
    if (innerHeaderLength < 20 || packet.length < original + 8 || packet[inner + 9] !== 1 || packet[original] !== icmpTypes.echoRequestV4) return other;
    return {
      kind: 'error',
      type,
      code: packet[headerLength + 1] as number,
      identifier: ((packet[original + 4] as number) << 8) | (packet[original + 5] as number),
      sequence: ((packet[original + 6] as number) << 8) | (packet[original + 7] as number),
      destination: ipv4Text(packet, inner + 16),
    };
  }
  return other;
}

/** Reads an ICMPv6 raw-socket message (no IPv6 header). */
export function readIcmpV6(packet: Uint8Array): ReceivedIcmp {
  if (packet.length < 8) return other;
  const type = packet[0] as number;
  if (type === icmpTypes.echoReplyV6) {
    return {
      kind: 'reply',
      identifier: ((packet[4] as number) << 8) | (packet[5] as number),
      sequence: ((packet[6] as number) << 8) | (packet[7] as number),
      payload: packet.subarray(8),
      ttl: undefined,
    };
  }
  if (type === icmpTypes.destinationUnreachableV6 || type === icmpTypes.timeExceededV6) {
    // 8-byte error header, the original 40-byte IPv6 header (next header 58), then our request.
    const original = 8 + 40;
    if (packet.length < original + 8 || packet[8 + 6] !== 58 || packet[original] !== icmpTypes.echoRequestV6) return other;
    return {
      kind: 'error',
      type,
      code: packet[1] as number,
      identifier: ((packet[original + 4] as number) << 8) | (packet[original + 5] as number),
      sequence: ((packet[original + 6] as number) << 8) | (packet[original + 7] as number),
      destination: undefined,
    };
  }
  return other;
}

/** A readable name for an ICMP error, for messages. */
export function describeIcmpError(family: 4 | 6, type: number, code: number): string {
  if (family === 4 && type === icmpTypes.timeExceededV4) return 'time to live exceeded in transit';
  if (family === 6 && type === icmpTypes.timeExceededV6) return 'hop limit exceeded in transit';
  const v4: Record<number, string> = { 0: 'network unreachable', 1: 'host unreachable', 3: 'port unreachable', 9: 'network administratively prohibited', 10: 'host administratively prohibited', 13: 'communication administratively prohibited' };
  const v6: Record<number, string> = { 0: 'no route to destination', 1: 'communication administratively prohibited', 3: 'address unreachable', 4: 'port unreachable' };
  return (family === 4 ? v4[code] : v6[code]) ?? `destination unreachable (code ${code})`;
}
