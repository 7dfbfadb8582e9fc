import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { portSchema, regexOptionSchema } from '@vigil/core';
import { z } from 'zod';
import { dnsRecordTypes, dnsResponseCodes, nameToLabels } from './wire.js';

/** Splits `address`, `address:port`, `[v6]:port` or a bare IPv6 literal; undefined when it is not an IP. */
export function parseServerAddress(text: string): { address: string; port: number } | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  let address: string | undefined;
  let portText: string | undefined;
  if (bracketed) {
    address = bracketed[1];
    portText = bracketed[2];
  } else if (isIP(text) === 6) {
    address = text;
  } else {
    const match = /^([^:]+)(?::(\d{1,5}))?$/.exec(text);
    address = match?.[1];
    portText = match?.[2];
  }
  const port = portText === undefined ? 53 : Number(portText);
  if (address === undefined || isIP(address) === 0 || !Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  return { address, port };
}

/** The reverse-lookup name of an IP address (`in-addr.arpa` / `ip6.arpa`), or undefined when it is not one. */
export function reverseName(address: string): string | undefined {
  const family = isIP(address);
  if (family === 4) return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
  if (family !== 6) return undefined;
  // Expand to 32 nibbles: fill the `::` gap with zero groups.
  const [head = '', tail] = address.toLowerCase().split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const last = tailGroups.at(-1) ?? headGroups.at(-1);
  if (last?.includes('.')) return undefined; // embedded IPv4 forms are rare in monitoring configs
  const zeros = Array.from({ length: 8 - headGroups.length - tailGroups.length }, () => '0');
  const groups = tail === undefined ? headGroups : [...headGroups, ...zeros, ...tailGroups];
  const nibbles = groups.map((group) => group.padStart(4, '0')).join('');
  return `${[...nibbles].reverse().join('.')}.ip6.arpa`;
}

/** The query name in ASCII (IDNs converted to A-labels), or undefined when it cannot be a DNS name. */
export function queryName(name: string): string | undefined {
  const ascii = name === '.' ? '.' : domainToASCII(name);
  if (ascii === '') return undefined;
  try {
    nameToLabels(ascii);
  } catch {
    return undefined;
  }
  return ascii;
}

const recordTypeSchema = z.enum(Object.keys(dnsRecordTypes) as [keyof typeof dnsRecordTypes, ...(keyof typeof dnsRecordTypes)[]]);

const serverSchema = z.union([
  z.string().refine((text) => parseServerAddress(text) !== undefined, 'expected an IP address with an optional port: 127.0.0.1, 127.0.0.1:5353, ::1 or [::1]:5353'),
  z.strictObject({
    host: z.string().refine((host) => isIP(host) !== 0, 'expected an IP address (a DNS server cannot be found by name without DNS)'),
    port: portSchema.default(53),
  }),
]);

/** Options of the DNS check (the core adds `id`, `interval`, `timeoutMs`, `tags` and retries). */
export const dnsCheckOptionsSchema = z
  .strictObject({
    /** The name to query. With `type: PTR` an IP address is turned into its reverse name. */
    name: z.string().min(1),
    type: recordTypeSchema.default('A'),
    /** The server to ask: `127.0.0.1:5353`, `[::1]:53`, or `{ host, port }`. Default: the first `nameserver` of /etc/resolv.conf. */
    server: serverSchema.optional(),
    /**
     * `udp` with a retry over TCP when the reply is truncated (default); `udp-only` reports a
     * truncated reply as it is; `tcp` asks over TCP only.
     */
    transport: z.enum(['udp', 'udp-only', 'tcp']).default('udp'),
    /** Ask the server to recurse (RD bit). Turn off to query an authoritative server about its own zone. */
    recursionDesired: z.boolean().default(true),
    /** Advertise this EDNS UDP payload size (RFC 6891), or `false` for a plain 512-byte RFC 1035 query. */
    edns: z.union([z.literal(false), z.number().int().min(512).max(65_535)]).default(1232),
    /** The response code the server must give; another one is `dns_error` (or `assertion_failed` when it is NOERROR). */
    expectRcode: z.enum(dnsResponseCodes).default('NOERROR'),
    /** With `expectRcode: NOERROR`, at least this many answers of the queried type (0 accepts an empty answer). */
    minAnswers: z.number().int().min(0).default(1),
    /** Every one of these must be among the answers of the queried type (`127.0.0.10`, `10 mail.example.org`, TXT text). */
    expectAnswers: z.array(z.string().min(1)).min(1).optional(),
    /** At least one answer of the queried type must match this regular expression. */
    expectAnswerPattern: regexOptionSchema.optional(),
    /** A reply slower than this many milliseconds makes the result `degraded` / `slow_response`. */
    slowMs: z.number().positive().optional(),
    /** Where the system resolvers are listed, used when `server` is not given. */
    resolvConf: z.string().min(1).default('/etc/resolv.conf'),
  })
  .superRefine((options, context) => {
    const name = options.type === 'PTR' ? (reverseName(options.name) ?? options.name) : options.name;
    if (queryName(name) === undefined) context.addIssue({ code: 'custom', path: ['name'], message: 'not a valid DNS name (labels of 1-63 bytes, 255 bytes in all)' });
  });

/** What `createDnsCheck` accepts. */
export type DnsCheckOptions = z.input<typeof dnsCheckOptionsSchema>;

/** The options after parsing, with defaults applied. */
export type ParsedDnsCheckOptions = z.output<typeof dnsCheckOptionsSchema>;
