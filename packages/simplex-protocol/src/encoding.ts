import { VigilError } from '@vigil/core';

/** SMP and XFTP exchange fixed 16384-byte blocks (protocol doc §2.6). */
export const BLOCK_SIZE = 16_384;

/** Thrown by the parsers on malformed input; checks report it as `probe_error`. */
export function malformed(what: string): VigilError {
  return new VigilError('VIGIL_ERR_PROTOCOL', `[simplex-protocol] ${what}`, { reason: 'probe_error' });
}

/**
 * Reads the protocol's primitive encodings from a buffer (doc "Notation"): bytes, `sstr`
 * (1-byte length), `large` (2-byte length), w16, w32, Bool and Maybe. Every read checks bounds,
 * so truncated or random input ends in a `malformed` error, never in a RangeError.
 */
export class ByteReader {
  private offset = 0;

  constructor(private readonly bytes: Buffer) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  get position(): number {
    return this.offset;
  }

  take(length: number, what: string): Buffer {
    if (length < 0 || this.offset + length > this.bytes.length) throw malformed(`${what}: needs ${length} bytes, ${this.remaining} left`);
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  byte(what: string): number {
    return this.take(1, what)[0] as number;
  }

  word16(what: string): number {
    return this.take(2, what).readUInt16BE(0);
  }

  word32(what: string): number {
    return this.take(4, what).readUInt32BE(0);
  }

  /** An 8-byte big-endian signed integer (Int64, SystemTime seconds). */
  int64(what: string): bigint {
    return this.take(8, what).readBigInt64BE(0);
  }

  shortString(what: string): Buffer {
    return this.take(this.byte(`${what} length`), what);
  }

  largeString(what: string): Buffer {
    return this.take(this.word16(`${what} length`), what);
  }

  /** One ASCII byte that must be `expected`. */
  expectByte(expected: number, what: string): void {
    const actual = this.byte(what);
    if (actual !== expected) throw malformed(`${what}: expected 0x${expected.toString(16)}, got 0x${actual.toString(16)}`);
  }

  /** `'T'` / `'F'`. */
  bool(what: string): boolean {
    const value = this.byte(what);
    if (value === 0x54) return true;
    if (value === 0x46) return false;
    throw malformed(`${what}: expected T or F, got 0x${value.toString(16)}`);
  }

  /** `'0'` (Nothing) or `'1'` followed by the value. */
  maybe<T>(what: string, readValue: () => T): T | undefined {
    const tag = this.byte(what);
    if (tag === 0x30) return undefined;
    if (tag === 0x31) return readValue();
    throw malformed(`${what}: expected Maybe tag 0 or 1, got 0x${tag.toString(16)}`);
  }

  /** Bytes already read, from `start` to `end` (positions). */
  slice(start: number, end: number): Buffer {
    return this.bytes.subarray(start, end);
  }

  rest(): Buffer {
    return this.take(this.remaining, 'rest');
  }
}

/** `sstr(x)`: 1-byte length + bytes. */
export function shortString(bytes: Uint8Array): Buffer {
  if (bytes.length > 255) throw malformed(`a short string is at most 255 bytes, got ${bytes.length}`);
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

/** `large(x)`: 2-byte big-endian length + bytes. */
export function largeString(bytes: Uint8Array): Buffer {
  if (bytes.length > 0xffff) throw malformed(`a large string is at most 65535 bytes, got ${bytes.length}`);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length, 0);
  return Buffer.concat([length, bytes]);
}

export function word16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value, 0);
  return bytes;
}

export function word32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value, 0);
  return bytes;
}

export function int64(value: bigint): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigInt64BE(value, 0);
  return bytes;
}

export function ascii(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** `pad(x, N) = w16(len x) || x || '#'...` up to N bytes (doc §2.6). */
export function pad(content: Uint8Array, size: number): Buffer {
  if (content.length > size - 2) throw malformed(`${content.length} bytes do not fit a ${size}-byte padded block`);
  const block = Buffer.alloc(size, 0x23);
  block.writeUInt16BE(content.length, 0);
  block.set(content, 2);
  return block;
}

/** Reads the length prefix of a padded block and returns the content; the padding is ignored. */
export function unpad(block: Buffer): Buffer {
  if (block.length < 2) throw malformed(`a padded block needs at least 2 bytes, got ${block.length}`);
  const length = block.readUInt16BE(0);
  if (length > block.length - 2) throw malformed(`the padded length ${length} exceeds the ${block.length - 2} bytes of the block`);
  return block.subarray(2, 2 + length);
}

/** Block content = count(1) || large(transmission)* (doc §4.1). */
export function encodeBatch(transmissions: readonly Uint8Array[]): Buffer {
  if (transmissions.length < 1 || transmissions.length > 255) throw malformed(`a batch holds 1..255 transmissions, got ${transmissions.length}`);
  return Buffer.concat([Buffer.from([transmissions.length]), ...transmissions.map((transmission) => largeString(transmission))]);
}

/** Splits block content into its transmissions. */
export function decodeBatch(content: Buffer): Buffer[] {
  const reader = new ByteReader(content);
  const count = reader.byte('batch count');
  if (count === 0) throw malformed('a batch with no transmissions');
  const transmissions: Buffer[] = [];
  for (let index = 0; index < count; index += 1) transmissions.push(reader.largeString(`transmission ${index + 1} of ${count}`));
  return transmissions;
}
