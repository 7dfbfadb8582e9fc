import { z } from 'zod';
import type { ProxyOptions } from '../contracts/dialer.js';
import { parseProxyUrl } from '../transport/proxy.js';
import { normalizeSha256Fingerprint } from '../transport/tls-session.js';
import { decodeEscapes } from './escapes.js';

// Option pieces shared by the check plugins. Each plugin still declares its whole schema; these
// keep the fields that mean the same thing in several checks spelled, defaulted and explained once.

/** A host: a name or an IP literal. */
export const hostSchema = z.string().min(1);

/** A TCP or UDP port number. */
export const portSchema = z.number().int().min(1).max(65_535);

/** Forces IPv4 or IPv6 for a name lookup. */
export const addressFamilySchema = z.union([z.literal(4), z.literal(6)]);

const regexSourceSchema = z.string().superRefine((source, context) => {
  try {
    new RegExp(source);
  } catch (error) {
    context.addIssue({ code: 'custom', message: `not a valid regular expression: ${error instanceof Error ? error.message : String(error)}` });
  }
});

/** A regular expression: its source as a string (it must compile) or a RegExp. */
export const regexOptionSchema = z.union([regexSourceSchema, z.instanceof(RegExp)]);

/** Text whose `\r`, `\n`, `\t`, `\0`, `\\` and `\xHH` escapes decode (see `decodeEscapes`). */
export const escapedTextSchema = z.string().refine((text) => decodeEscapes(text) !== undefined, 'unknown escape; use \\r, \\n, \\t, \\0, \\\\ or \\xHH');

/** Bytes as hex, spaces allowed. */
export const hexBytesSchema = z.string().refine((hex) => /^(?:[0-9a-fA-F]{2}\s*)+$/.test(hex.trim()), 'expected hex bytes like "0d0a" or "16 03 01"');

/** The rule that a check takes its payload as `send` or as `sendHex`, not both; add it with `.check()`. */
export const sendOrSendHexRule = z.refine<{ readonly send?: unknown; readonly sendHex?: unknown }>((options) => options.send === undefined || options.sendHex === undefined, {
  message: 'use send or sendHex, not both',
  path: ['sendHex'],
});

const proxyObjectSchema = z.strictObject({
  host: hostSchema,
  port: portSchema,
  username: z.string().max(255).optional(),
  password: z.string().max(255).optional(),
  randomCredentials: z.boolean().optional(),
});

/** A `socks5://` / `socks5h://` proxy URL, validated by `parseProxyUrl` (errors never echo credentials). */
export const proxyUrlSchema = z.string().superRefine((url, context) => {
  try {
    parseProxyUrl(url);
  } catch (error) {
    // parseProxyUrl never echoes credentials; keep only its explanation.
    const message = error instanceof Error ? error.message.replace(/^\[core\] config: proxy: /, '') : 'invalid proxy URL';
    context.addIssue({ code: 'custom', message });
  }
});

/** The options of a check that connects through the core dialer; spread it into the check's schema. */
export const dialOptionsShape = {
  /** A SOCKS5 proxy: `socks5h://[user:pass@]host:port` or an object. The proxy resolves names. */
  proxy: z.union([proxyUrlSchema, proxyObjectSchema]).optional(),
  /** `.onion` handling; `.onion` hosts need a proxy. */
  onion: z.enum(['never', 'prefer', 'require']).default('prefer'),
  /** A fresh random SOCKS5 username per connection (Tor then isolates each probe's circuit). */
  randomCredentials: z.boolean().default(false),
  /** Force IPv4 or IPv6 for the local name lookup. */
  family: addressFamilySchema.optional(),
};

/** The rule that `randomCredentials` needs a `proxy`; add it with `.check()` to a schema spreading `dialOptionsShape`. */
export const randomCredentialsNeedProxyRule = z.refine<{ readonly randomCredentials: boolean; readonly proxy?: unknown }>((options) => !options.randomCredentials || options.proxy !== undefined, {
  message: 'randomCredentials needs a proxy',
  path: ['randomCredentials'],
});

/** The `proxy` and `randomCredentials` options as `dialOptionsShape` parses them. */
export interface ParsedProxyOptions {
  readonly proxy?: string | ProxyOptions | undefined;
  readonly randomCredentials: boolean;
}

/** The proxy the dialer takes: the URL parsed (or the object as given), with `randomCredentials` when asked for. */
export function proxyFromOptions(options: ParsedProxyOptions): ProxyOptions | undefined {
  if (options.proxy === undefined) return undefined;
  const base = typeof options.proxy === 'string' ? parseProxyUrl(options.proxy, 'proxy') : options.proxy;
  return Object.freeze({ ...base, ...(options.randomCredentials ? { randomCredentials: true } : {}) });
}

/** The certificate expiry thresholds a TLS check uses when none are given. */
export const defaultCertificateExpiryThresholds = Object.freeze({ expiryWarnDays: 14, expiryCriticalDays: 3 });

const tlsVersionSchema = z.enum(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);

const pinSchema = z
  .string()
  .refine((pin) => normalizeSha256Fingerprint(pin) !== undefined, 'expected a SHA-256 fingerprint: 64 hex digits (colons allowed) or base64');

const pemSchema = z.string().min(1);

/**
 * The `tls` options of a check: SNI, versions, verification, mutual TLS, pins and certificate
 * expiry thresholds. Build the object with `z.strictObject(...)` and add `tlsOptionsRules`.
 */
export const tlsOptionsShape = {
  /** SNI and the name the certificate must match: a name, or `false` to send none; default the host when it is a name. */
  servername: z.union([z.string().min(1), z.literal(false)]).optional(),
  minVersion: tlsVersionSchema.optional(),
  maxVersion: tlsVersionSchema.optional(),
  verify: z.boolean().default(true),
  ca: z.union([pemSchema, z.array(pemSchema).min(1)]).optional(),
  /** Client certificate and key (PEM) for mutual TLS. */
  cert: pemSchema.optional(),
  key: pemSchema.optional(),
  pinSha256: z.union([pinSchema, z.array(pinSchema).min(1)]).optional(),
  expiryWarnDays: z.number().int().min(0).default(defaultCertificateExpiryThresholds.expiryWarnDays),
  expiryCriticalDays: z.number().int().min(0).default(defaultCertificateExpiryThresholds.expiryCriticalDays),
};

/** The cross-field rules of `tlsOptionsShape`, in the order they report; add them with `.check(...tlsOptionsRules)`. */
export const tlsOptionsRules = [
  z.refine<{ readonly expiryWarnDays: number; readonly expiryCriticalDays: number }>((tls) => tls.expiryCriticalDays <= tls.expiryWarnDays, {
    message: 'expiryCriticalDays must not exceed expiryWarnDays',
    path: ['expiryCriticalDays'],
  }),
  z.refine<{ readonly cert?: unknown; readonly key?: unknown }>((tls) => (tls.cert === undefined) === (tls.key === undefined), { message: 'cert and key go together', path: ['key'] }),
] as const;
