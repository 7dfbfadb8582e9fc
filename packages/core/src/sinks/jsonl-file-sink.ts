import { type FileHandle, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { PluginDefinition } from '../contracts/plugin.js';
import type { Sink, SinkRecord, WriteResult } from '../contracts/sink.js';
import { parseOptions } from '../config/parse-options.js';
import { VigilError, describeError } from '../errors/vigil-error.js';
import { coreVersion } from '../version.js';

export const jsonlFileSinkOptionsSchema = z.strictObject({
  /** The file to append to; created (mode 0600) with its directory. */
  path: z.string().min(1),
  /** Record types to store; default all. */
  accepts: z.array(z.enum(['result', 'snapshot', 'alert'])).optional(),
  /** fsync after every batch (durable, slower); default false. */
  fsync: z.boolean().default(false),
});

export type JsonlFileSinkOptions = z.input<typeof jsonlFileSinkOptionsSchema>;

/** A sink that appends one JSON object per line to a file: simple, greppable, durable. */
export function createJsonlFileSink(options: JsonlFileSinkOptions): Sink {
  const settings = Object.freeze(parseOptions(jsonlFileSinkOptionsSchema, options, { source: 'core/jsonl' }));
  let handle: FileHandle | undefined;
  let opening: Promise<FileHandle> | undefined;
  let shutdownPromise: Promise<void> | undefined;

  const ensureOpen = (): Promise<FileHandle> => {
    opening ??= (async () => {
      await mkdir(path.dirname(path.resolve(settings.path)), { recursive: true });
      handle = await open(settings.path, 'a', 0o600);
      return handle;
    })().catch((error: unknown) => {
      opening = undefined;
      throw error;
    });
    return opening;
  };

  return {
    specificationVersion: 'v1',
    meta: { name: '@vigil/core', kind: 'sink', type: 'jsonl', coreRange: `^${coreVersion}` },
    maxBatchSize: 1_000,
    accepts: settings.accepts,
    async start() {
      await ensureOpen();
    },
    async write(batch: readonly SinkRecord[], writeOptions): Promise<WriteResult> {
      if (shutdownPromise) throw new VigilError('VIGIL_ERR_SHUT_DOWN', '[core/jsonl] write after shutdown');
      if (writeOptions.signal.aborted) return { kind: 'retryable', error: writeOptions.signal.reason };
      try {
        const file = await ensureOpen();
        await file.appendFile(batch.map((record) => JSON.stringify(record)).join('\n') + '\n');
        if (settings.fsync) await file.sync();
        return { kind: 'success' };
      } catch (error) {
        return { kind: 'retryable', error: new VigilError('VIGIL_ERR_SINK_WRITE', `[core/jsonl] cannot append to ${settings.path}: ${describeError(error)}`, { cause: error }) };
      }
    },
    async flush() {
      await handle?.sync().catch(() => undefined);
    },
    shutdown() {
      shutdownPromise ??= (async () => {
        const file = handle ?? (opening ? await opening.catch(() => undefined) : undefined);
        await file?.close().catch(() => undefined);
      })();
      return shutdownPromise;
    },
  };
}

/** Registrable definition of the JSON-lines file sink (`type: jsonl`). */
export const jsonlFileSinkPlugin: PluginDefinition<typeof jsonlFileSinkOptionsSchema, Sink> = {
  meta: { name: '@vigil/core', kind: 'sink', type: 'jsonl', coreRange: `^${coreVersion}` },
  optionsSchema: jsonlFileSinkOptionsSchema,
  create: createJsonlFileSink,
  description: 'Appends every record as one JSON line to a file.',
};
