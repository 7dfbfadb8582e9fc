import { randomInt } from 'node:crypto';
import {
  type Check,
  type CheckContext,
  type CheckResult,
  type PluginDefinition,
  type PluginMeta,
  abortReasonCode,
  classifyNetworkError,
  createResultFinisher,
  formatHostPort,
  parseOptions,
  roundMs,
  statelessPattern,
} from '@vigil/core';
import { type DnsExchangeOutcome, type DnsServerAddress, exchangeTcp, exchangeUdp } from './exchange.js';
import { type DnsCheckOptions, type ParsedDnsCheckOptions, dnsCheckOptionsSchema, parseServerAddress, queryName, reverseName } from './options.js';
import { readSystemResolvers } from './system-resolver.js';
import { type DnsMessage, type DnsRecord, describeResponseCode, dnsRecordTypes, dnsResponseCodes, encodeQuery, recordTypeName, responseCodeName } from './wire.js';

/** Who the DNS check is, for the plugin registry. */
export const dnsCheckMeta: PluginMeta = Object.freeze({ name: '@vigil/checks-dns', kind: 'check', type: 'dns', coreRange: '^0.1.0' });

// Enough answers in details to see what the server said, without storing a whole zone per result.
const shownAnswers = 20;

interface DnsCheckPlan {
  readonly name: string;
  readonly typeName: string;
  readonly type: number;
  readonly server: DnsServerAddress | undefined;
  readonly transport: ParsedDnsCheckOptions['transport'];
  readonly recursionDesired: boolean;
  readonly ednsUdpSize: number | undefined;
  readonly expectRcode: number;
  readonly minAnswers: number;
  readonly expectAnswers: readonly string[] | undefined;
  readonly expectAnswerPattern: RegExp | undefined;
  readonly slowMs: number | undefined;
  readonly resolvConfPath: string;
  readonly target: string;
}

function formatServer(server: DnsServerAddress): string {
  return formatHostPort(server.address, server.port);
}

/** Answers compare case-insensitively with trailing dots of names dropped; TXT text compares exactly. */
function normalizeAnswer(text: string, type: number): string {
  if (type === dnsRecordTypes.TXT) return text;
  return text
    .trim()
    .toLowerCase()
    .replace(/\.(?=\s|$)/g, '');
}

function buildPlan(options: ParsedDnsCheckOptions): DnsCheckPlan {
  const reversed = options.type === 'PTR' ? reverseName(options.name) : undefined;
  const name = queryName(reversed ?? options.name) as string;
  let server: DnsServerAddress | undefined;
  if (typeof options.server === 'string') server = parseServerAddress(options.server);
  else if (options.server) server = { address: options.server.host, port: options.server.port };
  return Object.freeze({
    name,
    typeName: options.type,
    type: dnsRecordTypes[options.type],
    server,
    transport: options.transport,
    recursionDesired: options.recursionDesired,
    ednsUdpSize: options.edns === false ? undefined : options.edns,
    expectRcode: dnsResponseCodes.indexOf(options.expectRcode),
    minAnswers: options.minAnswers,
    expectAnswers: options.expectAnswers === undefined ? undefined : Object.freeze([...options.expectAnswers]),
    expectAnswerPattern: options.expectAnswerPattern === undefined ? undefined : statelessPattern(options.expectAnswerPattern),
    slowMs: options.slowMs,
    resolvConfPath: options.resolvConf,
    target: `${name} ${options.type}${server ? ` @${formatServer(server)}` : ''}`,
  });
}

function recordText(record: DnsRecord): string {
  return `${record.name} ${record.ttl} ${recordTypeName(record.type)} ${record.data}`;
}

