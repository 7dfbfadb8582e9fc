import { describe, expect, it } from 'vitest';
import { normalizeSha256Fingerprint } from './tls-session.js';

describe('normalizeSha256Fingerprint', () => {
  const hex = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
  it('accepts hex with or without colons and base64, in any case', () => {
    const colons = hex.toUpperCase().match(/../g)?.join(':') ?? '';
    const base64 = Buffer.from(hex, 'hex').toString('base64');
    const base64url = Buffer.from(hex, 'hex').toString('base64url');
    for (const pin of [hex, hex.toUpperCase(), colons, base64, base64url, ` ${hex} `]) expect(normalizeSha256Fingerprint(pin), pin).toBe(hex);
  });
  it('rejects anything else', () => {
    for (const pin of ['', 'abc', hex.slice(2), `${hex}00`, 'a1:b2c3', 'sha256/abc']) expect(normalizeSha256Fingerprint(pin), pin).toBeUndefined();
  });
});
