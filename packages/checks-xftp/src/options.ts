import { simplexTransportOptionsShape, xftpClientVersions } from '@vigil/simplex-protocol';
import { z } from 'zod';

const versionSchema = z.number().int().min(xftpClientVersions.min).max(xftpClientVersions.max);

/** Options of the XFTP check (the core adds `id`, `interval`, `timeout`, `tags` and retries). */
export const xftpCheckOptionsSchema = z.strictObject({
  /** `xftp://<keyHash>[:<password>]@<host>[,<host>...][:<port>]`; the password is used by `file`. */
  server: z.string().min(1),
  /** `ping` (handshake + PING) or `file` (the apps' "test server": upload, download, compare, delete). */
  mode: z.enum(['ping', 'file']).default('ping'),
  /** PINGs on one session in `ping` mode. */
  count: z.number().int().min(1).max(10_000).default(1),
  /** Pause between PINGs. */
  intervalMs: z.number().int().min(0).max(60_000).default(0),
  /** The XFTP versions to offer; default 1-3. */
  versions: z
    .strictObject({ min: versionSchema, max: versionSchema })
    .refine((range) => range.min <= range.max, { message: 'min must not exceed max', path: ['min'] })
    .default({ min: xftpClientVersions.min, max: xftpClientVersions.max }),
  ...simplexTransportOptionsShape,
});

/** What `createXftpCheck` accepts. */
export type XftpCheckOptions = z.input<typeof xftpCheckOptionsSchema>;

/** The options after parsing, with defaults applied. */
export type ParsedXftpCheckOptions = z.output<typeof xftpCheckOptionsSchema>;
