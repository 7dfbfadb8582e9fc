import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { VigilError, createDialer, createRunHistogram, executeCheck } from '@vigil/core';
import { createTestCheckContext, findClosedPort, testCheck } from '@vigil/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsCheck, dnsCheckPlugin } from './dns-check.js';
import { type Dnsmasq, type ScriptedDnsServer, nameHex, replyTo, soaRecordHex, startDnsmasq, startScriptedDnsServer } from './testing/dns-servers.js';

const bigAddresses = Array.from({ length: 120 }, (_unused, index) => `10.1.${Math.floor(index / 200)}.${(index % 200) + 1}`);
const hosts = [
  '127.0.0.10 example.test www.example.test',
  'fd00::10 example.test',
  '127.0.0.20 mail.example.test',
  ...bigAddresses.map((address) => `${address} big.example.test`),
  '',
].join('\n');

const recordFlags = [
  '--txt-record=example.test,v=spf1 -all',
  '--txt-record=txt-only.example.test,hello world',
  '--mx-host=example.test,mail.example.test,10',
  '--srv-host=_sip._udp.example.test,sip.example.test,5060,0,5',
  '--cname=alias.example.test,example.test',
  '--ptr-record=10.0.0.127.in-addr.arpa,example.test',
  `--dns-rr=example.test,2,${nameHex('ns1.example.test')}`,
  `--dns-rr=example.test,6,${soaRecordHex('ns1.example.test', 'hostmaster.example.test', [2024010101, 3600, 600, 86400, 300])}`,
  // Only locally known names under example.test: a missing one is NXDOMAIN, never forwarded.
  '--local=/example.test/',
];

let dnsmasq: Dnsmasq;
let failingUpstream: ScriptedDnsServer;
let server: string;

beforeAll(async () => {
  // A local upstream that fails every query: dnsmasq forwards `fail.test` there and relays its SERVFAIL.
  failingUpstream = await startScriptedDnsServer((query) => replyTo(query, { rcode: 2 }));
  dnsmasq = await startDnsmasq({ hosts, ipv6: true, arguments: [...recordFlags, `--server=/fail.test/127.0.0.1#${failingUpstream.port}`] });
  server = `127.0.0.1:${dnsmasq.port}`;
});

afterAll(async () => {
  await dnsmasq?.close();
  await failingUpstream?.close();
});

testCheck({
  plugin: dnsCheckPlugin,
  async setup() {
    const silent = await startScriptedDnsServer(() => undefined);
    return {
      up: createDnsCheck({ name: 'example.test', server }),
      down: createDnsCheck({ name: 'missing.example.test', server }),
      silent: createDnsCheck({ name: 'example.test', server: `127.0.0.1:${silent.port}` }),
      invalidOptions: [
        { server },
        { name: 'example.test', type: 'ANY', server },
        { name: 'example.test', server: 'dns.example.org' },
        { name: 'example.test', server: '127.0.0.1:70000' },
        { name: 'a..b', server },
        { name: `${'x'.repeat(64)}.test`, server },
        { name: 'example.test', server, expectRcode: 'MAYBE' },
        { name: 'example.test', server, expectAnswerPattern: '(' },
        { name: 'example.test', server, edns: 100 },
        { name: 'example.test', server, interval: '30s' },
      ],
      async teardown() {
        await silent.close();
      },
    };
  },
});

async function query(options: Parameters<typeof createDnsCheck>[0]) {
  return createDnsCheck({ server, ...options }).run(createTestCheckContext());
}

