import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testSink } from '@vigil/test-utils';
import { createJsonlFileSink, jsonlFileSinkPlugin } from './jsonl-file-sink.js';

const directories: string[] = [];
afterAll(async () => {
  for (const directory of directories) await rm(directory, { recursive: true, force: true });
});

async function tempFile(): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), 'vigil-jsonl-'));
  directories.push(directory);
  return path.join(directory, 'nested', 'results.jsonl');
}

async function countTypes(file: string): Promise<Record<string, number>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const counts: Record<string, number> = {};
  for (const line of text.split('\n').filter(Boolean)) {
    const record = JSON.parse(line) as { type: string };
    counts[record.type] = (counts[record.type] ?? 0) + 1;
  }
  return counts;
}

testSink({
  plugin: jsonlFileSinkPlugin,
  async setup() {
    const file = await tempFile();
    return {
      sink: createJsonlFileSink({ path: file }),
      countStored: () => countTypes(file),
      invalidOptions: [{}, { path: '' }, { path: 'x', fsync: 'yes' }],
      teardown: async () => {},
    };
  },
});

describe('createJsonlFileSink', () => {
  it('creates the file with mode 0600', async () => {
    const file = await tempFile();
    const sink = createJsonlFileSink({ path: file });
    await sink.start?.({ signal: AbortSignal.timeout(5_000) });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await sink.shutdown();
  });

  it('reports an unwritable path as retryable, not a throw', async () => {
    // A path below a regular file can never be created (ENOTDIR).
    const blocker = await tempFile();
    await mkdir(path.dirname(blocker), { recursive: true });
    await writeFile(blocker, 'not a directory');
    const sink = createJsonlFileSink({ path: path.join(blocker, 'here.jsonl') });
    const result = await sink.write([], { signal: AbortSignal.timeout(5_000) });
    expect(result.kind).toBe('retryable');
  });
});
