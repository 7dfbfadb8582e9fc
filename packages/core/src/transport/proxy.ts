import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { ProxyOptions } from '../contracts/dialer.js';
import { VigilError } from '../errors/vigil-error.js';
import { REDACTED } from '../util/redact.js';

const proxySchemes = new Set(['socks5:', 'socks5h:']);

function configError(path: string, message: string): VigilError {
  return new VigilError('VIGIL_ERR_CONFIG', `[core] config: ${path}: ${message}`, { path, reason: 'config_error' });
}

function decodeComponent(text: string, path: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw configError(path, `the proxy ${what} is not valid percent-encoding`);
  }
}

/**
 * Parses `socks5://[user:pass@]host:port` or `socks5h://...` into {@link ProxyOptions}.
 * Both schemes resolve names at the proxy (Vigil never resolves a proxied name locally, so no
 * DNS leaks); `socks5h` is accepted for familiarity. Errors are `VIGIL_ERR_CONFIG` naming `path`
 * and never echo the credentials.
 */
export function parseProxyUrl(url: string, path = 'proxy'): ProxyOptions {
  if (typeof url !== 'string' || url.trim() === '') throw configError(path, 'expected a proxy URL like socks5h://127.0.0.1:9050');
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw configError(path, 'expected a proxy URL like socks5h://127.0.0.1:9050 (could not parse it)');
  }
  if (!proxySchemes.has(parsed.protocol)) {
    throw configError(path, `unsupported proxy scheme "${parsed.protocol.replace(/:$/, '')}"; expected socks5 or socks5h`);
  }
  if ((parsed.pathname !== '' && parsed.pathname !== '/') || parsed.search !== '' || parsed.hash !== '') {
    throw configError(path, 'a proxy URL has no path, query or fragment');
  }
  // URL keeps IPv6 literals in brackets; net and SOCKS want them bare.
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  if (host === '') throw configError(path, 'the proxy URL has no host');
  if (parsed.port === '') throw configError(path, 'the proxy URL needs an explicit port (Tor listens on 9050)');
  const port = Number(parsed.port);
  if (port < 1) throw configError(path, 'the proxy port must be between 1 and 65535');
  const username = parsed.username === '' ? undefined : decodeComponent(parsed.username, path, 'username');
  const password = parsed.password === '' ? undefined : decodeComponent(parsed.password, path, 'password');
  if (Buffer.byteLength(username ?? '') > 255 || Buffer.byteLength(password ?? '') > 255) {
    throw configError(path, 'SOCKS5 usernames and passwords are limited to 255 bytes');
  }
  const options: { host: string; port: number; username?: string; password?: string } = { host, port };
  if (username !== undefined) options.username = username;
  if (password !== undefined) options.password = password;
  return Object.freeze(options);
}

/** Formats a proxy as a URL for messages and logs, with any credentials replaced by `[redacted]`. */
export function formatProxyUrl(proxy: ProxyOptions): string {
  const host = isIP(proxy.host) === 6 ? `[${proxy.host}]` : proxy.host;
  const credentials = proxy.username !== undefined || proxy.password !== undefined || proxy.randomCredentials ? `${REDACTED}@` : '';
  return `socks5h://${credentials}${host}:${proxy.port}`;
}

/**
 * The SOCKS5 username and password for one connection. With `randomCredentials`, the username
 * (and the password, unless one is configured) is fresh random hex, so Tor's IsolateSOCKSAuth
 * gives every connection its own circuit.
 */
export function proxyCredentials(proxy: ProxyOptions): { username?: string; password?: string } {
  if (proxy.randomCredentials) {
    return { username: randomBytes(8).toString('hex'), password: proxy.password ?? randomBytes(8).toString('hex') };
  }
  if (proxy.username === undefined && proxy.password === undefined) return {};
  return { username: proxy.username ?? '', password: proxy.password ?? '' };
}
