import { normalizeSha256Fingerprint, parseProxyUrl } from '@vigil/core';
import { z } from 'zod';

/**
 * Decodes the escapes a `send` payload may use: `\r`, `\n`, `\t`, `\0`, `\\` and `\xHH`.
 * Returns undefined for an unknown or incomplete escape.
 */
export function decodeEscapes(text: string): Buffer | undefined {
  const bytes: number[] = [];
  const encoded = Buffer.from(text, 'utf8');
  for (let index = 0; index < encoded.length; index += 1) {
    const byte = encoded[index] as number;
    if (byte !== 0x5c) {
      bytes.push(byte);
      continue;
    }
    const next = encoded[index + 1];
    index += 1;
    if (next === 0x72) bytes.push(0x0d);
    else if (next === 0x6e) bytes.push(0x0a);
    else if (next === 0x74) bytes.push(0x09);
    else if (next === 0x30) bytes.push(0x00);
    else if (next === 0x5c) bytes.push(0x5c);
    else if (next === 0x78) {
      const hex = encoded.subarray(index + 1, index + 3).toString('latin1');
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else return undefined;
  }
  return Buffer.from(bytes);
}

const tlsVersionSchema = z.enum(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);

const pinSchema = z
  .string()
  .refine((pin) => normalizeSha256Fingerprint(pin) !== undefined, 'expected a SHA-256 fingerprint: 64 hex digits (colons allowed) or base64');

const pemSchema = z.string().min(1);

const tlsObjectSchema = z
  .strictObject({
    /** SNI: a name, or false to send none; default the host when it is a name. */
    servername: z.union([z.string().min(1), z.literal(false)]).optional(),
    alpn: z.array(z.string().min(1)).min(1).optional(),
    minVersion: tlsVersionSchema.optional(),
    maxVersion: tlsVersionSchema.optional(),
    verify: z.boolean().default(true),
    ca: z.union([pemSchema, z.array(pemSchema).min(1)]).optional(),
    /** Client certificate and key (PEM) for mutual TLS. */
    cert: pemSchema.optional(),
    key: pemSchema.optional(),
    pinSha256: z.union([pinSchema, z.array(pinSchema).min(1)]).optional(),
    expiryWarnDays: z.number().int().min(0).default(14),
    expiryCriticalDays: z.number().int().min(0).default(3),
  })
  .refine((tls) => tls.expiryCriticalDays <= tls.expiryWarnDays, {
    message: 'expiryCriticalDays must not exceed expiryWarnDays',
    path: ['expiryCriticalDays'],
  })
  .refine((tls) => (tls.cert === undefined) === (tls.key === undefined), { message: 'cert and key go together', path: ['key'] });

const proxyObjectSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535),
  username: z.string().max(255).optional(),
  password: z.string().max(255).optional(),
  randomCredentials: z.boolean().optional(),
});

const proxyUrlSchema = z.string().superRefine((url, context) => {
  try {
    parseProxyUrl(url);
  } catch (error) {
    // parseProxyUrl never echoes credentials; keep only its explanation.
    const message = error instanceof Error ? error.message.replace(/^\[core\] config: proxy: /, '') : 'invalid proxy URL';
    context.addIssue({ code: 'custom', message });
  }
});

const regexSource = z.string().superRefine((source, context) => {
  try {
    new RegExp(source);
  } catch (error) {
    context.addIssue({ code: 'custom', message: `not a valid regular expression: ${error instanceof Error ? error.message : String(error)}` });
  }
});

/** Options of the TCP check (the core adds `id`, `interval`, `timeoutMs`, `tags` and retries). */
export const tcpCheckOptionsSchema = z
  .strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65_535),
    /** Wrap the connection in TLS: `true` for defaults, or TLS options. */
    tls: z.union([z.boolean(), tlsObjectSchema]).optional(),
    /** Text to send once connected; `\r`, `\n`, `\t`, `\0`, `\\` and `\xHH` escapes are decoded. */
    send: z
      .string()
      .min(1)
      .refine((text) => decodeEscapes(text) !== undefined, 'unknown escape; use \\r, \\n, \\t, \\0, \\\\ or \\xHH')
      .optional(),
    /** Bytes to send once connected, as hex (spaces allowed). */
    sendHex: z
      .string()
      .refine((hex) => /^(?:[0-9a-fA-F]{2}\s*)+$/.test(hex.trim()), 'expected hex bytes like "0d0a" or "16 03 01"')
      .optional(),
    /** A regular expression the reply must match (a string source or a RegExp). */
    expect: z.union([regexSource, z.instanceof(RegExp)]).optional(),
    /** Read at most this many bytes while waiting for `expect` to match. */
    readLimitBytes: z.number().int().min(1).max(1_048_576).default(4_096),
    /** Once part of a reply has arrived without matching, wait this long for more before calling it a mismatch. */
    replyIdleMs: z.number().int().min(1).max(600_000).default(250),
    /** A SOCKS5 proxy: `socks5h://[user:pass@]host:port` or an object. */
    proxy: z.union([proxyUrlSchema, proxyObjectSchema]).optional(),
    /** `.onion` handling; `.onion` hosts need a proxy. */
    onion: z.enum(['never', 'prefer', 'require']).default('prefer'),
    /** A fresh random SOCKS5 username per connection (Tor then isolates each probe's circuit). */
    randomCredentials: z.boolean().default(false),
    /** Force IPv4 or IPv6 for the local name lookup. */
    family: z.union([z.literal(4), z.literal(6)]).optional(),
    /** TCP keepalive: `true`, or the idle time before the first probe (Node 20 cannot set interval or count). */
    keepAlive: z.union([z.boolean(), z.strictObject({ idleMs: z.number().int().min(0) })]).optional(),
  })
  .refine((options) => options.send === undefined || options.sendHex === undefined, { message: 'use send or sendHex, not both', path: ['sendHex'] })
  .refine((options) => !options.randomCredentials || options.proxy !== undefined, {
    message: 'randomCredentials needs a proxy',
    path: ['randomCredentials'],
  });

/** What `createTcpCheck` accepts. */
export type TcpCheckOptions = z.input<typeof tcpCheckOptionsSchema>;

/** The options after parsing, with defaults applied. */
export type ParsedTcpCheckOptions = z.output<typeof tcpCheckOptionsSchema>;
