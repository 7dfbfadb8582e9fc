import {
  dialOptionsShape,
  escapedTextSchema,
  hexBytesSchema,
  hostSchema,
  portSchema,
  randomCredentialsNeedProxyRule,
  regexOptionSchema,
  sendOrSendHexRule,
  tlsOptionsRules,
  tlsOptionsShape,
} from '@vigil/core';
import { z } from 'zod';

// TLS, proxy and payload fields mean the same in every check, so the core spells, defaults and
// validates them once; this schema adds only what is the TCP check's own.
const { servername, ...sharedTlsFields } = tlsOptionsShape;

const tlsObjectSchema = z
  .strictObject({
    servername,
    // Right after servername, where it always stood: field order is the order of issues and of the parsed object.
    alpn: z.array(z.string().min(1)).min(1).optional(),
    ...sharedTlsFields,
  })
  .check(...tlsOptionsRules);

/** Options of the TCP check (the core adds `id`, `interval`, `timeoutMs`, `tags` and retries). */
export const tcpCheckOptionsSchema = z
  .strictObject({
    host: hostSchema,
    port: portSchema,
    /** Wrap the connection in TLS: `true` for defaults, or TLS options. */
    tls: z.union([z.boolean(), tlsObjectSchema]).optional(),
    /** Text to send once connected; `\r`, `\n`, `\t`, `\0`, `\\` and `\xHH` escapes are decoded. */
    send: escapedTextSchema.min(1).optional(),
    /** Bytes to send once connected, as hex (spaces allowed). */
    sendHex: hexBytesSchema.optional(),
    /** A regular expression the reply must match (a string source or a RegExp). */
    expect: regexOptionSchema.optional(),
    /** Read at most this many bytes while waiting for `expect` to match. */
    readLimitBytes: z.number().int().min(1).max(1_048_576).default(4_096),
    /** Once part of a reply has arrived without matching, wait this long for more before calling it a mismatch. */
    replyIdleMs: z.number().int().min(1).max(600_000).default(250),
    // proxy, onion, randomCredentials and family.
    ...dialOptionsShape,
    /** TCP keepalive: `true`, or the idle time before the first probe (Node 20 cannot set interval or count). */
    keepAlive: z.union([z.boolean(), z.strictObject({ idleMs: z.number().int().min(0) })]).optional(),
  })
  .check(sendOrSendHexRule, randomCredentialsNeedProxyRule);

/** What `createTcpCheck` accepts. */
export type TcpCheckOptions = z.input<typeof tcpCheckOptionsSchema>;

/** The options after parsing, with defaults applied. */
export type ParsedTcpCheckOptions = z.output<typeof tcpCheckOptionsSchema>;
