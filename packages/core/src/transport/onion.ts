import type { OnionMode } from '../contracts/dialer.js';
import { VigilError } from '../errors/vigil-error.js';

/** True when `host` is a Tor onion service name (`*.onion`, any case, trailing dot allowed). */
export function isOnionHost(host: string): boolean {
  // Compares characters in place: every dial asks, so no slicing or lower-casing.
  const end = host.charCodeAt(host.length - 1) === 0x2e ? host.length - 1 : host.length;
  if (end < 7 || host.charCodeAt(end - 6) !== 0x2e) return false;
  for (let index = 0; index < 5; index += 1) {
    if ((host.charCodeAt(end - 5 + index) | 0x20) !== 'onion'.charCodeAt(index)) return false;
  }
  return true;
}

export interface ChooseHostOptions {
  /** `prefer`: the onion host when proxied, else the first other; `require`: only onion; `never`: no onion. */
  readonly onion: OnionMode;
  /** Whether connections go through a SOCKS5 proxy (only then can `.onion` be reached). */
  readonly proxied: boolean;
}

function noHost(message: string, hosts: readonly string[], onion: OnionMode): VigilError {
  return new VigilError('VIGIL_ERR_CONFIG', `[core] ${message}`, { reason: 'config_error', details: { hosts: [...hosts], onion } });
}

/**
 * Picks the host to dial from a server's list (SimpleX-style addresses list a public name and an
 * onion name). Throws a `VIGIL_ERR_CONFIG` VigilError (reason `config_error`) when no host fits.
 */
export function chooseHost(hosts: readonly string[], options: ChooseHostOptions): string {
  const { onion, proxied } = options;
  if (hosts.length === 0) throw noHost('no host to choose from', hosts, onion);
  if (onion === 'require') {
    const onionHost = hosts.find(isOnionHost);
    if (onionHost === undefined) throw noHost(`onion: require, but none of ${hosts.join(', ')} is a .onion host`, hosts, onion);
    return onionHost;
  }
  const clearnetHost = hosts.find((host) => !isOnionHost(host));
  if (onion === 'prefer' && proxied) return hosts.find(isOnionHost) ?? (clearnetHost as string);
  if (clearnetHost !== undefined) return clearnetHost;
  throw noHost(
    onion === 'never'
      ? `onion: never, but every host is a .onion host (${hosts.join(', ')})`
      : `only .onion hosts (${hosts.join(', ')}) and no SOCKS5 proxy to reach them`,
    hosts,
    onion,
  );
}
