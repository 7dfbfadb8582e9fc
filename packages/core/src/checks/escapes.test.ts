import { describe, expect, it } from 'vitest';
import { decodeEscapes, decodePayload } from './escapes.js';

describe('decodeEscapes', () => {
  it('decodes the supported escapes and rejects unknown or incomplete ones', () => {
    expect(decodeEscapes('a\\r\\n\\t\\0\\\\\\x41')).toEqual(Buffer.from([0x61, 0x0d, 0x0a, 0x09, 0x00, 0x5c, 0x41]));
    expect(decodeEscapes('héllo')).toEqual(Buffer.from('héllo', 'utf8'));
    for (const text of ['\\x4', '\\q', 'trailing\\']) expect(decodeEscapes(text), text).toBeUndefined();
  });
});

describe('decodePayload', () => {
  it('takes send text, or sendHex bytes, or nothing', () => {
    expect(decodePayload({ send: 'ping\\n' })).toEqual(Buffer.from('ping\n'));
    expect(decodePayload({ sendHex: '16 03 01' })).toEqual(Buffer.from([0x16, 0x03, 0x01]));
    expect(decodePayload({})).toBeUndefined();
  });
});
