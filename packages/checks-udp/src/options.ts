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

const regexSource = z.string().superRefine((source, context) => {
  try {
    new RegExp(source);
  } catch (error) {
    context.addIssue({ code: 'custom', message: `not a valid regular expression: ${error instanceof Error ? error.message : String(error)}` });
  }
});

/** The largest payload of one UDP datagram over IPv4 (65,535 - 8 UDP - 20 IP header bytes). */
export const maximumUdpPayloadBytes = 65_507;

/** Options of the UDP check (the core adds `id`, `interval`, `timeoutMs`, `tags` and retries). */
export const udpCheckOptionsSchema = z
  .strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65_535),
    /** Text to send; `\r`, `\n`, `\t`, `\0`, `\\` and `\xHH` escapes are decoded. Default: an empty datagram. */
    send: z
      .string()
      .refine((text) => decodeEscapes(text) !== undefined, 'unknown escape; use \\r, \\n, \\t, \\0, \\\\ or \\xHH')
      .refine((text) => (decodeEscapes(text)?.length ?? 0) <= maximumUdpPayloadBytes, `a datagram holds at most ${maximumUdpPayloadBytes} bytes`)
      .optional(),
    /** Bytes to send, as hex (spaces allowed). */
    sendHex: z
      .string()
      .refine((hex) => /^(?:[0-9a-fA-F]{2}\s*)+$/.test(hex.trim()), 'expected hex bytes like "0d0a" or "16 03 01"')
      .refine((hex) => hex.replace(/\s+/g, '').length / 2 <= maximumUdpPayloadBytes, `a datagram holds at most ${maximumUdpPayloadBytes} bytes`)
      .optional(),
    /** A regular expression a reply datagram must match (tested on its UTF-8 text). Default: any reply. */
    expect: z.union([regexSource, z.instanceof(RegExp)]).optional(),
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
    family: z.union([z.literal(4), z.literal(6)]).optional(),
  })
  .refine((options) => options.send === undefined || options.sendHex === undefined, { message: 'use send or sendHex, not both', path: ['sendHex'] })
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
