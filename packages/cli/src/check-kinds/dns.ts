import { VigilError } from '@vigil/core';
import type { CheckKindCommand } from './types.js';

/** `vigil check dns <name>`: one query to one server, rcode and answer assertions. */
export const dnsCheckCommand: CheckKindCommand = {
  type: 'dns',
  usage:
    'vigil check dns <name> [--type A|AAAA|CNAME|MX|TXT|NS|SOA|SRV|PTR] [--server IP[:port]] [--tcp | --udp-only] [--expect-rcode NXDOMAIN] [--expect-answer TEXT]... [--expect-pattern REGEX] [--min-answers N] [--no-recurse] [--no-edns]',
  summary: 'DNS query: rcode, answers and query time against a chosen server (default: the system resolver)',
  flags: {
    type: { type: 'string' },
    server: { type: 'string' },
    tcp: { type: 'boolean' },
    'udp-only': { type: 'boolean' },
    'expect-rcode': { type: 'string' },
    'expect-answer': { type: 'string', multiple: true },
    'expect-pattern': { type: 'string' },
    'min-answers': { type: 'string' },
    'no-recurse': { type: 'boolean' },
    'no-edns': { type: 'boolean' },
  },
  toOptions(target, flags) {
    const options: Record<string, unknown> = { name: target };
    if (typeof flags.type === 'string') options.type = flags.type.toUpperCase();
    if (typeof flags.server === 'string') options.server = flags.server;
    if (flags.tcp === true && flags['udp-only'] === true) throw new VigilError('VIGIL_ERR_CONFIG', '[cli] use --tcp or --udp-only, not both', { path: 'tcp' });
    if (flags.tcp === true) options.transport = 'tcp';
    if (flags['udp-only'] === true) options.transport = 'udp-only';
    if (typeof flags['expect-rcode'] === 'string') options.expectRcode = flags['expect-rcode'].toUpperCase();
    if (Array.isArray(flags['expect-answer'])) options.expectAnswers = flags['expect-answer'];
    if (typeof flags['expect-pattern'] === 'string') options.expectAnswerPattern = flags['expect-pattern'];
    if (typeof flags['min-answers'] === 'string') options.minAnswers = Number(flags['min-answers']);
    if (flags['no-recurse'] === true) options.recursionDesired = false;
    if (flags['no-edns'] === true) options.edns = false;
    return options;
  },
};
