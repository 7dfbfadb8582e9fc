import { appendFile, chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFakeClock, createMemorySink, sampleResultRecord } from '@vigil/test-utils';
import type { SinkRecord } from '../contracts/sink.js';
import { VigilError } from '../errors/vigil-error.js';
import { monitorOptionsFromConfig, parseMonitorConfig } from '../config/monitor-config.js';
import { createPluginRegistry } from '../plugins/registry.js';
import { jsonlFileSinkPlugin } from '../sinks/jsonl-file-sink.js';
import { createFileSpool, parseByteSize } from './file-spool.js';
import { createSinkProcessor } from './sink-processor.js';

const directories: string[] = [];
afterAll(async () => {
  for (const directory of directories) {
    await chmod(directory, 0o700).catch(() => undefined);
    await rm(directory, { recursive: true, force: true });
  }
});

async function tempDirectory(): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), 'vigil-spool-'));
  directories.push(directory);
  return path.join(directory, 'spool');
}

function records(count: number, from = 0, padding = 0): SinkRecord[] {
  return Array.from({ length: count }, (_unused, index) =>
    sampleResultRecord({ checkId: `c${from + index}`, message: padding > 0 ? 'x'.repeat(padding) : undefined }),
  );
}

function ids(batch: readonly SinkRecord[]): string[] {
  return batch.map((record) => (record.type === 'result' ? record.checkId : record.type));
}

async function segmentFiles(directory: string): Promise<string[]> {
  return (await readdir(directory).catch(() => [] as string[])).filter((name) => name.endsWith('.jsonl')).sort();
}

