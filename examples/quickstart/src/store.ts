import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createJsonlFileSink } from '@vigil/core';
import type { Sink } from '@vigil/core';

/** The embedded default store for the demo. */
export async function createDefaultStore(dataDirectory: string): Promise<{ sink: Sink; location: string }> {
  await mkdir(dataDirectory, { recursive: true, mode: 0o700 });
  const location = path.join(dataDirectory, 'quickstart.jsonl');
  return { sink: createJsonlFileSink({ path: location }), location };
}
