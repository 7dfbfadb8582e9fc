import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { DnsServerAddress } from './exchange.js';

/** Where the system keeps its resolver list on Linux and the BSDs. */
export const resolvConfPath = '/etc/resolv.conf';

/** The `nameserver` entries of a resolv.conf, in order (port 53; entries that are not IP addresses are skipped). */
export function parseResolvConf(text: string): DnsServerAddress[] {
  const servers: DnsServerAddress[] = [];
  for (const line of text.split('\n')) {
    const [keyword, value] = line.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (keyword === 'nameserver' && value !== undefined && isIP(value) !== 0) servers.push({ address: value, port: 53 });
  }
  return servers;
}

/** Reads the system's resolvers; an unreadable file gives none (the check then reports `config_error`). */
export async function readSystemResolvers(path: string = resolvConfPath): Promise<DnsServerAddress[]> {
  try {
    return parseResolvConf(await readFile(path, 'utf8'));
  } catch {
    return [];
  }
}
