import { describe, expect, it } from 'vitest';
import { parseServerAddress, queryName, reverseName } from './options.js';
import { parseResolvConf } from './system-resolver.js';
import { replyTo } from './testing/dns-servers.js';
import { DnsProtocolError, encodeName, encodeQuery, formatIpv6, parseMessage, responseCodeName, sameName } from './wire.js';

/** A deterministic generator, so a failing fuzz case can be replayed. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

function record(type: number, data: Buffer, ttl = 300): { type: number; ttl: number; data: Buffer } {
  return { type, ttl, data };
}

const query = encodeQuery({ id: 0xbeef, name: 'example.test', type: 1, recursionDesired: true });

/** A reply using compression inside record data (MX exchange and SOA names point into the question). */
function richReply(): Buffer {
  const soa = Buffer.concat([Buffer.from([2, 0x6e, 0x73, 0xc0, 0x0c]), Buffer.from([0xc0, 0x0c]), Buffer.alloc(20, 1)]);
  return replyTo(query, {
    answers: [
      record(1, Buffer.from([127, 0, 0, 10])),
      record(28, Buffer.from('fd000000000000000000000000000010', 'hex')),
      record(15, Buffer.from([0, 10, 4, 0x6d, 0x61, 0x69, 0x6c, 0xc0, 0x0c])),
      record(16, Buffer.from([3, 0x61, 0x62, 0x63, 2, 0x22, 0x01])),
      record(33, Buffer.from([0, 1, 0, 2, 0x13, 0xc4, 0xc0, 0x0c])),
      record(6, soa),
      record(99, Buffer.from([1, 2, 3])),
    ],
  });
}

describe('encodeQuery', () => {
  it('writes the header, the question and an optional OPT record', () => {
    expect(query.toString('hex')).toBe('beef01000001000000000000076578616d706c6504746573740000010001');
    const withEdns = encodeQuery({ id: 1, name: 'example.test.', type: 28, recursionDesired: false, ednsUdpSize: 1232 });
    expect(withEdns.readUInt16BE(2)).toBe(0);
    expect(withEdns.readUInt16BE(10)).toBe(1);
    expect(withEdns.subarray(-11).toString('hex')).toBe('00002904d0000000000000');
    // Our own queries parse back (the parser reads any message, not only replies).
    const parsed = parseMessage(withEdns);
    expect(parsed).toMatchObject({ id: 1, flags: { response: false, recursionDesired: false }, questions: [{ name: 'example.test', type: 28, class: 1 }], ednsUdpSize: 1232 });
  });

  it('rejects names a query cannot carry', () => {
    expect(() => encodeName('a..b')).toThrow(/empty label/);
    expect(() => encodeName(`${'x'.repeat(64)}.test`)).toThrow(/63/);
    expect(() => encodeName(Array.from({ length: 130 }, () => 'a').join('.'))).toThrow(/255/);
    expect(encodeName('.').toString('hex')).toBe('00');
  });
});

