import { existsSync, readFileSync, readdirSync, truncateSync, unlinkSync } from 'node:fs';
import { type FileHandle, mkdir, open, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SinkRecord } from '../contracts/sink.js';
import { VigilError, describeError } from '../errors/vigil-error.js';
import { type Logger, silentLogger } from '../util/logger.js';
import type { Spool } from './spool.js';

/*
 * On-disk layout of one spool directory:
 *   0000000000000001.jsonl, 0000000000000002.jsonl, ...  segments: one JSON record per line,
 *                                                         appended only, oldest first
 *   cursor.json                                           {"segment":N,"offset":B}: where the head is
 * Records are appended to the newest segment; a segment is sealed once it reaches `segmentBytes`.
 * `remove` moves the head and rewrites cursor.json (write to a temporary file, then rename);
 * fully consumed segments are deleted. Past `maxBytes` the oldest segment is deleted whole and
 * its unread records are counted in `dropped()`.
 */

const SEGMENT_PATTERN = /^(\d{16})\.jsonl$/;
const CURSOR_FILE = 'cursor.json';
const NEWLINE = 0x0a;
/** How much of a segment one read takes while peeking. */
const READ_CHUNK_BYTES = 256 * 1024;

/** When the spool calls fsync. */
export type FileSpoolFsync = 'always' | 'segment' | 'never';

export interface FileSpoolOptions {
  /** The directory holding the segment files; created (mode 0700) by the first append. */
  readonly directory: string;
  /** Upper bound of the bytes on disk; default 64 MiB. Past it the oldest segment is dropped. */
  readonly maxBytes?: number;
  /** A segment is sealed at this size; default maxBytes / 16, between 64 KiB and 4 MiB. */
  readonly segmentBytes?: number;
  /**
   * `segment` (default): fsync when a segment is sealed and at close, so a process crash loses
   * nothing and a power loss at most the unsealed tail. `always`: after every append (durable
   * across power loss, slower). `never`: leave it to the OS.
   */
  readonly fsync?: FileSpoolFsync;
  readonly logger?: Logger;
}

export interface FileSpoolStats {
  /** Records stored (lines not read yet; a damaged line is counted until it is reached). */
  readonly records: number;
  /** Bytes of the segment files on disk. */
  readonly bytes: number;
  readonly segments: number;
  /** Records discarded: whole oldest segments past `maxBytes`, records too large, failed appends. */
  readonly droppedRecords: number;
  readonly droppedSegments: number;
  /** Lines skipped because they were torn by a crash or do not parse. */
  readonly corruptLines: number;
  /** The last error opening or writing the spool, if any. */
  readonly lastError: string | undefined;
}

/** A {@link Spool} on disk that survives restarts. */
export interface FileSpool extends Spool {
  readonly directory: string;
  stats(): FileSpoolStats;
}

interface Segment {
  readonly sequence: number;
  readonly file: string;
  bytes: number;
  /** Lines in the file (consumed ones included). */
  lines: number;
}

/** A record read by `peek`, with where the head moves once it is removed. */
interface PeekedRecord {
  readonly record: SinkRecord;
  readonly sequence: number;
  readonly endOffset: number;
  /** Lines passed: this record plus damaged lines skipped just before it. */
  readonly lines: number;
}

const KIB = 1024;
const MIB = 1024 * KIB;
const byteUnits: Readonly<Record<string, number>> = { b: 1, kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3, kib: KIB, mib: MIB, gib: 1024 * MIB };

/** Parses a size such as `64MiB`, `500 KB` or a number of bytes. */
export function parseByteSize(value: number | string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return Math.floor(value);
  } else {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
    const factor = match ? byteUnits[(match[2] || 'b').toLowerCase()] : undefined;
    if (match && factor !== undefined) return Math.floor(Number(match[1]) * factor);
  }
  throw new VigilError('VIGIL_ERR_CONFIG', `[core] expected a size like 64MiB, 500KB or a number of bytes, got ${JSON.stringify(value)}`);
}

