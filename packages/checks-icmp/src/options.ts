import { addressFamilySchema, hostSchema } from '@vigil/core';
import { z } from 'zod';

/** Options of the ICMP check (the core adds `id`, `interval`, `timeoutMs`, `tags` and retries). */
export const icmpCheckOptionsSchema = z
  .strictObject({
    /** IPv4 or IPv6 address, or a name (resolved with the system resolver). */
    host: hostSchema,
    /** Echoes per run. */
    count: z.number().int().min(1).max(100_000).default(3),
    /** Between the starts of consecutive echoes, in milliseconds. */
    intervalMs: z.number().min(0).max(3_600_000).default(1_000),
    /** How long each echo waits for its reply, in milliseconds. */
    echoTimeoutMs: z.number().int().min(1).max(600_000).default(1_000),
    /** Bytes after the ICMP header (ping's `-s`). */
    payloadSize: z.number().int().min(0).max(65_000).default(56),
    /** Address family of the name lookup. */
    family: addressFamilySchema.optional(),
    /** `auto` tries a raw socket, then fping, then ping. */
    backend: z.enum(['auto', 'raw', 'fping', 'ping']).default('auto'),
    /** Loss above this percentage makes the result `degraded` / `packet_loss`. */
    lossWarnPercent: z.number().min(0).max(100).default(0),
    /** Loss at or above this percentage makes the result `down` / `packet_loss`. */
    lossCriticalPercent: z.number().min(0).max(100).default(100),
    /** A mean round trip above this many milliseconds makes the result `degraded` / `slow_response`. */
    slowMs: z.number().positive().optional(),
  })
  .refine((options) => options.lossWarnPercent <= options.lossCriticalPercent, {
    message: 'lossWarnPercent must not exceed lossCriticalPercent',
    path: ['lossWarnPercent'],
  });

/** What `createIcmpCheck` accepts. */
export type IcmpCheckOptions = z.input<typeof icmpCheckOptionsSchema>;

/** The options after parsing, with defaults applied. */
export type ParsedIcmpCheckOptions = z.output<typeof icmpCheckOptionsSchema>;
