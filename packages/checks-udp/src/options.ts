import { addressFamilySchema, decodeEscapes, escapedTextSchema, hexBytesSchema, hostSchema, portSchema, regexOptionSchema, sendOrSendHexRule } from '@vigil/core';
import { z } from 'zod';

/** The largest payload of one UDP datagram over IPv4 (65,535 - 8 UDP - 20 IP header bytes). */
export const maximumUdpPayloadBytes = 65_507;

/** Options of the UDP check (the core adds `id`, `interval`, `timeoutMs`, `tags` and retries). */
export const udpCheckOptionsSchema = z
  .strictObject({
    host: hostSchema,
    port: portSchema,
    /** Text to send; `\r`, `\n`, `\t`, `\0`, `\\` and `\xHH` escapes are decoded. Default: an empty datagram. */
    send: escapedTextSchema
      .refine((text) => (decodeEscapes(text)?.length ?? 0) <= maximumUdpPayloadBytes, `a datagram holds at most ${maximumUdpPayloadBytes} bytes`)
      .optional(),
    /** Bytes to send, as hex (spaces allowed). */
    sendHex: hexBytesSchema
      .refine((hex) => hex.replace(/\s+/g, '').length / 2 <= maximumUdpPayloadBytes, `a datagram holds at most ${maximumUdpPayloadBytes} bytes`)
      .optional(),
    /** A regular expression a reply datagram must match (tested on its UTF-8 text). Default: any reply. */
    expect: regexOptionSchema.optional(),
    /**
     * Stop waiting for a reply after this many milliseconds. Default: wait until the run's timeout.
     * Needed with `silence: 'up'`, which must finish before the run times out.
     */
    replyTimeoutMs: z.number().int().min(1).max(600_000).optional(),
    /** Once a reply arrived without matching, wait this long for another datagram before calling it a mismatch. */
    replyIdleMs: z.number().int().min(1).max(600_000).default(250),
    /**
     * What no reply means. `down` (default): `timeout`. `up`: many UDP services (syslog, statsd)
     * never answer, so silence without an ICMP port-unreachable is the healthy case.
     */
    silence: z.enum(['down', 'up']).default('down'),
    /** Force IPv4 or IPv6 for the name lookup (and the socket). */
    family: addressFamilySchema.optional(),
  })
  .check(sendOrSendHexRule)
  .refine((options) => options.silence === 'down' || options.replyTimeoutMs !== undefined, {
    message: "silence: 'up' needs replyTimeoutMs (the wait must end before the run's timeout)",
    path: ['replyTimeoutMs'],
  })
  .refine((options) => options.silence === 'down' || options.expect === undefined, {
    message: "silence: 'up' and expect contradict each other: a service that must answer cannot be healthy when silent",
    path: ['silence'],
  });

/** What `createUdpCheck` accepts. */
export type UdpCheckOptions = z.input<typeof udpCheckOptionsSchema>;

/** The options after parsing, with defaults applied. */
export type ParsedUdpCheckOptions = z.output<typeof udpCheckOptionsSchema>;