describe('parseMessage', () => {
  it('parses every supported record type, following compression pointers', () => {
    const message = parseMessage(richReply());
    expect(message).toMatchObject({ id: 0xbeef, rcode: 0, flags: { response: true, recursionAvailable: true, truncated: false } });
    expect(message.answers.map((answer) => answer.data)).toEqual([
      '127.0.0.10',
      'fd00::10',
      '10 mail.example.test',
      'abc\\"\\001',
      '1 2 5060 example.test',
      'ns.example.test example.test 16843009 16843009 16843009 16843009 16843009',
      '\\# 3 010203',
    ]);
    expect(message.answers.every((answer) => answer.name === 'example.test' && answer.ttl === 300)).toBe(true);
  });

  it('extends the rcode with the OPT record and reads its payload size', () => {
    const reply = replyTo(query, { rcode: 0 });
    reply.writeUInt16BE(1, 10);
    const opt = Buffer.from('0000290200010000000000', 'hex'); // payload 512, extended rcode 1 -> 16 (BADVERS)
    const message = parseMessage(Buffer.concat([reply, opt]));
    expect(message.rcode).toBe(16);
    expect(responseCodeName(message.rcode)).toBe('BADVERS');
    expect(message.ednsUdpSize).toBe(512);
    expect(message.additionals).toEqual([]);
  });

  it.each([
    ['a short header', Buffer.alloc(11), /12-byte header/],
    ['impossible counts', Buffer.from('0000818000ff00ff00000000', 'hex'), /more records/],
    ['trailing bytes', Buffer.concat([replyTo(query), Buffer.from([0])]), /unexpected bytes/],
    ['an A record of 5 bytes', replyTo(query, { answers: [record(1, Buffer.from([1, 2, 3, 4, 5]))] }), /4 bytes/],
    ['a TXT string past its record', replyTo(query, { answers: [record(16, Buffer.from([9, 0x61]))] }), /TXT string/],
    ['an MX whose name outruns its data', replyTo(query, { answers: [record(15, Buffer.from([0, 1]))] }), /truncated|data/],
    ['a record data length past the end', Buffer.concat([replyTo(query, { answers: [record(1, Buffer.from([1, 2, 3, 4]))] }).subarray(0, -2)]), /truncated/],
    ['a pointer loop', (() => {
      const reply = replyTo(query, { answers: [record(5, Buffer.from([0xc0, 0x00]))] });
      const at = reply.length - 2;
      reply.writeUInt16BE(0xc000 | at, at); // points at itself
      return reply;
    })(), /loop/],
    ['a pointer past the end', replyTo(query, { answers: [record(5, Buffer.from([0xff, 0xff]))] }), /past the end/],
    ['an extended label type', replyTo(query, { answers: [record(5, Buffer.from([0x41, 0]))] }), /label type/],
    ['a misplaced OPT record', replyTo(query, { answers: [record(41, Buffer.alloc(0))] }), /OPT/],
  ])('rejects %s with DnsProtocolError', (_label, bytes, pattern) => {
    expect(() => parseMessage(bytes)).toThrow(DnsProtocolError);
    expect(() => parseMessage(bytes)).toThrow(pattern);
  });

  it('rejects a name longer than 255 bytes built from pointers', () => {
    // Record 1 (an unknown type) holds 40 labels chained backwards by pointers; record 2, a CNAME,
    // points at the last one: 40 x 7 = 280 bytes of name.
    const dataStart = query.length + 12;
    const chain: number[] = [];
    const starts: number[] = [];
    for (let index = 0; index < 40; index += 1) {
      starts.push(dataStart + chain.length);
      chain.push(6, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61);
      const previous = starts[index - 1];
      if (previous === undefined) chain.push(0);
      else chain.push(0xc0 | (previous >> 8), previous & 0xff);
    }
    const last = starts.at(-1) as number;
    const bytes = replyTo(query, { answers: [record(99, Buffer.from(chain)), record(5, Buffer.from([0xc0 | (last >> 8), last & 0xff]))] });
    expect(() => parseMessage(bytes)).toThrow(/longer than 255 bytes/);
    // The same chain cut to 30 labels (210 bytes) is a valid name.
    const shorter = starts[29] as number;
    const fine = replyTo(query, { answers: [record(99, Buffer.from(chain)), record(5, Buffer.from([0xc0 | (shorter >> 8), shorter & 0xff]))] });
    expect(parseMessage(fine).answers[1]?.data).toBe(Array.from({ length: 30 }, () => 'aaaaaa').join('.'));
  });
});