describe('record types against dnsmasq', () => {
  it.each([
    ['A', 'example.test', ['127.0.0.10']],
    ['AAAA', 'example.test', ['fd00::10']],
    ['CNAME', 'alias.example.test', ['example.test']],
    ['MX', 'example.test', ['10 mail.example.test']],
    ['TXT', 'example.test', ['v=spf1 -all']],
    ['NS', 'example.test', ['ns1.example.test']],
    ['SOA', 'example.test', ['ns1.example.test hostmaster.example.test 2024010101 3600 600 86400 300']],
    ['SRV', '_sip._udp.example.test', ['0 5 5060 sip.example.test']],
    ['PTR', '127.0.0.10', ['example.test']],
  ] as const)('%s %s answers %j and is up', async (type, name, answers) => {
    const result = await query({ name, type, expectAnswers: [...answers] });
    expect(result, result.message).toMatchObject({ status: 'up', reason: 'ok', details: { rcode: 'NOERROR', transport: 'udp', server } });
    const data = (result.details?.answers as { type: string; data: string }[]).filter((answer) => answer.type === type).map((answer) => answer.data);
    expect(data).toEqual(answers);
    expect(result.phases?.udp).toBeGreaterThanOrEqual(0);
    expect(result.phases?.total).toBe(result.durationMs);
  });

  it('turns an IP address into its reverse name for PTR, and says which name it asked', async () => {
    const result = await query({ name: '127.0.0.10', type: 'PTR' });
    expect(result.details).toMatchObject({ name: '10.0.0.127.in-addr.arpa', type: 'PTR' });
  });

  it('follows the CNAME chain dnsmasq returns for an A query of an alias', async () => {
    const result = await query({ name: 'alias.example.test', expectAnswers: ['127.0.0.10'] });
    expect(result.status).toBe('up');
    expect(result.details?.answers).toEqual([
      expect.objectContaining({ type: 'CNAME', data: 'example.test' }),
      expect.objectContaining({ type: 'A', data: '127.0.0.10' }),
    ]);
  });

  it('records the answer count and the smallest TTL as gauges', async () => {
    const context = createTestCheckContext();
    await createDnsCheck({ name: 'big.example.test', server }).run(context);
    expect(context.recorded.filter((metric) => metric.type === 'gauge').map((metric) => metric.name)).toEqual(['dns_answers', 'dns_answer_min_ttl']);
    expect(context.recorded[0]?.value).toBe(120);
  });

  it('asks an IPv6 server', async () => {
    const result = await query({ name: 'example.test', server: `[::1]:${dnsmasq.port}` });
    expect(result).toMatchObject({ status: 'up', details: { server: `[::1]:${dnsmasq.port}` } });
  });
});

describe('response codes', () => {
  it('NXDOMAIN is down / dns_error with the rcode in details and the message', async () => {
    const result = await query({ name: 'missing.example.test' });
    expect(result).toMatchObject({ status: 'down', reason: 'dns_error', details: { rcode: 'NXDOMAIN', rcodeValue: 3 } });
    expect(result.message).toMatch(/NXDOMAIN \(the name does not exist\)/);
  });

  it('SERVFAIL from a failing local upstream is down / dns_error with rcode SERVFAIL', async () => {
    const before = failingUpstream.queries.length;
    const result = await query({ name: 'www.fail.test' });
    expect(result).toMatchObject({ status: 'down', reason: 'dns_error', details: { rcode: 'SERVFAIL', rcodeValue: 2 } });
    expect(result.message).toMatch(/SERVFAIL/);
    expect(failingUpstream.queries.length).toBeGreaterThan(before);
  });

  it('REFUSED for a name dnsmasq has no upstream for', async () => {
    const result = await query({ name: 'example.org' });
    expect(result).toMatchObject({ status: 'down', reason: 'dns_error', details: { rcode: 'REFUSED' } });
  });

  it('expectRcode NXDOMAIN makes a missing name healthy, and an existing one an assertion failure', async () => {
    expect(await query({ name: 'missing.example.test', expectRcode: 'NXDOMAIN' })).toMatchObject({ status: 'up', reason: 'ok' });
    const exists = await query({ name: 'example.test', expectRcode: 'NXDOMAIN' });
    expect(exists).toMatchObject({ status: 'down', reason: 'assertion_failed' });
    expect(exists.message).toMatch(/expected NXDOMAIN, got NOERROR/);
  });
});

