/**
 * The DNS wire format (RFC 1035 section 4, RFC 3596 AAAA, RFC 2782 SRV, RFC 6891 EDNS): a query
 * encoder and a strict parser for replies. Replies are untrusted bytes: every read is bounds
 * checked, compression pointers are limited, and every problem throws DnsProtocolError (and
 * nothing else), which the check reports as `protocol_error`.
 */

/** The record types the check queries by name, with their numbers. */
export const dnsRecordTypes = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33 } as const;

export type DnsRecordType = keyof typeof dnsRecordTypes;

const optRecordType = 41;
const internetClass = 1;

const typeNames: ReadonlyMap<number, string> = new Map([...Object.entries(dnsRecordTypes).map(([name, value]) => [value, name] as const), [optRecordType, 'OPT']]);

/** The mnemonic of a record type number (`TYPE99` for unknown ones, as RFC 3597 writes them). */
export function recordTypeName(type: number): string {
  return typeNames.get(type) ?? `TYPE${type}`;
}

/** Response codes (RFC 1035, RFC 2136, RFC 6891 BADVERS), by number. */
export const dnsResponseCodes = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'] as const;

export type DnsResponseCodeName = (typeof dnsResponseCodes)[number];

/** The mnemonic of a response code (`RCODE16` style for unassigned ones). */
export function responseCodeName(rcode: number): string {
  if (rcode === 16) return 'BADVERS';
  return dnsResponseCodes[rcode] ?? `RCODE${rcode}`;
}

/** What a response code means, for messages. */
export function describeResponseCode(rcode: number): string {
  switch (rcode) {
    case 0:
      return 'no error';
    case 1:
      return 'the server could not parse the query';
    case 2:
      return 'the server failed to complete the query';
    case 3:
      return 'the name does not exist';
    case 4:
      return 'the server does not implement this kind of query';
    case 5:
      return 'the server refused the query';
    default:
      return 'unusual response code';
  }
}

/** A reply that is not a well-formed DNS message, or not the answer to our question. */
export class DnsProtocolError extends Error {
  override readonly name = 'DnsProtocolError';
}

export interface DnsQuestion {
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

export interface DnsRecord {
  /** The owner name, without the trailing dot (`.` for the root). */
  readonly name: string;
  readonly type: number;
  readonly class: number;
  /** Seconds. */
  readonly ttl: number;
  /**
   * The record data in presentation form: `192.0.2.1`, `2001:db8::1`, `10 mail.example.org`,
   * `0 5 5060 sip.example.org`, the SOA fields separated by spaces, the TXT strings concatenated,
   * or `\# <length> <hex>` (RFC 3597) for other types.
   */
  readonly data: string;
}

export interface DnsFlags {
  readonly response: boolean;
  readonly opcode: number;
  readonly authoritative: boolean;
  readonly truncated: boolean;
  readonly recursionDesired: boolean;
  readonly recursionAvailable: boolean;
  readonly authenticData: boolean;
  readonly checkingDisabled: boolean;
}

export interface DnsMessage {
  readonly id: number;
  readonly flags: DnsFlags;
  /** The full response code: the header's 4 bits, extended by the OPT record's 8 (RFC 6891). */
  readonly rcode: number;
  readonly questions: readonly DnsQuestion[];
  readonly answers: readonly DnsRecord[];
  readonly authorities: readonly DnsRecord[];
  /** Additional records, without the OPT pseudo-record. */
  readonly additionals: readonly DnsRecord[];
  /** The sender's UDP payload size from its OPT record, when it sent one. */
  readonly ednsUdpSize: number | undefined;
}

export interface EncodeQueryOptions {
  readonly id: number;
  /** An ASCII name (A-labels); a trailing dot is optional. */
  readonly name: string;
  readonly type: number;
  readonly recursionDesired: boolean;
  /** Add an EDNS OPT record advertising this UDP payload size; omit for a plain RFC 1035 query. */
  readonly ednsUdpSize?: number;
}

const maximumNameLength = 255;
const maximumLabelLength = 63;
// A legitimate name needs at most 127 pointers (one per label); more means a loop.
const maximumPointerJumps = 127;

/** Splits a name into its wire labels; throws a plain Error for an unusable name (a config problem, not a reply problem). */
export function nameToLabels(name: string): Buffer[] {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed === '') return [];
  const labels = trimmed.split('.').map((label) => Buffer.from(label, 'latin1'));
  let length = 1;
  for (const label of labels) {
    if (label.length === 0) throw new Error(`empty label in ${JSON.stringify(name)}`);
    if (label.length > maximumLabelLength) throw new Error(`label longer than ${maximumLabelLength} bytes in ${JSON.stringify(name)}`);
    length += label.length + 1;
  }
  if (length > maximumNameLength) throw new Error(`name longer than ${maximumNameLength} bytes: ${JSON.stringify(name)}`);
  return labels;
}