describe('fuzzing the parser with random and mutated replies', () => {
  // Every outcome must be a parsed message or a DnsProtocolError: no other exception, no hang.
  function parseOrProtocolError(bytes: Buffer): 'parsed' | 'rejected' {
    try {
      parseMessage(bytes);
      return 'parsed';
    } catch (error) {
      if (!(error instanceof DnsProtocolError)) throw new Error(`non-protocol error for ${bytes.toString('hex')}: ${String(error)}`);
      return 'rejected';
    }
  }

  it('random bytes of every length up to 600', () => {
    const random = randomSource(0x5eed);
    let rejected = 0;
    for (let round = 0; round < 20_000; round += 1) {
      const bytes = Buffer.alloc(Math.floor(random() * 600));
      for (let index = 0; index < bytes.length; index += 1) bytes[index] = Math.floor(random() * 256);
      if (parseOrProtocolError(bytes) === 'rejected') rejected += 1;
    }
    expect(rejected).toBeGreaterThan(19_000);
  });

  it('valid replies with flipped, inserted, removed and pointer-shaped bytes', () => {
    const random = randomSource(42);
    const seeds = [richReply(), replyTo(query, { rcode: 3 }), encodeQuery({ id: 7, name: 'a.b.c.example.test', type: 33, recursionDesired: true, ednsUdpSize: 1232 })];
    const outcomes = { parsed: 0, rejected: 0 };
    for (let round = 0; round < 30_000; round += 1) {
      const seed = seeds[round % seeds.length] as Buffer;
      let bytes = Buffer.from(seed);
      const mutations = 1 + Math.floor(random() * 4);
      for (let step = 0; step < mutations; step += 1) {
        const at = Math.floor(random() * bytes.length);
        const choice = random();
        if (choice < 0.4) bytes[at] = Math.floor(random() * 256);
        else if (choice < 0.55) bytes[at] = 0xc0 | Math.floor(random() * 4);
        else if (choice < 0.7) bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([Math.floor(random() * 256)]), bytes.subarray(at)]);
        else if (choice < 0.85) bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
        else bytes = bytes.subarray(0, at);
      }
      outcomes[parseOrProtocolError(bytes)] += 1;
    }
    // Both kinds happen: the mutations reach past the header into the records.
    expect(outcomes.parsed).toBeGreaterThan(100);
    expect(outcomes.rejected).toBeGreaterThan(1_000);
  });
});

describe('helpers', () => {
  it('formats IPv6 the RFC 5952 way', () => {
    const hex = (text: string) => Buffer.from(text, 'hex');
    expect(formatIpv6(hex('00000000000000000000000000000001'))).toBe('::1');
    expect(formatIpv6(hex('20010db8000000000000000000000000'))).toBe('2001:db8::');
    expect(formatIpv6(hex('20010db8000100000001000000000001'))).toBe('2001:db8:1:0:1::1');
    expect(formatIpv6(hex('20010db8000000010000000000000001'))).toBe('2001:db8:0:1::1');
    expect(formatIpv6(hex('20010db8000000000001000000000001'))).toBe('2001:db8::1:0:0:1');
    expect(formatIpv6(hex('00000000000000000000000000000000'))).toBe('::');
  });

  it('builds reverse names', () => {
    expect(reverseName('192.0.2.1')).toBe('1.2.0.192.in-addr.arpa');
    expect(reverseName('2001:db8::1')).toBe('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
    expect(reverseName('::1')).toBe(`1${'.0'.repeat(31)}.ip6.arpa`);
    expect(reverseName('example.test')).toBeUndefined();
  });

  it('parses server addresses', () => {
    expect(parseServerAddress('127.0.0.1')).toEqual({ address: '127.0.0.1', port: 53 });
    expect(parseServerAddress('127.0.0.1:5353')).toEqual({ address: '127.0.0.1', port: 5353 });
    expect(parseServerAddress('::1')).toEqual({ address: '::1', port: 53 });
    expect(parseServerAddress('[::1]:5300')).toEqual({ address: '::1', port: 5300 });
    expect(parseServerAddress('dns.example.org:53')).toBeUndefined();
    expect(parseServerAddress('127.0.0.1:0')).toBeUndefined();
  });

  it('converts names to ASCII and validates them', () => {
    expect(queryName('bücher.example')).toBe('xn--bcher-kva.example');
    expect(queryName('a..b')).toBeUndefined();
    expect(sameName('Example.TEST.', 'example.test')).toBe(true);
  });

  it('reads nameservers from resolv.conf', () => {
    expect(parseResolvConf('nameserver 10.0.0.1 # main\n; nameserver 10.0.0.9\nnameserver  ::1\nnameserver not-an-ip\noptions ndots:2\n')).toEqual([
      { address: '10.0.0.1', port: 53 },
      { address: '::1', port: 53 },
    ]);
  });
});
