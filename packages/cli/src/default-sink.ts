import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger, Named, Sink } from '@vigil/core';
import { createSqliteSink } from '@vigil/sinks-sqlite';

/** The embedded default store used when a config names no sinks: SQLite at `<data-dir>/vigil.db`. */
export async function defaultSinks(dataDirectory: string, logger: Logger): Promise<Named<Sink>[]> {
  await mkdir(dataDirectory, { recursive: true, mode: 0o700 });
  const file = path.join(dataDirectory, 'vigil.db');
  logger.info(`no sinks configured: storing results in ${file} (read it with: vigil report --db ${file})`);
  return [{ id: 'default', plugin: createSqliteSink({ path: file }, { logger }) }];
}
