import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BodyCollector, charsetOf, decodeContent, decodeText, excerptBytes, isUtf8Compatible } from './body.js';

const needles = ['systems operational', '</html>', 'error'].map((text) => Buffer.from(text));

function feed(collector: BodyCollector, pieces: readonly string[]): boolean {
  return pieces.every((piece) => collector.push(Buffer.from(piece)));
}

describe('BodyCollector', () => {
  it('finds needles that straddle chunk boundaries, one byte at a time or in pieces', () => {
    const text = '<html>all systems operational</html>';
    for (const pieces of [[...text], ['<html>all sys', 'tems operat', 'ional</ht', 'ml>'], [text]]) {
      const collector = new BodyCollector('search', needles, 1_000);
      expect(feed(collector, pieces)).toBe(true);
      expect([collector.contains(0), collector.contains(1), collector.contains(2)]).toEqual([true, true, false]);
      expect(collector.bytes).toBe(text.length);
    }
  });

  it('in search mode keeps only an excerpt, not the body', () => {
    const collector = new BodyCollector('search', needles, 10_000_000);
    const chunk = 'x'.repeat(64 * 1024);
    for (let index = 0; index < 32; index += 1) collector.push(Buffer.from(chunk));
    expect(collector.bytes).toBe(32 * chunk.length);
    expect(collector.raw().length).toBe(excerptBytes);
  });

  it('in count mode keeps the first bytes across small chunks', () => {
    const collector = new BodyCollector('count', [], 1_000);
    feed(collector, ['ab', 'cd', 'e'.repeat(500)]);
    expect(collector.raw().toString()).toBe(`abcd${'e'.repeat(excerptBytes - 4)}`);
  });

  it('in buffer mode keeps the whole body', () => {
    const collector = new BodyCollector('buffer', [], 1_000);
    feed(collector, ['{"a":', '1}']);
    expect(collector.raw().toString()).toBe('{"a":1}');
  });

  it('refuses a chunk that passes the limit', () => {
    const collector = new BodyCollector('buffer', [], 10);
    expect(collector.push(Buffer.from('12345'))).toBe(true);
    expect(collector.push(Buffer.from('67890'))).toBe(true);
    expect(collector.push(Buffer.from('1'))).toBe(false);
    expect(collector.bytes).toBe(11);
  });
});

describe('content decoding', () => {
  const text = Buffer.from('{"status":"ok"}');

  it.each([
    ['gzip', gzipSync(text)],
    ['x-gzip', gzipSync(text)],
    ['deflate', deflateSync(text)],
    ['deflate', deflateRawSync(text)],
    ['br', brotliCompressSync(text)],
    ['identity', text],
    [undefined, text],
  ])('undoes %s', (coding, bytes) => {
    expect(decodeContent(bytes, coding, 1_000)).toEqual({ ok: true, bytes: text });
  });

  it('stops at the limit, and explains bad or unknown codings', () => {
    expect(decodeContent(gzipSync(Buffer.alloc(100_000)), 'gzip', 1_000)).toMatchObject({ ok: false, tooLarge: true });
    expect(decodeContent(deflateSync(Buffer.alloc(100_000)), 'deflate', 1_000)).toMatchObject({ ok: false, tooLarge: true });
    expect(decodeContent(Buffer.from('not gzip'), 'gzip', 1_000)).toMatchObject({ ok: false, tooLarge: false, message: expect.stringMatching(/could not be gzip-decoded/) });
    expect(decodeContent(text, 'zstd', 1_000)).toMatchObject({ ok: false, message: 'unsupported content-encoding "zstd"' });
  });

  it('reads charsets and decodes text', () => {
    expect(charsetOf('text/html; charset="ISO-8859-1"')).toBe('iso-8859-1');
    expect(charsetOf('application/json')).toBeUndefined();
    expect(isUtf8Compatible('utf-8')).toBe(true);
    expect(isUtf8Compatible('windows-1252')).toBe(false);
    expect(decodeText(Buffer.from('Grüße', 'latin1'), 'iso-8859-1')).toBe('Grüße');
    expect(decodeText(Buffer.from('Grüße'), 'no-such-charset')).toBe('Grüße');
  });
});