describe('createFileSpool', () => {
  it('keeps records in order through append, peek and remove', async () => {
    const spool = createFileSpool({ directory: await tempDirectory() });
    expect(spool.size()).toBe(0);
    await spool.append(records(5));
    await spool.append(records(3, 5));
    expect(spool.size()).toBe(8);
    expect(ids(await spool.peek(3))).toEqual(['c0', 'c1', 'c2']);
    // Peeking does not consume.
    expect(ids(await spool.peek(3))).toEqual(['c0', 'c1', 'c2']);
    await spool.remove(3);
    expect(spool.size()).toBe(5);
    expect(ids(await spool.peek(100))).toEqual(['c3', 'c4', 'c5', 'c6', 'c7']);
    await spool.remove(5);
    expect(spool.size()).toBe(0);
    expect(await spool.peek(10)).toEqual([]);
    await spool.close();
  });

  it('round-trips records exactly (JSON values)', async () => {
    const spool = createFileSpool({ directory: await tempDirectory() });
    const record = sampleResultRecord({ message: 'line one\nline "two" \u2028 ünïcode', details: { nested: { list: [1, 'two', null] } } });
    await spool.append([record]);
    const [back] = await spool.peek(1);
    expect(back).toEqual(JSON.parse(JSON.stringify(record)));
    await spool.close();
  });

  it('survives a restart: a reopened spool holds the same records in order, minus those removed', async () => {
    const directory = await tempDirectory();
    const first = createFileSpool({ directory, segmentBytes: 2_000 });
    await first.append(records(40));
    await first.remove(7);
    await first.close();
    const second = createFileSpool({ directory, segmentBytes: 2_000 });
    expect(second.size()).toBe(33);
    expect(ids(await second.peek(1_000))).toEqual(records(33, 7).map((_record, index) => `c${index + 7}`));
    await second.append(records(2, 40));
    await second.remove(30);
    // No close: as if the process was killed. Appends and the cursor are already on disk.
    const third = createFileSpool({ directory, segmentBytes: 2_000 });
    expect(ids(await third.peek(100))).toEqual(['c37', 'c38', 'c39', 'c40', 'c41']);
    await third.close();
    await second.close();
  });

  it('seals segments at segmentBytes and deletes them once read', async () => {
    const directory = await tempDirectory();
    const spool = createFileSpool({ directory, segmentBytes: 4_096, maxBytes: 1_000_000 });
    await spool.append(records(60, 0, 200));
    const files = await segmentFiles(directory);
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) expect((await stat(path.join(directory, file))).size).toBeLessThanOrEqual(4_096);
    await spool.remove(30);
    expect((await segmentFiles(directory)).length).toBeLessThan(files.length);
    await spool.remove(30);
    expect(await segmentFiles(directory)).toEqual([]);
    expect(spool.stats()).toMatchObject({ records: 0, bytes: 0, segments: 0 });
    // Appends after a full drain start a new segment that a restart still sees.
    await spool.append(records(1, 99));
    await spool.close();
    const reopened = createFileSpool({ directory });
    expect(ids(await reopened.peek(5))).toEqual(['c99']);
    await reopened.close();
  });

  it('stays within maxBytes by dropping the oldest segments, and counts what it dropped', async () => {
    const directory = await tempDirectory();
    const maxBytes = 16_384;
    const spool = createFileSpool({ directory, maxBytes, segmentBytes: 4_096 });
    const total = 200;
    for (let index = 0; index < total; index += 10) {
      await spool.append(records(10, index, 100));
      expect(spool.stats().bytes).toBeLessThanOrEqual(maxBytes);
    }
    const onDisk = (await Promise.all((await segmentFiles(directory)).map((file) => stat(path.join(directory, file))))).reduce((sum, info) => sum + info.size, 0);
    expect(onDisk).toBeLessThanOrEqual(maxBytes);
    const kept = ids(await spool.peek(total));
    // What is left is the newest records, in order, and everything else is counted as dropped.
    expect(kept.length + spool.dropped()).toBe(total);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_unused, index) => `c${total - kept.length + index}`));
    expect(spool.stats().droppedSegments).toBeGreaterThan(0);
    expect(spool.size()).toBe(kept.length);
    await spool.close();
  });

  it('reads records longer than its read chunk (256 KiB)', async () => {
    const spool = createFileSpool({ directory: await tempDirectory() });
    await spool.append([...records(1, 0), ...records(1, 1, 600_000), ...records(1, 2)]);
    const back = await spool.peek(10);
    expect(ids(back)).toEqual(['c0', 'c1', 'c2']);
    expect(back[1]?.type === 'result' && back[1].message?.length).toBe(600_000);
    await spool.remove(3);
    expect(spool.size()).toBe(0);
    await spool.close();
  });

  it('drops a single record larger than a quarter of maxBytes and counts it', async () => {
    const spool = createFileSpool({ directory: await tempDirectory(), maxBytes: 8_192 });
    await spool.append([...records(1, 0), ...records(1, 1, 5_000), ...records(1, 2)]);
    expect(ids(await spool.peek(10))).toEqual(['c0', 'c2']);
    expect(spool.dropped()).toBe(1);
    await spool.close();
  });

  it('skips a torn last line after a crash, and keeps appending cleanly', async () => {
    const directory = await tempDirectory();
    const spool = createFileSpool({ directory });
    await spool.append(records(3));
    await spool.close();
    const [file] = await segmentFiles(directory);
    // A crash in the middle of an append leaves half a line.
    await appendFile(path.join(directory, file as string), '{"type":"result","checkId":"tor');
    const reopened = createFileSpool({ directory });
    expect(reopened.size()).toBe(3);
    expect(reopened.stats().corruptLines).toBe(1);
    await reopened.append(records(1, 3));
    expect(ids(await reopened.peek(10))).toEqual(['c0', 'c1', 'c2', 'c3']);
    await reopened.close();
  });

  it('skips damaged lines inside a segment without losing the records around them', async () => {
    const directory = await tempDirectory();
    const spool = createFileSpool({ directory });
    await spool.append(records(2));
    await spool.close();
    const [file] = await segmentFiles(directory);
    const full = path.join(directory, file as string);
    const lines = (await readFile(full, 'utf8')).split('\n');
    // Garbage at the head, zeros (a lost block after a power cut) and a non-record in the middle.
    await writeFile(full, ['not json', lines[0], '\0\0\0\0', '{"type":"other"}', lines[1], ''].join('\n'));
    const reopened = createFileSpool({ directory });
    expect(ids(await reopened.peek(10))).toEqual(['c0', 'c1']);
    await reopened.remove(2);
    expect(reopened.size()).toBe(0);
    expect(reopened.stats().corruptLines).toBe(3);
    await reopened.close();
  });

  it('reports a directory it cannot create as failed appends, counted as dropped, without throwing from size()', async () => {
    const parent = await tempDirectory();
    await mkdir(parent, { recursive: true });
    await writeFile(path.join(parent, 'file'), 'x');
    const spool = createFileSpool({ directory: path.join(parent, 'file', 'spool') });
    expect(spool.size()).toBe(0);
    await expect(spool.append(records(4))).rejects.toThrow(/cannot append/);
    expect(spool.dropped()).toBe(4);
    expect(spool.stats().lastError).toMatch(/cannot append/);
    await spool.close();
  });

  it('refuses work after close; close is idempotent', async () => {
    const spool = createFileSpool({ directory: await tempDirectory() });
    await spool.append(records(1));
    const closing = spool.close();
    expect(spool.close()).toBe(closing);
    await closing;
    await expect(spool.append(records(1))).rejects.toThrow(/closed/);
  });

  it('rejects a maxBytes too small to be useful', async () => {
    expect(() => createFileSpool({ directory: 'x', maxBytes: 100 })).toThrow(/maxBytes/);
  });

  it('parses sizes', () => {
    expect(parseByteSize('64MiB')).toBe(64 * 1024 * 1024);
    expect(parseByteSize('500 KB')).toBe(500_000);
    expect(parseByteSize('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseByteSize(4096)).toBe(4096);
    expect(() => parseByteSize('12 parsecs')).toThrow(/size/);
  });
});

