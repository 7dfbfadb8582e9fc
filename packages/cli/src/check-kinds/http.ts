import { readFileSync } from 'node:fs';
import { VigilError, describeError, parseDuration } from '@vigil/core';
import type { CheckKindCommand, FlagValues } from './types.js';

function configError(flag: string, message: string): VigilError {
  return new VigilError('VIGIL_ERR_CONFIG', `[cli] --${flag}: ${message}`, { path: flag });
}

function strings(value: FlagValues[string]): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === 'string');
}

/** Splits `Name: value` at the first colon. */
function nameAndValue(text: string, flag: string): [string, string] {
  const colon = text.indexOf(':');
  if (colon <= 0) throw configError(flag, `expected "Name: value", got ${JSON.stringify(text)}`);
  return [text.slice(0, colon).trim(), text.slice(colon + 1).trim()];
}

function integer(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw configError(flag, `expected a whole number, got ${JSON.stringify(text)}`);
  return value;
}

/** `vigil check http <url>`: one request (following redirects) with status, header, body and JSON path assertions. */
export const httpCheckCommand: CheckKindCommand = {
  type: 'http',
  usage:
    'vigil check http <url> [--method POST] [--header "Name: value"]... [--body TEXT] [--expect-status 2xx]... [--expect-header "Name: value"]... ' +
    '[--expect-header-regex "Name: regex"]... [--expect-body TEXT]... [--expect-body-regex REGEX]... [--json-path \'$.status == "UP"\']... ' +
    '[--degraded-above 500ms] [--redirect follow|none|error] [--max-redirects N] [--max-body-bytes N] [--keep-alive] ' +
    '[--insecure] [--ca FILE] [--pin SHA256]... [--sni NAME|--no-sni] [--min-tls TLSv1.2] [--expiry-warn DAYS] [--expiry-critical DAYS] ' +
    '[--proxy socks5://host:port] [--onion never|prefer|require] [--random-credentials]',
  summary: 'HTTP(S) request: status, headers, body and JSON path assertions, timings, certificate expiry',
  flags: {
    method: { type: 'string', short: 'X' },
    header: { type: 'string', short: 'H', multiple: true },
    body: { type: 'string' },
    'expect-status': { type: 'string', multiple: true },
    'expect-header': { type: 'string', multiple: true },
    'expect-header-regex': { type: 'string', multiple: true },
    'expect-body': { type: 'string', multiple: true },
    'expect-body-regex': { type: 'string', multiple: true },
    'json-path': { type: 'string', multiple: true },
    'degraded-above': { type: 'string' },
    redirect: { type: 'string' },
    'max-redirects': { type: 'string' },
    'max-body-bytes': { type: 'string' },
    'keep-alive': { type: 'boolean' },
    insecure: { type: 'boolean', short: 'k' },
    ca: { type: 'string' },
    pin: { type: 'string', multiple: true },
    sni: { type: 'string' },
    'no-sni': { type: 'boolean' },
    'min-tls': { type: 'string' },
    'expiry-warn': { type: 'string' },
    'expiry-critical': { type: 'string' },
    proxy: { type: 'string' },
    onion: { type: 'string' },
    'random-credentials': { type: 'boolean' },
  },
  toOptions(target, flags) {
    // `127.0.0.1:8080/health` means http://; any other scheme is left for the check to reject.
    const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? target : `http://${target}`;
    const options: Record<string, unknown> = { url };
    if (typeof flags.method === 'string') options.method = flags.method.toUpperCase();
    const headers = strings(flags.header);
    if (headers.length > 0) options.headers = Object.fromEntries(headers.map((header) => nameAndValue(header, 'header')));
    if (typeof flags.body === 'string') options.body = flags.body;
    if (typeof flags.redirect === 'string') options.redirect = flags.redirect;
    if (typeof flags['max-redirects'] === 'string') options.maxRedirects = integer(flags['max-redirects'], 'max-redirects');
    if (typeof flags['max-body-bytes'] === 'string') options.maxBodyBytes = integer(flags['max-body-bytes'], 'max-body-bytes');
    if (flags['keep-alive'] === true) options.connection = 'keep-alive';

    const expect: Record<string, unknown> = {};
    const statuses = strings(flags['expect-status']).flatMap((text) => text.split(',').map((item) => item.trim()));
    if (statuses.length > 0) expect.status = statuses.map((status) => (/^\d+$/.test(status) ? Number(status) : status));
    const expectedHeaders: Record<string, unknown> = {};
    for (const header of strings(flags['expect-header'])) {
      const [name, value] = nameAndValue(header, 'expect-header');
      expectedHeaders[name] = value;
    }
    for (const header of strings(flags['expect-header-regex'])) {
      const [name, value] = nameAndValue(header, 'expect-header-regex');
      expectedHeaders[name] = { matches: value };
    }
    if (Object.keys(expectedHeaders).length > 0) expect.headers = expectedHeaders;
    const body: Record<string, unknown> = {};
    if (strings(flags['expect-body']).length > 0) body.contains = strings(flags['expect-body']);
    if (strings(flags['expect-body-regex']).length > 0) body.matches = strings(flags['expect-body-regex']);
    if (strings(flags['json-path']).length > 0) body.jsonPath = strings(flags['json-path']);
    if (Object.keys(body).length > 0) expect.body = body;
    if (typeof flags['degraded-above'] === 'string') expect.degradedAboveMs = parseDuration(flags['degraded-above'], 'degraded-above');
    if (Object.keys(expect).length > 0) options.expect = expect;

    const tls: Record<string, unknown> = {};
    if (flags.insecure === true) tls.verify = false;
    if (typeof flags.ca === 'string') {
      try {
        tls.ca = readFileSync(flags.ca, 'utf8');
      } catch (error) {
        throw configError('ca', `cannot read ${JSON.stringify(flags.ca)}: ${describeError(error)}`);
      }
    }
    if (strings(flags.pin).length > 0) tls.pinSha256 = strings(flags.pin);
    if (flags['no-sni'] === true) tls.servername = false;
    else if (typeof flags.sni === 'string') tls.servername = flags.sni;
    if (typeof flags['min-tls'] === 'string') tls.minVersion = flags['min-tls'];
    if (typeof flags['expiry-warn'] === 'string') tls.expiryWarnDays = integer(flags['expiry-warn'], 'expiry-warn');
    if (typeof flags['expiry-critical'] === 'string') tls.expiryCriticalDays = integer(flags['expiry-critical'], 'expiry-critical');
    if (Object.keys(tls).length > 0) options.tls = tls;

    if (typeof flags.proxy === 'string') options.proxy = flags.proxy;
    if (typeof flags.onion === 'string') options.onion = flags.onion;
    if (flags['random-credentials'] === true) options.randomCredentials = true;
    return options;
  },
};
