/**
 * Reads a response body within a size limit and keeps only what the assertions need: nothing
 * but a short excerpt when there are no body assertions, a rolling window when only `contains`
 * / `notContains` are asked (so a large body is searched without being held), and the whole
 * body (up to the limit) for regular expressions and JSON paths.
 */
import zlib from 'node:zlib';

/** How much of the body a run keeps. */
export type BodyMode = 'count' | 'search' | 'buffer';

/** Bytes of the body kept for messages when nothing else is kept. */
export const excerptBytes = 256;

/** Thrown into the request (as its abort reason) when the body passes the limit. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** Collects one body. Create one per response. */
export class BodyCollector {
  /** Body bytes received on the wire (before any content decoding). */
  bytes = 0;
  private readonly chunks: Buffer[] = [];
  private excerpt: Buffer | undefined;
  private tail: Buffer | undefined;
  private readonly found: boolean[];
  private readonly longestNeedle: number;

  constructor(
    readonly mode: BodyMode,
    private readonly needles: readonly Buffer[],
    private readonly limit: number,
  ) {
    this.found = needles.map(() => false);
    this.longestNeedle = needles.reduce((longest, needle) => Math.max(longest, needle.length), 0);
  }

  /** Takes one chunk; false when the body has passed the limit (the caller aborts the request). */
  push(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) return false;
    if (this.mode === 'buffer') {
      this.chunks.push(chunk);
      return true;
    }
    if (this.excerpt === undefined || this.excerpt.length < excerptBytes) {
      const room = excerptBytes - (this.excerpt?.length ?? 0);
      const piece = chunk.subarray(0, room);
      // Copied, so the excerpt does not keep a whole socket read buffer alive.
      this.excerpt = this.excerpt === undefined ? Buffer.from(piece) : Buffer.concat([this.excerpt, piece]);
    }
    if (this.mode === 'search') this.search(chunk);
    return true;
  }

  private search(chunk: Buffer): void {
    const window = this.tail === undefined ? chunk : Buffer.concat([this.tail, chunk]);
    for (let index = 0; index < this.needles.length; index += 1) {
      if (!this.found[index] && window.includes(this.needles[index] as Buffer)) this.found[index] = true;
    }
    // Keep the last (longest - 1) bytes: a needle may straddle two chunks.
    const keep = Math.min(window.length, Math.max(0, this.longestNeedle - 1));
    this.tail = keep === 0 ? undefined : Buffer.from(window.subarray(window.length - keep));
  }

  /** With mode `search`: whether needle number `index` occurred. */
  contains(index: number): boolean {
    return this.found[index] === true;
  }

  /** The raw body (mode `buffer`) or its first bytes. */
  raw(): Buffer {
    if (this.mode === 'buffer') return this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    return this.excerpt ?? Buffer.alloc(0);
  }
}

/** The charset of a content-type header value, lower-cased; undefined when none is named. */
export function charsetOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return match ? (match[1] as string).toLowerCase() : undefined;
}

/** True for charsets in which UTF-8 search needles can be matched byte for byte. */
export function isUtf8Compatible(charset: string | undefined): boolean {
  return charset === undefined || charset === 'utf-8' || charset === 'utf8' || charset === 'us-ascii' || charset === 'ascii';
}

/** Decodes body bytes as text in `charset` (default UTF-8; unknown labels fall back to UTF-8). */
export function decodeText(bytes: Buffer, charset: string | undefined): string {
  if (isUtf8Compatible(charset)) return bytes.toString('utf8');
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

/** Result of undoing a content-encoding. */
export type DecodedBody = { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly tooLarge: boolean; readonly message: string };

/**
 * Undoes `gzip`, `deflate` or `br` content coding, never producing more than `limit` bytes (a
 * small compressed body can expand enormously). `identity` or no coding returns the bytes.
 */
export function decodeContent(bytes: Buffer, coding: string | undefined, limit: number): DecodedBody {
  const name = coding?.trim().toLowerCase();
  if (name === undefined || name === '' || name === 'identity') return { ok: true, bytes };
  const options = { maxOutputLength: Math.max(1, limit) };
  try {
    if (name === 'gzip' || name === 'x-gzip') return { ok: true, bytes: zlib.gunzipSync(bytes, options) };
    if (name === 'br') return { ok: true, bytes: zlib.brotliDecompressSync(bytes, options) };
    if (name === 'deflate') {
      // Servers send deflate both with and without the zlib wrapper.
      try {
        return { ok: true, bytes: zlib.inflateSync(bytes, options) };
      } catch (error) {
        if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw error;
        return { ok: true, bytes: zlib.inflateRawSync(bytes, options) };
      }
    }
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      return { ok: false, tooLarge: true, message: `the ${name}-decoded body is larger than maxBodyBytes (${limit})` };
    }
    return { ok: false, tooLarge: false, message: `the body could not be ${name}-decoded: ${error instanceof Error ? error.message : String(error)}` };
  }
  return { ok: false, tooLarge: false, message: `unsupported content-encoding ${JSON.stringify(coding)}` };
}