function segmentName(sequence: number): string {
  return `${String(sequence).padStart(16, '0')}.jsonl`;
}

function countNewlines(buffer: Buffer, end = buffer.length): number {
  let count = 0;
  let position = buffer.indexOf(NEWLINE, 0);
  while (position !== -1 && position < end) {
    count += 1;
    position = buffer.indexOf(NEWLINE, position + 1);
  }
  return count;
}

function isRecord(value: unknown): value is SinkRecord {
  if (value === null || typeof value !== 'object') return false;
  const type = (value as { type?: unknown }).type;
  return type === 'result' || type === 'snapshot' || type === 'alert';
}

/**
 * Creates an append-only, size-bounded spool of JSON-lines segment files in `directory`.
 * Nothing touches the disk until first use; then the directory is scanned once, synchronously
 * (so `size()` is exact from the start and the batch processor replays at once): the segments'
 * lines are counted and a torn last line (a crash mid-append) is cut off and counted. One
 * process per directory.
 */
export function createFileSpool(options: FileSpoolOptions): FileSpool {
  const directory = path.resolve(options.directory);
  const maxBytes = options.maxBytes ?? 64 * MIB;
  if (!Number.isInteger(maxBytes) || maxBytes < 4 * KIB) {
    throw new VigilError('VIGIL_ERR_CONFIG', `[core] spool: maxBytes must be an integer of at least 4096, got ${maxBytes}`, { path: 'maxBytes' });
  }
  // Keeping segments at most half the bound guarantees that dropping old segments makes room.
  const segmentBytes = Math.min(Math.floor(maxBytes / 2), options.segmentBytes ?? Math.min(4 * MIB, Math.max(64 * KIB, Math.floor(maxBytes / 16))));
  if (!(segmentBytes > 0)) throw new VigilError('VIGIL_ERR_CONFIG', `[core] spool: segmentBytes must be positive, got ${segmentBytes}`, { path: 'segmentBytes' });
  // A record larger than this could not be stored without breaking the bound; it is dropped.
  const maxRecordBytes = Math.floor(maxBytes / 4);
  const fsync = options.fsync ?? 'segment';
  const logger = options.logger ?? silentLogger;

  let opened = false;
  let segments: Segment[] = [];
  let nextSequence = 1;
  let headOffset = 0;
  let headLines = 0;
  let totalBytes = 0;
  let records = 0;
  let droppedRecords = 0;
  let droppedSegments = 0;
  let corruptLines = 0;
  let lastError: string | undefined;
  let directoryReady = false;
  let tail: { readonly sequence: number; readonly handle: FileHandle } | undefined;
  let reader: { readonly sequence: number; readonly handle: FileHandle } | undefined;
  let peeked: PeekedRecord[] = [];
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;
  let closePromise: Promise<void> | undefined;

  const fail = (message: string, error: unknown): VigilError => {
    lastError = `${message}: ${describeError(error)}`;
    return new VigilError('VIGIL_ERR_SPOOL', `[core] spool ${directory}: ${lastError}`, { cause: error });
  };

  /** Scans the directory once (synchronously; see the factory's comment). Never throws. */
  const ensureOpen = (): void => {
    if (opened) return;
    opened = true;
    try {
      if (!existsSync(directory)) return;
      directoryReady = true;
      const found = readdirSync(directory)
        .map((name) => SEGMENT_PATTERN.exec(name))
        .filter((match): match is RegExpExecArray => match !== null)
        .map((match) => Number(match[1]))
        .sort((left, right) => left - right);
      let cursor: { segment: number; offset: number } | undefined;
      try {
        const parsed = JSON.parse(readFileSync(path.join(directory, CURSOR_FILE), 'utf8')) as { segment?: unknown; offset?: unknown };
        if (Number.isSafeInteger(parsed.segment) && Number.isSafeInteger(parsed.offset)) cursor = { segment: parsed.segment as number, offset: parsed.offset as number };
      } catch {
        // No cursor yet (or a damaged one): start at the first segment.
      }
      for (const sequence of found) {
        const file = path.join(directory, segmentName(sequence));
        // Segments before the cursor were consumed; a crash kept them from being deleted.
        if (cursor && sequence < cursor.segment) {
          unlinkSync(file);
          continue;
        }
        let content = readFileSync(file);
        const lastNewline = content.lastIndexOf(NEWLINE);
        if (lastNewline !== content.length - 1) {
          // A torn last line: the process died mid-append. Cut it off so appends start clean.
          truncateSync(file, lastNewline + 1);
          content = content.subarray(0, lastNewline + 1);
          corruptLines += 1;
          logger.warn('spool: skipped a torn last line', { directory, segment: sequence });
        }
        if (content.length === 0) {
          unlinkSync(file);
          continue;
        }
        segments.push({ sequence, file, bytes: content.length, lines: countNewlines(content) });
        if (segments.length === 1 && cursor?.segment === sequence) {
          // The cursor must sit on a line boundary inside the file; otherwise replay it all.
          const offset = cursor.offset;
          if (offset > 0 && offset <= content.length && content[offset - 1] === NEWLINE) {
            headOffset = offset;
            headLines = countNewlines(content, offset);
          }
        }
      }
      // Never reuse a number at or below the cursor's: such segments would count as consumed.
      nextSequence = Math.max((found.at(-1) ?? 0) + 1, cursor?.segment ?? 1);
      const head = segments[0];
      if (head && headOffset >= head.bytes) {
        // The head segment was read to its end; a crash kept it from being deleted.
        unlinkSync(head.file);
        segments.shift();
        headOffset = 0;
        headLines = 0;
      }
      totalBytes = segments.reduce((sum, segment) => sum + segment.bytes, 0);
      records = segments.reduce((sum, segment) => sum + segment.lines, 0) - headLines;
    } catch (error) {
      segments = [];
      totalBytes = 0;
      records = 0;
      fail('cannot open', error);
      logger.error('spool: cannot open; it stays empty', { directory, error: lastError });
    }
  };

  /** Runs operations one at a time, in call order. */
  const serialize = <T>(operation: () => Promise<T>): Promise<T> => {
    const run = chain.then(() => {
      if (closed) throw new VigilError('VIGIL_ERR_SHUT_DOWN', `[core] spool ${directory}: closed`);
      ensureOpen();
      return operation();
    });
    chain = run.catch(() => undefined);
    return run;
  };

  const closeReader = async (): Promise<void> => {
    const current = reader;
    reader = undefined;
    await current?.handle.close().catch(() => undefined);
  };

  const sealTail = async (): Promise<void> => {
    const current = tail;
    if (!current) return;
    tail = undefined;
    if (fsync !== 'never') await current.handle.datasync();
    await current.handle.close();
  };

  const deleteSegment = async (segment: Segment): Promise<void> => {
    if (reader?.sequence === segment.sequence) await closeReader();
    if (tail?.sequence === segment.sequence) await sealTail();
    await unlink(segment.file).catch(() => undefined);
  };

  /** Drops the oldest segment (never the one being appended to) and counts its unread records. */
  const dropOldest = async (): Promise<void> => {
    const oldest = segments.shift();
    if (!oldest) return;
    const unread = oldest.lines - headLines;
    droppedRecords += unread;
    droppedSegments += 1;
    records -= unread;
    totalBytes -= oldest.bytes;
    headOffset = 0;
    headLines = 0;
    peeked = [];
    await deleteSegment(oldest);
    logger.warn('spool full: dropped the oldest segment', { directory, records: unread, maxBytes });
  };

  const startSegment = async (): Promise<Segment> => {
    await sealTail();
    if (!directoryReady) {
      await mkdir(directory, { recursive: true, mode: 0o700 });
      directoryReady = true;
    }
    const sequence = nextSequence;
    nextSequence += 1;
    const segment: Segment = { sequence, file: path.join(directory, segmentName(sequence)), bytes: 0, lines: 0 };
    tail = { sequence, handle: await open(segment.file, 'a', 0o600) };
    segments.push(segment);
    return segment;
  };

  const tailSegment = async (): Promise<Segment> => {
    const last = segments.at(-1);
    if (last && last.bytes < segmentBytes) {
      if (tail?.sequence !== last.sequence) tail = { sequence: last.sequence, handle: await open(last.file, 'a', 0o600) };
      return last;
    }
    return startSegment();
  };

  const append = async (batch: readonly SinkRecord[]): Promise<void> => {
    let pending: string[] = [];
    let pendingBytes = 0;
    let pendingLines = 0;
    let segment: Segment | undefined;
    let done = 0;
    const writePending = async (): Promise<void> => {
      if (!segment || pendingLines === 0) return;
      await tail?.handle.write(pending.join(''));
      segment.bytes += pendingBytes;
      segment.lines += pendingLines;
      totalBytes += pendingBytes;
      records += pendingLines;
      done += pendingLines;
      pending = [];
      pendingBytes = 0;
      pendingLines = 0;
    };
    try {
      for (const record of batch) {
        const line = `${JSON.stringify(record)}\n`;
        const bytes = Buffer.byteLength(line);
        if (bytes > maxRecordBytes) {
          droppedRecords += 1;
          done += 1;
          logger.warn('spool: dropped a record larger than a quarter of maxBytes', { directory, bytes, maxBytes });
          continue;
        }
        segment ??= await tailSegment();
        if (segment.bytes + pendingBytes + bytes > segmentBytes && segment.bytes + pendingBytes > 0) {
          await writePending();
          segment = await startSegment();
        }
        // Room for the line: drop whole old segments (never the current one).
        while (totalBytes + pendingBytes + bytes > maxBytes && segments.length > 1 && segments[0] !== segment) await dropOldest();
        pending.push(line);
        pendingBytes += bytes;
        pendingLines += 1;
      }
      await writePending();
      if (fsync === 'always') await tail?.handle.datasync();
    } catch (error) {
      // What could not be written is lost: count it, so the loss is visible.
      droppedRecords += batch.length - done;
      throw fail('cannot append', error);
    }
  };

  const readAt = async (segment: Segment, offset: number, length: number): Promise<Buffer> => {
    if (reader?.sequence !== segment.sequence) {
      await closeReader();
      reader = { sequence: segment.sequence, handle: await open(segment.file, 'r') };
    }
    const buffer = Buffer.allocUnsafe(length);
    const { bytesRead } = await reader.handle.read(buffer, 0, length, offset);
    return buffer.subarray(0, bytesRead);
  };

  const parseLine = (line: Buffer): SinkRecord | undefined => {
    try {
      const value: unknown = JSON.parse(line.toString('utf8'));
      return isRecord(value) ? value : undefined;
    } catch {
      return undefined;
    }
  };

  /**
   * Moves the head to `endOffset` in segment `sequence`, passing `lines` lines of that segment;
   * deletes segments the head leaves behind and records the new head in cursor.json.
   */
  const advanceHead = async (sequence: number, endOffset: number, lines: number): Promise<void> => {
    while (segments[0] && segments[0].sequence < sequence) await consumeHeadSegment();
    headOffset = endOffset;
    headLines += lines;
    records -= lines;
    const head = segments[0];
    if (head && headOffset >= head.bytes) await consumeHeadSegment();
    await writeCursor();
  };

  /** Deletes the head segment as read; lines left in it (damaged ones) leave the count. */
  const consumeHeadSegment = async (): Promise<void> => {
    const head = segments.shift();
    if (!head) return;
    records -= head.lines - headLines;
    totalBytes -= head.bytes;
    headOffset = 0;
    headLines = 0;
    await deleteSegment(head);
  };

  const writeCursor = async (): Promise<void> => {
    const head = segments[0];
    const cursor = JSON.stringify({ segment: head?.sequence ?? nextSequence, offset: head ? headOffset : 0 });
    const temporary = path.join(directory, `${CURSOR_FILE}.tmp`);
    await writeFile(temporary, cursor, { mode: 0o600 });
    await rename(temporary, path.join(directory, CURSOR_FILE));
  };

  /** Reads records after those already peeked until `max` are peeked or the spool ends. */
  const peekMore = async (max: number): Promise<void> => {
    const last = peeked.at(-1);
    let segmentIndex = last ? segments.findIndex((segment) => segment.sequence === last.sequence) : 0;
    let offset = last ? last.endOffset : headOffset;
    // Damaged lines between records of one segment, charged to the record after them.
    let skipped = 0;
    while (peeked.length < max) {
      const segment = segments[segmentIndex];
      if (!segment) break;
      if (offset >= segment.bytes) {
        segmentIndex += 1;
        offset = 0;
        skipped = 0;
        continue;
      }
      let chunk = await readAt(segment, offset, Math.min(READ_CHUNK_BYTES, segment.bytes - offset));
      // A line longer than one chunk: read the rest of the segment (bounded by maxBytes / 4 per line).
      if (chunk.indexOf(NEWLINE) === -1) chunk = await readAt(segment, offset, segment.bytes - offset);
      let lineStart = 0;
      let newline = chunk.indexOf(NEWLINE);
      if (newline === -1) break;
      while (newline !== -1 && peeked.length < max) {
        const endOffset = offset + newline + 1;
        const record = parseLine(chunk.subarray(lineStart, newline));
        if (record) {
          peeked.push({ record, sequence: segment.sequence, endOffset, lines: 1 + skipped });
          skipped = 0;
        } else {
          corruptLines += 1;
          logger.warn('spool: skipped a damaged line', { directory, segment: segment.sequence });
          if (peeked.length === 0) {
            // Damaged lines at the head are passed at once: they are not records.
            await advanceHead(segment.sequence, endOffset, 1);
            if (segments[segmentIndex]?.sequence !== segment.sequence) {
              // The head segment was used up and deleted; continue with the next one.
              segmentIndex = 0;
              offset = headOffset;
              break;
            }
          } else {
            skipped += 1;
          }
        }
        lineStart = newline + 1;
        newline = chunk.indexOf(NEWLINE, lineStart);
      }
      if (segments[segmentIndex]?.sequence === segment.sequence) offset += lineStart;
    }
  };

  const remove = async (count: number): Promise<void> => {
    if (count <= 0) return;
    if (peeked.length < count) await peekMore(count);
    const taken = peeked.slice(0, count);
    peeked = peeked.slice(taken.length);
    let index = 0;
    while (index < taken.length) {
      // One move per segment, so files are deleted as the head leaves them.
      const sequence = (taken[index] as PeekedRecord).sequence;
      let lines = 0;
      let endOffset = 0;
      while (index < taken.length && (taken[index] as PeekedRecord).sequence === sequence) {
        lines += (taken[index] as PeekedRecord).lines;
        endOffset = (taken[index] as PeekedRecord).endOffset;
        index += 1;
      }
      await advanceHead(sequence, endOffset, lines);
    }
  };

  const spool: FileSpool = {
    directory,
    append(batch) {
      if (batch.length === 0) return Promise.resolve();
      return serialize(() => append(batch));
    },
    peek(max) {
      return serialize(async () => {
        if (peeked.length < max) await peekMore(max);
        return peeked.slice(0, max).map((entry) => entry.record);
      });
    },
    remove(count) {
      return serialize(() => remove(count));
    },
    size() {
      ensureOpen();
      return Math.max(0, records);
    },
    dropped() {
      return droppedRecords;
    },
    stats() {
      ensureOpen();
      return { records: Math.max(0, records), bytes: totalBytes, segments: segments.length, droppedRecords, droppedSegments, corruptLines, lastError };
    },
    close() {
      closePromise ??= chain.then(async () => {
        closed = true;
        await closeReader();
        await sealTail().catch((error: unknown) => {
          throw fail('cannot close', error);
        });
      });
      return closePromise;
    },
  };
  return spool;
}