describe('answer assertions', () => {
  it('an empty answer (NODATA) fails minAnswers, and passes with minAnswers 0', async () => {
    const empty = await query({ name: 'txt-only.example.test', type: 'AAAA' });
    expect(empty).toMatchObject({ status: 'down', reason: 'assertion_failed' });
    expect(empty.message).toMatch(/NODATA/);
    expect(await query({ name: 'txt-only.example.test', type: 'AAAA', minAnswers: 0 })).toMatchObject({ status: 'up' });
  });

  it('a missing expected answer is assertion_failed and quotes what was seen', async () => {
    const result = await query({ name: 'example.test', expectAnswers: ['127.0.0.10', '127.0.0.99'] });
    expect(result).toMatchObject({ status: 'down', reason: 'assertion_failed' });
    expect(result.message).toContain('"127.0.0.99"');
    expect(result.message).toContain('127.0.0.10');
  });

  it('compares names case-insensitively with or without the trailing dot', async () => {
    expect(await query({ name: 'example.test', type: 'MX', expectAnswers: ['10 MAIL.example.test.'] })).toMatchObject({ status: 'up' });
  });

  it('expectAnswerPattern needs one matching answer', async () => {
    expect(await query({ name: 'example.test', type: 'TXT', expectAnswerPattern: '^v=spf1 ' })).toMatchObject({ status: 'up' });
    expect(await query({ name: 'example.test', type: 'TXT', expectAnswerPattern: /^v=DKIM1/g })).toMatchObject({ status: 'down', reason: 'assertion_failed' });
  });
});

describe('transports', () => {
  it('retries over TCP when the UDP reply is truncated, and gets every answer', async () => {
    const result = await query({ name: 'big.example.test' });
    expect(result).toMatchObject({ status: 'up', details: { truncatedOverUdp: true, transport: 'tcp', answerCount: 120 } });
    expect(result.phases?.udp).toBeGreaterThanOrEqual(0);
    expect(result.phases?.tcp).toBeGreaterThanOrEqual(0);
  });

  it('udp-only reports the truncated reply as it is; edns: false lowers the limit to 512 bytes', async () => {
    const result = await query({ name: 'big.example.test', transport: 'udp-only', edns: false });
    expect(result).toMatchObject({ status: 'up', details: { truncated: true, transport: 'udp' } });
    expect(result.details?.answerCount as number).toBeLessThan(120);
    expect(result.details?.bytes as number).toBeLessThanOrEqual(512);
  });

  it('asks over TCP only with transport tcp', async () => {
    const result = await query({ name: 'example.test', type: 'MX', transport: 'tcp' });
    expect(result).toMatchObject({ status: 'up', details: { transport: 'tcp' } });
    expect(result.phases?.udp).toBeUndefined();
  });

  it('a closed port is connection_refused over UDP (ICMP port unreachable) and TCP', async () => {
    const port = await findClosedPort();
    const udp = await query({ name: 'example.test', server: `127.0.0.1:${port}` });
    expect(udp).toMatchObject({ status: 'down', reason: 'connection_refused' });
    expect(udp.message).toMatch(/ICMP port unreachable/);
    const tcp = await query({ name: 'example.test', server: `127.0.0.1:${port}`, transport: 'tcp' });
    expect(tcp).toMatchObject({ status: 'down', reason: 'connection_refused' });
  });

  it('a silent server times out through the runtime', async () => {
    const silent = await startScriptedDnsServer(() => undefined);
    try {
      const check = createDnsCheck({ name: 'example.test', server: `127.0.0.1:${silent.port}` });
      const { record } = await executeCheck(check, { checkId: 'dns', timeoutMs: 300, dialer: createDialer(), histogramFactory: createRunHistogram });
      expect(record).toMatchObject({ status: 'down', reason: 'timeout' });
      expect(silent.queries).toHaveLength(1);
    } finally {
      await silent.close();
    }
  });

  it('is unknown / aborted when the monitor stops', async () => {
    const silent = await startScriptedDnsServer(() => undefined);
    try {
      const controller = new AbortController();
      const pending = createDnsCheck({ name: 'example.test', server: `127.0.0.1:${silent.port}` }).run(createTestCheckContext({ signal: controller.signal }));
      await new Promise((resolve) => setTimeout(resolve, 30));
      controller.abort(new VigilError('VIGIL_ERR_ABORTED', 'stopped', { reason: 'aborted' }));
      expect(await pending).toMatchObject({ status: 'unknown', reason: 'aborted' });
    } finally {
      await silent.close();
    }
  });

  it('a slow reply with slowMs is degraded / slow_response', async () => {
    const slow = await startScriptedDnsServer((request) => replyTo(request, { answers: [{ type: 1, data: Buffer.from([127, 0, 0, 1]) }] }), { delayMs: 60 });
    try {
      const result = await query({ name: 'example.test', server: `127.0.0.1:${slow.port}`, slowMs: 1 });
      expect(result).toMatchObject({ status: 'degraded', reason: 'slow_response' });
    } finally {
      await slow.close();
    }
  });
});

