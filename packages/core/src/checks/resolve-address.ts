import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** What `resolveHostAddress` looks up. */
export interface ResolveHostAddressOptions {
  /** A name, or an IP literal (returned as it is). */
  readonly host: string;
  /** Force IPv4 or IPv6; default whatever the system resolver returns first. */
  readonly family?: 4 | 6 | undefined;
  readonly signal: AbortSignal;
}

/** Resolves a name to one address, honouring the run's signal (dns.lookup itself cannot be aborted). */
export async function resolveHostAddress(options: ResolveHostAddressOptions): Promise<{ address: string; family: 4 | 6 }> {
  const { host, family, signal } = options;
  const literal = isIP(host);
  if (literal !== 0) return { address: host, family: literal === 6 ? 6 : 4 };
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const found = await Promise.race([lookup(host, family === undefined ? {} : { family }), aborted]);
    return { address: found.address, family: found.family === 6 ? 6 : 4 };
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
