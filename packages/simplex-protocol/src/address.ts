import { isIP } from 'node:net';
import { REDACTED, VigilError } from '@vigil/core';

export type SimplexScheme = 'smp' | 'xftp';

/** Default ports when an address names none (doc §1.3). */
export const defaultPorts: Readonly<Record<SimplexScheme, number>> = Object.freeze({ smp: 5223, xftp: 443 });

/** A parsed `smp://` or `xftp://` server address (doc §1.1). */
export interface ServerAddress {
  readonly scheme: SimplexScheme;
  /** SHA-256 of the DER of the server's identity certificate (32 bytes). */
  readonly keyHash: Buffer;
  /** keyHash as printed: base64url with `=` padding. */
  readonly keyHashText: string;
  /** The server's basic-auth password (`create_password`), if the address carries one. A secret. */
  readonly password: string | undefined;
  /** One or more hosts (usually a public name and an onion name); one port applies to all. */
  readonly hosts: readonly string[];
  /** The explicit port, or undefined for the scheme's default. */
  readonly port: number | undefined;
}

function invalid(message: string): VigilError {
  return new VigilError('VIGIL_ERR_CONFIG', `[simplex-protocol] ${message}`, { reason: 'config_error' });
}

// basicAuth: printable ASCII without whitespace, '@', ':' or '/' (doc §1.1).
const passwordPattern = /^[\x21-\x7e]+$/;
const onionPattern = /^[a-z0-9]+\.onion$/;
const dnsNamePattern = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

function parseHost(text: string, index: number): string {
  const bracketed = /^\[([^\]]+)\]$/.exec(text);
  if (bracketed) {
    if (isIP(bracketed[1] as string) !== 6) throw invalid(`host ${index + 1} "${text}" is not an IPv6 address`);
    return bracketed[1] as string;
  }
  if (isIP(text) !== 0) return text;
  if (text.toLowerCase().endsWith('.onion')) {
    if (!onionPattern.test(text)) throw invalid(`host ${index + 1} "${text}" is not an onion name ([a-z0-9]+.onion)`);
    return text;
  }
  if (!dnsNamePattern.test(text)) throw invalid(`host ${index + 1} "${text}" is not a host name, IPv4 or IPv6 address`);
  return text;
}

/**
 * Parses `<scheme>://<keyHash>[:<password>]@<host>[,<host>...][:<port>]`. Errors are
 * `VIGIL_ERR_CONFIG` and never quote the password.
 */
export function parseServerAddress(text: string, scheme: SimplexScheme): ServerAddress {
  if (typeof text !== 'string' || text.trim() === '') throw invalid(`expected a ${scheme}:// server address`);
  const trimmed = text.trim();
  const prefix = `${scheme}://`;
  if (!trimmed.toLowerCase().startsWith(prefix)) {
    const other = /^([a-z]+):\/\//i.exec(trimmed)?.[1];
    throw invalid(other ? `expected a ${scheme}:// address, got a ${other}:// one` : `expected an address starting with ${prefix}`);
  }
  const rest = trimmed.slice(prefix.length);
  const at = rest.lastIndexOf('@');
  if (at < 0) throw invalid(`expected ${prefix}<keyHash>@<host>: the "@" is missing`);
  const credentials = rest.slice(0, at);
  const location = rest.slice(at + 1);
  const colon = credentials.indexOf(':');
  const keyHashText = colon < 0 ? credentials : credentials.slice(0, colon);
  const password = colon < 0 ? undefined : credentials.slice(colon + 1);
  if (!/^[A-Za-z0-9_-]{43}=?$/.test(keyHashText)) {
    throw invalid('the key hash must be 32 bytes in base64url (43 characters, optionally followed by "=")');
  }
  const keyHash = Buffer.from(keyHashText.replace(/=$/, ''), 'base64url');
  if (keyHash.length !== 32) throw invalid('the key hash must decode to 32 bytes');
  if (password !== undefined && (password === '' || !passwordPattern.test(password) || /[@:/]/.test(password))) {
    throw invalid('the server password must be printable ASCII without spaces, "@", ":" or "/"');
  }
  if (location === '') throw invalid('no host after "@"');
  if (/[/?#]/.test(location)) throw invalid('a server address has no path, query or fragment');
  // The port follows the last host: "host1,host2:5223", or "[::1]:5223".
  let hostsText = location;
  let port: number | undefined;
  const portMatch = /:(\d+)$/.exec(location);
  const lastHost = location.slice(location.lastIndexOf(',') + 1);
  const bareIpv6 = !lastHost.startsWith('[') && isIP(lastHost) === 6;
  if (portMatch && !bareIpv6) {
    port = Number(portMatch[1]);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) throw invalid(`the port must be between 1 and 65535, got ${portMatch[1]}`);
    hostsText = location.slice(0, portMatch.index);
  } else if (/:[^\]]*$/.test(lastHost) && !bareIpv6) {
    throw invalid(`the port must be a number, in "${lastHost}"`);
  }
  const hostParts = hostsText.split(',');
  if (hostParts.some((host) => host === '')) throw invalid('empty host in the host list');
  const hosts = hostParts.map((host, index) => parseHost(host, index));
  return Object.freeze({
    scheme,
    keyHash,
    keyHashText: keyHash.toString('base64url') + '=',
    password,
    hosts: Object.freeze(hosts),
    port,
  });
}

function formatHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/**
 * Prints an address as the SimpleX apps do, with the password replaced by `[redacted]` unless
 * `revealPassword` is set (only for sending it to the server, never for display).
 */
export function formatServerAddress(address: ServerAddress, options: { readonly revealPassword?: boolean } = {}): string {
  const password = address.password === undefined ? '' : `:${options.revealPassword ? address.password : REDACTED}`;
  const port = address.port === undefined ? '' : `:${address.port}`;
  return `${address.scheme}://${address.keyHashText}${password}@${address.hosts.map(formatHost).join(',')}${port}`;
}

/** Replaces the `:password@` part of any smp:// or xftp:// address in free text (logs, messages). */
export function redactServerAddresses(text: string): string {
  return text.replace(/\b((?:smp|xftp|ntf):\/\/[A-Za-z0-9_-]{43}=?):[^@\s]*@/gi, `$1:${REDACTED}@`);
}