describe('malformed and foreign replies', () => {
  async function against(answer: (request: Buffer) => Buffer | readonly Buffer[] | undefined, timeoutMs = 5_000) {
    const fake = await startScriptedDnsServer(answer);
    try {
      return await createDnsCheck({ name: 'example.test', server: `127.0.0.1:${fake.port}` }).run(createTestCheckContext({ timeoutMs }));
    } finally {
      await fake.close();
    }
  }

  it('garbage after a matching id is protocol_error', async () => {
    const result = await against((request) => Buffer.concat([request.subarray(0, 2), Buffer.from('not a dns message at all')]));
    expect(result).toMatchObject({ status: 'down', reason: 'protocol_error' });
    expect(result.details?.protocolError).toEqual(expect.any(String));
  });

  it('a reply to another question is protocol_error', async () => {
    const result = await against((request) => {
      const reply = replyTo(request);
      reply.writeUInt16BE(28, reply.length - 4); // the question's type: AAAA instead of A
      return reply;
    });
    expect(result).toMatchObject({ status: 'down', reason: 'protocol_error' });
    expect(result.message).toMatch(/different question/);
  });

  it('a reply without the QR bit is protocol_error', async () => {
    const result = await against((request) => replyTo(request, { flags: 0x0100 }));
    expect(result).toMatchObject({ status: 'down', reason: 'protocol_error' });
  });

  it('replies with another id are ignored and counted; the right one still wins', async () => {
    const result = await against((request) => {
      const spoofed = replyTo(request, { answers: [{ type: 1, data: Buffer.from([6, 6, 6, 6]) }] });
      spoofed.writeUInt16BE((request.readUInt16BE(0) + 1) & 0xffff, 0);
      return [spoofed, replyTo(request, { answers: [{ type: 1, data: Buffer.from([127, 0, 0, 1]) }] })];
    });
    expect(result).toMatchObject({ status: 'up', details: { ignoredReplies: 1, answers: [{ data: '127.0.0.1' }] } });
  });

  it('only foreign replies end in a timeout that says so', async () => {
    const result = await against((request) => {
      const spoofed = replyTo(request);
      spoofed.writeUInt16BE((request.readUInt16BE(0) + 1) & 0xffff, 0);
      return spoofed;
    }, 300);
    expect(result).toMatchObject({ status: 'down', reason: 'timeout', details: { ignoredReplies: 1 } });
    expect(result.message).toMatch(/1 replies with another id were ignored/);
  });

  it('a TCP reply cut short is protocol_error', async () => {
    const net = await import('node:net');
    const tcpServer = net.createServer((socket) => {
      socket.once('data', () => socket.end(Buffer.from([0, 40, 1, 2, 3])));
    });
    await new Promise<void>((resolve) => tcpServer.listen(0, '127.0.0.1', resolve));
    try {
      const port = (tcpServer.address() as { port: number }).port;
      const result = await query({ name: 'example.test', server: `127.0.0.1:${port}`, transport: 'tcp' });
      expect(result).toMatchObject({ status: 'down', reason: 'protocol_error' });
      expect(result.message).toMatch(/closed the TCP connection after 3 of 40 bytes/);
    } finally {
      await new Promise<void>((resolve) => tcpServer.close(() => resolve()));
    }
  });
});

describe('the system resolver', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'vigil-resolv-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('asks the first nameserver of resolv.conf on port 53', async () => {
    // A loopback nameserver: whatever answers on 127.0.0.1:53 (usually nothing), no packet leaves the host.
    const file = path.join(directory, 'resolv.conf');
    await writeFile(file, '# test\nsearch example.test\nnameserver 127.0.0.1\nnameserver ::1\n');
    const result = await createDnsCheck({ name: 'example.test', resolvConf: file }).run(createTestCheckContext({ timeoutMs: 500 }));
    expect(result.details).toMatchObject({ server: '127.0.0.1:53', serverSource: 'system' });
  });

  it('is unknown / config_error without any nameserver', async () => {
    const file = path.join(directory, 'empty.conf');
    await writeFile(file, 'search example.test\n');
    const result = await createDnsCheck({ name: 'example.test', resolvConf: file }).run(createTestCheckContext());
    expect(result).toMatchObject({ status: 'unknown', reason: 'config_error' });
    expect(result.message).toContain(file);
  });
});