describe('createFileSpool behind the sink processor', () => {
  it('keeps an outage on disk across a restart and replays it in order when the sink is back', async () => {
    const directory = await tempDirectory();
    const clock = createFakeClock();
    const failing = createMemorySink({ maxBatchSize: 10, script: Array.from({ length: 1_000 }, () => ({ kind: 'retryable' as const })) });
    const processor = createSinkProcessor(failing, {
      clock,
      maxQueueSize: 20,
      spool: createFileSpool({ directory, segmentBytes: 8_192 }),
      retry: { initialDelayMs: 1_000, jitter: 0, multiplier: 1 },
    });
    await processor.start();
    const produced = records(150);
    for (const record of produced) {
      processor.enqueue(record);
      await clock.advance(10);
    }
    // Memory stays bounded: the queue holds maxQueueSize, the rest is on disk.
    expect(processor.stats().queued).toBeLessThanOrEqual(20);
    expect(processor.stats().spooled).toBeGreaterThan(100);
    const stopping = processor.shutdown({ timeoutMs: 2_000 });
    await clock.advance(2_000);
    await stopping;
    expect(failing.records).toHaveLength(0);
    expect(processor.stats().dropped).toMatchObject({ overflow: 0, shutdown: 0, spool: 0 });

    // The next process: a fresh spool on the same directory, and a sink that works.
    const working = createMemorySink({ maxBatchSize: 10 });
    const restarted = createSinkProcessor(working, { clock, maxQueueSize: 20, spool: createFileSpool({ directory, segmentBytes: 8_192 }) });
    await restarted.start();
    const flushing = restarted.flush({ timeoutMs: 60_000 });
    await clock.advance(5_000);
    await flushing;
    // Everything arrives exactly once. The spooled part comes in order; at shutdown the processor
    // appends what was still in memory behind it (see sink-processor.ts), so compare as sets too.
    const received = ids(working.records);
    expect(received).toHaveLength(150);
    expect(new Set(received)).toEqual(new Set(ids(produced)));
    const spooledPart = received.slice(0, 130);
    expect(spooledPart).toEqual([...spooledPart].sort((left, right) => Number(left.slice(1)) - Number(right.slice(1))));
    expect(await segmentFiles(directory)).toEqual([]);
    await restarted.shutdown();
  });
});

describe('sink spools in config files', () => {
  const registry = createPluginRegistry([jsonlFileSinkPlugin]);
  const sinks = [
    { id: 'default-spool', type: 'jsonl', path: 'a.jsonl' },
    { id: 'own-spool', type: 'jsonl', path: 'b.jsonl', spool: { directory: '/tmp/elsewhere', maxBytes: '1MiB', fsync: 'always' } },
    { id: 'no-spool', type: 'jsonl', path: 'c.jsonl', spool: false },
  ];

  it('gives every sink a spool under the data directory unless it opts out, and keeps spool away from the plugin', async () => {
    const directory = await tempDirectory();
    const options = monitorOptionsFromConfig(parseMonitorConfig({ sinks }).config, registry, { spoolDirectory: directory });
    const spool = options.spoolFor?.('default-spool') as ReturnType<typeof createFileSpool>;
    expect(spool.directory).toBe(path.join(directory, 'default-spool'));
    expect((options.spoolFor?.('own-spool') as ReturnType<typeof createFileSpool>).directory).toBe('/tmp/elsewhere');
    expect(options.spoolFor?.('no-spool')).toBeUndefined();
    // The spool is usable and writes where the config says.
    await spool.append(records(2));
    expect(await segmentFiles(path.join(directory, 'default-spool'))).toHaveLength(1);
    await spool.close();
  });

  it('without a data directory, only sinks that name a spool directory get one', () => {
    const options = monitorOptionsFromConfig(parseMonitorConfig({ sinks }).config, registry);
    expect(options.spoolFor?.('default-spool')).toBeUndefined();
    expect(options.spoolFor?.('own-spool')).toBeDefined();
    let error: unknown;
    try {
      monitorOptionsFromConfig(parseMonitorConfig({ sinks: [{ type: 'jsonl', path: 'x', spool: { maxBytes: 100_000 } }] }).config, registry);
    } catch (caught) {
      error = caught;
    }
    expect(VigilError.hasCode(error, 'VIGIL_ERR_CONFIG') && error.path).toBe('sinks[0].spool.directory');
  });

  it('names a bad spool field in config errors', () => {
    expect(() => parseMonitorConfig({ sinks: [{ type: 'jsonl', path: 'x', spool: { maxBytes: 'lots' } }] })).toThrow(/sinks\[0\]\.spool\.maxBytes/);
    expect(() => parseMonitorConfig({ sinks: [{ type: 'jsonl', path: 'x', spool: { size: 1 } }] })).toThrow(/sinks\[0\]\.spool/);
  });
});
