import { simplexCommand, simplexTransportFlags } from './smp.js';
import type { CheckKindCommand } from './types.js';

/** The per-probe histogram each XFTP mode records. */
const xftpModeHistograms: Readonly<Record<string, string>> = { ping: 'rtt', file: 'file_time' };

/** `vigil check xftp '<xftp://keyHash[:password]@host[,host][:port]>'`. */
export const xftpCheckCommand: CheckKindCommand = simplexCommand(
  {
    type: 'xftp',
    usage: "vigil check xftp 'xftp://<keyHash>[:<password>]@<host>[,<host>][:<port>]' [--mode ping|file] [--count N] [--proxy socks5://127.0.0.1:9050 | --tor] [--onion never|prefer|require]",
    summary: 'SimpleX XFTP relay: pinned identity and HTTP/2 handshake, then PING or a 64 KiB upload/download/compare/delete',
    flags: simplexTransportFlags,
  },
  xftpModeHistograms,
);
