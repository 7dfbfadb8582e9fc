import type { CheckKindCommand } from './types.js';
import { parseHostPort } from './target.js';

/** `vigil check tcp <host:port>`: connect, optional TLS, optional send/expect. */
export const tcpCheckCommand: CheckKindCommand = {
  type: 'tcp',
  usage: 'vigil check tcp <host:port> [--tls] [--sni NAME|--no-sni] [--pin SHA256] [--send TEXT --expect REGEX] [--proxy socks5://host:port]',
  summary: 'TCP connect (and TLS handshake), optional send/expect banner check',
  flags: {
    tls: { type: 'boolean' },
    sni: { type: 'string' },
    'no-sni': { type: 'boolean' },
    insecure: { type: 'boolean' },
    pin: { type: 'string', multiple: true },
    alpn: { type: 'string', multiple: true },
    'min-tls': { type: 'string' },
    send: { type: 'string' },
    expect: { type: 'string' },
    proxy: { type: 'string' },
    onion: { type: 'string' },
    'random-credentials': { type: 'boolean' },
  },
  toOptions(target, flags) {
    const { host, port } = parseHostPort(target);
    const tlsWanted = flags.tls === true || flags.pin !== undefined || flags.sni !== undefined || flags['no-sni'] === true || flags.alpn !== undefined;
    const options: Record<string, unknown> = { host, port };
    if (tlsWanted) {
      const tls: Record<string, unknown> = {};
      if (flags['no-sni'] === true) tls.servername = false;
      else if (typeof flags.sni === 'string') tls.servername = flags.sni;
      if (flags.insecure === true) tls.verify = false;
      if (Array.isArray(flags.pin)) tls.pinSha256 = flags.pin;
      if (Array.isArray(flags.alpn)) tls.alpn = flags.alpn;
      if (typeof flags['min-tls'] === 'string') tls.minVersion = flags['min-tls'];
      options.tls = tls;
    }
    if (typeof flags.send === 'string') options.send = flags.send;
    if (typeof flags.expect === 'string') options.expect = flags.expect;
    if (typeof flags.proxy === 'string') options.proxy = flags.proxy;
    if (typeof flags.onion === 'string') options.onion = flags.onion;
    if (flags['random-credentials'] === true) options.randomCredentials = true;
    return options;
  },
};
