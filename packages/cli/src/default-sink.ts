import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createJsonlFileSink } from '@vigil/core';
import type { Logger, Named, Sink } from '@vigil/core';

/** The embedded default store used when a config names no sinks. */
export async function defaultSinks(dataDirectory: string, logger: Logger): Promise<Named<Sink>[]> {
  await mkdir(dataDirectory, { recursive: true, mode: 0o700 });
  const file = path.join(dataDirectory, 'results.jsonl');
  logger.info(`no sinks configured: storing results in ${file}`);
  return [{ id: 'default', plugin: createJsonlFileSink({ path: file }) }];
}
