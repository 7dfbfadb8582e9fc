import { simplexTransportOptionsShape, smpClientVersions } from '@vigil/simplex-protocol';
import { z } from 'zod';

const versionSchema = z.number().int().min(smpClientVersions.min).max(smpClientVersions.max);

/** Options of the SMP check (the core adds `id`, `interval`, `timeout`, `tags` and retries). */
export const smpCheckOptionsSchema = z
  .strictObject({
    /** `smp://<keyHash>[:<password>]@<host>[,<host>...][:<port>]`; the password is used by `queue` and `delivery`. */
    server: z.string().min(1),
    /** `ping` (liveness), `queue` (the apps' "test server"), `delivery` (a message through the relay). */
    mode: z.enum(['ping', 'queue', 'delivery']).default('ping'),
    /** PINGs on one connection (`ping`), or messages sent (`delivery`). */
    count: z.number().int().min(1).max(10_000).default(1),
    /** Pause between PINGs / messages. */
    intervalMs: z.number().int().min(0).max(60_000).default(0),
    /** Size of each test message body in `delivery` mode (SMP allows up to 16048 bytes from v11). */
    messageBytes: z.number().int().min(1).max(16_000).default(64),
    /** The SMP versions to offer; default 6-18 (all this client speaks). */
    versions: z
      .strictObject({ min: versionSchema, max: versionSchema })
      .refine((range) => range.min <= range.max, { message: 'min must not exceed max', path: ['min'] })
      .default({ min: smpClientVersions.min, max: smpClientVersions.max }),
    /** Send our X25519 key in the hello so blocks are encrypted from v11, as the official client does. */
    blockEncryption: z.boolean().default(true),
    ...simplexTransportOptionsShape,
  });

/** What `createSmpCheck` accepts. */
export type SmpCheckOptions = z.input<typeof smpCheckOptionsSchema>;

/** The options after parsing, with defaults applied. */
export type ParsedSmpCheckOptions = z.output<typeof smpCheckOptionsSchema>;