/** Creates a DNS check: one query to one server, with rcode and answer assertions and the query time. */
export function createDnsCheck(options: DnsCheckOptions): Check {
  const parsed = parseOptions(dnsCheckOptionsSchema, options, { source: 'checks-dns' });
  const plan = buildPlan(parsed);
  const question = `${plan.name} ${plan.typeName}`;

  const run = async (context: CheckContext): Promise<CheckResult> => {
    const started = context.clock.monotonicNow();
    const phases: Record<string, number> = {};
    const details: Record<string, unknown> = { name: plan.name, type: plan.typeName };
    const finish = createResultFinisher({ clock: context.clock, started, phases, details });

    let server = plan.server;
    details.serverSource = server ? 'options' : 'system';
    if (!server) {
      server = (await readSystemResolvers(plan.resolvConfPath))[0];
      if (!server) return finish('unknown', 'config_error', `${question}: no server given and no nameserver in ${plan.resolvConfPath}`);
    }
    const serverText = formatServer(server);
    details.server = serverText;

    const ask = (transport: 'udp' | 'tcp'): Promise<DnsExchangeOutcome> => {
      const id = randomInt(0, 0x10000);
      const query = encodeQuery({ id, name: plan.name, type: plan.type, recursionDesired: plan.recursionDesired, ednsUdpSize: plan.ednsUdpSize });
      const exchange = { server: server as DnsServerAddress, query, id, name: plan.name, type: plan.type, signal: context.signal, clock: context.clock };
      return transport === 'tcp' ? exchangeTcp(exchange) : exchangeUdp(exchange);
    };

    let transport: 'udp' | 'tcp' = plan.transport === 'tcp' ? 'tcp' : 'udp';
    let outcome = await ask(transport);
    phases[transport] = roundMs(outcome.elapsedMs);
    if (outcome.kind === 'response' && outcome.message.flags.truncated && plan.transport === 'udp') {
      // RFC 7766: a truncated UDP reply is retried over TCP.
      details.truncatedOverUdp = true;
      transport = 'tcp';
      outcome = await ask('tcp');
      phases.tcp = roundMs(outcome.elapsedMs);
    }
    details.transport = transport;
    if (outcome.ignoredReplies > 0) details.ignoredReplies = outcome.ignoredReplies;
    const via = `from ${serverText} over ${transport.toUpperCase()}`;

    if (outcome.kind === 'failed') {
      if (context.signal.aborted && outcome.error === context.signal.reason) {
        const reason = abortReasonCode(outcome.error);
        if (reason === 'aborted') return finish('unknown', 'aborted', `${question}: aborted waiting for ${serverText}`);
        const ignored = outcome.ignoredReplies > 0 ? ` (${outcome.ignoredReplies} replies with another id were ignored)` : '';
        return finish('down', 'timeout', `${question}: no reply ${via} within the ${context.timeoutMs} ms timeout${ignored}`);
      }
      const failure = classifyNetworkError(outcome.error);
      Object.assign(details, failure.details);
      const text = failure.reason === 'connection_refused' ? `nothing answers on ${serverText} (${transport === 'udp' ? 'ICMP port unreachable' : 'TCP connection refused'})` : `${failure.message} ${via}`;
      return finish('down', failure.reason, `${question}: ${text}`);
    }
    if (outcome.kind === 'invalid') {
      details.protocolError = outcome.error.message;
      return finish('down', 'protocol_error', `${question}: malformed reply ${via}: ${outcome.error.message}`);
    }

    const { message } = outcome;
    describeMessage(message, outcome.bytes, details);
    const elapsedMs = outcome.elapsedMs;
    const relevant = message.answers.filter((record) => record.type === plan.type);
    context.metrics.gauge('dns_answers', relevant.length);
    if (relevant.length > 0) context.metrics.gauge('dns_answer_min_ttl', Math.min(...relevant.map((record) => record.ttl)), { unit: 's' });

    const rcodeName = responseCodeName(message.rcode);
    if (message.rcode !== plan.expectRcode) {
      const expected = responseCodeName(plan.expectRcode);
      if (message.rcode === 0) {
        return finish('down', 'assertion_failed', `${question}: expected ${expected}, got NOERROR with ${relevant.length} answer(s) ${via}`);
      }
      const expectation = plan.expectRcode === 0 ? '' : ` (expected ${expected})`;
      return finish('down', 'dns_error', `${question}: ${rcodeName} (${describeResponseCode(message.rcode)})${expectation} ${via}`);
    }
    if (message.flags.truncated) details.truncated = true;

    if (plan.expectRcode === 0) {
      const texts = relevant.map((record) => record.data);
      if (relevant.length < plan.minAnswers) {
        const noData = relevant.length === 0 ? ` (NODATA${message.answers.length > 0 ? `; other answers: ${message.answers.map(recordText).join(', ')}` : ''})` : '';
        return finish('down', 'assertion_failed', `${question}: expected at least ${plan.minAnswers} ${plan.typeName} answer(s), got ${relevant.length}${noData} ${via}`);
      }
      if (plan.expectAnswers) {
        const present = new Set(relevant.map((record) => normalizeAnswer(record.data, plan.type)));
        const missing = plan.expectAnswers.filter((expected) => !present.has(normalizeAnswer(expected, plan.type)));
        if (missing.length > 0) {
          return finish('down', 'assertion_failed', `${question}: expected ${missing.map((text) => JSON.stringify(text)).join(', ')} among the answers; got ${JSON.stringify(texts)} ${via}`);
        }
      }
      if (plan.expectAnswerPattern && !texts.some((text) => plan.expectAnswerPattern?.test(text))) {
        return finish('down', 'assertion_failed', `${question}: no answer matches ${String(plan.expectAnswerPattern)}; got ${JSON.stringify(texts)} ${via}`);
      }
    }

    const summary = plan.expectRcode === 0 ? `${relevant.length} answer(s)${relevant.length > 0 ? ` (${relevant.slice(0, 3).map((record) => record.data).join(', ')}${relevant.length > 3 ? ', ...' : ''})` : ''}` : rcodeName;
    if (plan.slowMs !== undefined && elapsedMs > plan.slowMs) {
      return finish('degraded', 'slow_response', `${question}: ${summary} ${via} in ${roundMs(elapsedMs)} ms, slower than ${plan.slowMs} ms`);
    }
    return finish('up', 'ok', `${question}: ${summary} ${via}`);
  };

  return Object.freeze({
    specificationVersion: 'v1' as const,
    meta: dnsCheckMeta,
    target: plan.target,
    run,
  });
}

/** The facts of a reply that go into `details`. */
function describeMessage(message: DnsMessage, bytes: number, details: Record<string, unknown>): void {
  details.rcode = responseCodeName(message.rcode);
  details.rcodeValue = message.rcode;
  details.authoritative = message.flags.authoritative;
  details.recursionAvailable = message.flags.recursionAvailable;
  details.authenticData = message.flags.authenticData;
  details.bytes = bytes;
  details.answerCount = message.answers.length;
  details.answers = message.answers.slice(0, shownAnswers).map((record) => ({ name: record.name, type: recordTypeName(record.type), ttl: record.ttl, data: record.data }));
  if (message.authorities.length > 0) details.authorities = message.authorities.slice(0, shownAnswers).map(recordText);
}

/** The DNS check as a registrable plugin (`type: dns` in config files). */
export const dnsCheckPlugin: PluginDefinition<typeof dnsCheckOptionsSchema, Check> = Object.freeze({
  meta: dnsCheckMeta,
  optionsSchema: dnsCheckOptionsSchema,
  create: createDnsCheck,
  description: 'Queries one DNS server (A, AAAA, CNAME, MX, TXT, NS, SOA, SRV, PTR) over UDP or TCP, asserts the rcode and the answers, and times the query.',
});