/** The uncompressed wire form of a name. */
export function encodeName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of nameToLabels(name)) parts.push(Buffer.from([label.length]), label);
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** Builds a query message: one question, class IN, optionally with an EDNS OPT record. */
export function encodeQuery(options: EncodeQueryOptions): Buffer {
  const name = encodeName(options.name);
  const withEdns = options.ednsUdpSize !== undefined;
  const message = Buffer.alloc(12 + name.length + 4 + (withEdns ? 11 : 0));
  message.writeUInt16BE(options.id & 0xffff, 0);
  message.writeUInt16BE(options.recursionDesired ? 0x0100 : 0, 2);
  message.writeUInt16BE(1, 4);
  message.writeUInt16BE(withEdns ? 1 : 0, 10);
  name.copy(message, 12);
  let offset = 12 + name.length;
  message.writeUInt16BE(options.type, offset);
  message.writeUInt16BE(internetClass, offset + 2);
  offset += 4;
  if (withEdns) {
    // Root owner name, type OPT, class = UDP payload size, TTL = extended rcode/version/flags, no options.
    message.writeUInt8(0, offset);
    message.writeUInt16BE(optRecordType, offset + 1);
    message.writeUInt16BE(options.ednsUdpSize ?? 1232, offset + 3);
    message.writeUInt32BE(0, offset + 5);
    message.writeUInt16BE(0, offset + 9);
  }
  return message;
}

/** Presentation form of one label: printable ASCII as is, `.` and `\` escaped, the rest as `\DDD`. */
function labelText(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let index = start; index < end; index += 1) {
    const byte = bytes[index] as number;
    if (byte === 0x2e || byte === 0x5c) text += `\\${String.fromCharCode(byte)}`;
    else if (byte > 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += `\\${byte.toString().padStart(3, '0')}`;
  }
  return text;
}

/** Cursor over an untrusted message; every read checks bounds. */
class Reader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}

  need(count: number, what: string): void {
    if (this.offset + count > this.bytes.length) throw new DnsProtocolError(`truncated message: ${what} needs ${count} bytes at offset ${this.offset}, only ${this.bytes.length - this.offset} left`);
  }

  u8(what: string): number {
    this.need(1, what);
    const value = this.bytes[this.offset] as number;
    this.offset += 1;
    return value;
  }

  u16(what: string): number {
    this.need(2, what);
    const value = ((this.bytes[this.offset] as number) << 8) | (this.bytes[this.offset + 1] as number);
    this.offset += 2;
    return value;
  }

  u32(what: string): number {
    this.need(4, what);
    const value = (((this.bytes[this.offset] as number) << 24) >>> 0) + (((this.bytes[this.offset + 1] as number) << 16) | ((this.bytes[this.offset + 2] as number) << 8) | (this.bytes[this.offset + 3] as number));
    this.offset += 4;
    return value;
  }

  /** Reads a possibly compressed name (RFC 1035 4.1.4). */
  name(what: string): string {
    const { bytes } = this;
    const labels: string[] = [];
    let position = this.offset;
    let resumeAt = -1;
    let jumps = 0;
    let wireLength = 1;
    for (;;) {
      if (position >= bytes.length) throw new DnsProtocolError(`truncated message: ${what} runs past the end`);
      const length = bytes[position] as number;
      if (length === 0) {
        position += 1;
        break;
      }
      const kind = length & 0xc0;
      if (kind === 0xc0) {
        if (position + 1 >= bytes.length) throw new DnsProtocolError(`truncated message: compression pointer in ${what} runs past the end`);
        const target = ((length & 0x3f) << 8) | (bytes[position + 1] as number);
        if (resumeAt < 0) resumeAt = position + 2;
        jumps += 1;
        if (jumps > maximumPointerJumps) throw new DnsProtocolError(`compression pointer loop in ${what}`);
        if (target >= bytes.length) throw new DnsProtocolError(`compression pointer in ${what} points past the end`);
        position = target;
        continue;
      }
      if (kind !== 0) throw new DnsProtocolError(`unsupported label type 0x${kind.toString(16)} in ${what}`);
      const end = position + 1 + length;
      if (end > bytes.length) throw new DnsProtocolError(`truncated message: a label of ${what} runs past the end`);
      wireLength += length + 1;
      if (wireLength > maximumNameLength) throw new DnsProtocolError(`${what} is longer than ${maximumNameLength} bytes`);
      labels.push(labelText(bytes, position + 1, end));
      position = end;
    }
    this.offset = resumeAt >= 0 ? resumeAt : position;
    return labels.length === 0 ? '.' : labels.join('.');
  }
}

/** RFC 5952 text form of 16 bytes: lower case, leading zeros dropped, the longest zero run as `::`. */
export function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let index = 0; index < 16; index += 2) groups.push(((bytes[index] as number) << 8) | (bytes[index + 1] as number));
  let bestStart = -1;
  let bestLength = 0;
  for (let index = 0; index < 8; ) {
    if (groups[index] !== 0) {
      index += 1;
      continue;
    }
    let end = index;
    while (end < 8 && groups[end] === 0) end += 1;
    if (end - index > bestLength) {
      bestStart = index;
      bestLength = end - index;
    }
    index = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestLength < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** A TXT character-string in presentation form: quoted, with `"` and `\` escaped and non-printables as `\DDD`. */
function characterString(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let index = start; index < end; index += 1) {
    const byte = bytes[index] as number;
    if (byte === 0x22 || byte === 0x5c) text += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += `\\${byte.toString().padStart(3, '0')}`;
  }
  return text;
}

/** Parses the data of one record, which must fill exactly `length` bytes. */
function readData(reader: Reader, type: number, length: number, what: string): string {
  const start = reader.offset;
  reader.need(length, `${what} data`);
  const end = start + length;
  const { bytes } = reader;
  let data: string;
  switch (type) {
    case dnsRecordTypes.A:
      if (length !== 4) throw new DnsProtocolError(`${what}: an A record holds 4 bytes, got ${length}`);
      data = `${bytes[start]}.${bytes[start + 1]}.${bytes[start + 2]}.${bytes[start + 3]}`;
      reader.offset = end;
      break;
    case dnsRecordTypes.AAAA:
      if (length !== 16) throw new DnsProtocolError(`${what}: an AAAA record holds 16 bytes, got ${length}`);
      data = formatIpv6(bytes.subarray(start, end));
      reader.offset = end;
      break;
    case dnsRecordTypes.NS:
    case dnsRecordTypes.CNAME:
    case dnsRecordTypes.PTR:
      data = reader.name(`${what} data`);
      break;
    case dnsRecordTypes.MX: {
      const preference = reader.u16(`${what} preference`);
      data = `${preference} ${reader.name(`${what} exchange`)}`;
      break;
    }
    case dnsRecordTypes.SRV: {
      const priority = reader.u16(`${what} priority`);
      const weight = reader.u16(`${what} weight`);
      const port = reader.u16(`${what} port`);
      data = `${priority} ${weight} ${port} ${reader.name(`${what} target`)}`;
      break;
    }
    case dnsRecordTypes.SOA: {
      const primary = reader.name(`${what} primary server`);
      const mailbox = reader.name(`${what} mailbox`);
      const numbers: number[] = [];
      for (const field of ['serial', 'refresh', 'retry', 'expire', 'minimum']) numbers.push(reader.u32(`${what} ${field}`));
      data = `${primary} ${mailbox} ${numbers.join(' ')}`;
      break;
    }
    case dnsRecordTypes.TXT: {
      if (length === 0) throw new DnsProtocolError(`${what}: a TXT record holds at least one string`);
      let text = '';
      let position = start;
      while (position < end) {
        const stringLength = bytes[position] as number;
        if (position + 1 + stringLength > end) throw new DnsProtocolError(`${what}: a TXT string runs past the record`);
        text += characterString(bytes, position + 1, position + 1 + stringLength);
        position += 1 + stringLength;
      }
      data = text;
      reader.offset = end;
      break;
    }
    default:
      data = `\\# ${length}${length > 0 ? ` ${Buffer.from(bytes.subarray(start, end)).toString('hex')}` : ''}`;
      reader.offset = end;
  }
  // Names inside the data may point elsewhere, but their own bytes must end with the record.
  if (reader.offset !== end) throw new DnsProtocolError(`${what}: the data is ${length} bytes but its fields take ${reader.offset - start}`);
  return data;
}

interface ParsedRecords {
  readonly records: DnsRecord[];
  optTtl: number | undefined;
  optClass: number | undefined;
}

function readRecords(reader: Reader, count: number, section: string, parsed: ParsedRecords): void {
  for (let index = 0; index < count; index += 1) {
    const what = `${section} record ${index + 1}`;
    const name = reader.name(`${what} name`);
    const type = reader.u16(`${what} type`);
    const recordClass = reader.u16(`${what} class`);
    const ttl = reader.u32(`${what} TTL`);
    const length = reader.u16(`${what} data length`);
    if (type === optRecordType) {
      if (section !== 'additional' || name !== '.' || parsed.optTtl !== undefined) throw new DnsProtocolError(`${what}: misplaced or repeated OPT record`);
      reader.need(length, `${what} options`);
      reader.offset += length;
      parsed.optTtl = ttl;
      parsed.optClass = recordClass;
      continue;
    }
    const data = readData(reader, type, length, what);
    parsed.records.push({ name, type, class: recordClass, ttl: ttl > 0x7fffffff ? 0 : ttl, data });
  }
}

/** Parses a whole DNS message; throws DnsProtocolError for anything malformed, including trailing bytes. */
export function parseMessage(bytes: Uint8Array): DnsMessage {
  if (bytes.length < 12) throw new DnsProtocolError(`a DNS message has a 12-byte header, got ${bytes.length} bytes`);
  const reader = new Reader(bytes);
  const id = reader.u16('id');
  const bits = reader.u16('flags');
  const counts = [reader.u16('question count'), reader.u16('answer count'), reader.u16('authority count'), reader.u16('additional count')] as const;
  // Every question takes at least 5 bytes and every record at least 11: reject impossible counts early.
  const minimumLength = 12 + counts[0] * 5 + (counts[1] + counts[2] + counts[3]) * 11;
  if (minimumLength > bytes.length) throw new DnsProtocolError(`the header announces more records than ${bytes.length} bytes can hold`);

  const questions: DnsQuestion[] = [];
  for (let index = 0; index < counts[0]; index += 1) {
    const name = reader.name(`question ${index + 1} name`);
    questions.push({ name, type: reader.u16(`question ${index + 1} type`), class: reader.u16(`question ${index + 1} class`) });
  }
  const answers: ParsedRecords = { records: [], optTtl: undefined, optClass: undefined };
  readRecords(reader, counts[1], 'answer', answers);
  const authorities: ParsedRecords = { records: [], optTtl: undefined, optClass: undefined };
  readRecords(reader, counts[2], 'authority', authorities);
  const additionals: ParsedRecords = { records: [], optTtl: undefined, optClass: undefined };
  readRecords(reader, counts[3], 'additional', additionals);
  if (reader.offset !== bytes.length) throw new DnsProtocolError(`${bytes.length - reader.offset} unexpected bytes after the last record`);

  const extendedRcode = additionals.optTtl === undefined ? 0 : additionals.optTtl >>> 24;
  return {
    id,
    flags: {
      response: (bits & 0x8000) !== 0,
      opcode: (bits >> 11) & 0x0f,
      authoritative: (bits & 0x0400) !== 0,
      truncated: (bits & 0x0200) !== 0,
      recursionDesired: (bits & 0x0100) !== 0,
      recursionAvailable: (bits & 0x0080) !== 0,
      authenticData: (bits & 0x0020) !== 0,
      checkingDisabled: (bits & 0x0010) !== 0,
    },
    rcode: (extendedRcode << 4) | (bits & 0x0f),
    questions,
    answers: answers.records,
    authorities: authorities.records,
    additionals: additionals.records,
    ednsUdpSize: additionals.optClass,
  };
}

/** Compares names the DNS way: ASCII case-insensitive, trailing dot ignored. */
export function sameName(left: string, right: string): boolean {
  const normalize = (name: string): string => (name.endsWith('.') && name !== '.' ? name.slice(0, -1) : name).toLowerCase();
  return normalize(left) === normalize(right);
}
