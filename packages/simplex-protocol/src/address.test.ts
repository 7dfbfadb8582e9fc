import { VigilError } from '@vigil/core';
import { describe, expect, it } from 'vitest';
import { defaultPorts, formatServerAddress, parseServerAddress, redactServerAddresses } from './address.js';

const keyHash = 'LcJUMfVhwD8yxjAiSaDzzGF3-kLG4Uh0Fl_ZIjrRwjI=';
const onion = 'blisztokwh6alt5oem45f2eksm2xdowxszmhjesntcyolmhutoon7sid.onion';

function failure(text: string, scheme: 'smp' | 'xftp' = 'smp'): VigilError {
  try {
    parseServerAddress(text, scheme);
  } catch (error) {
    expect(VigilError.hasCode(error, 'VIGIL_ERR_CONFIG')).toBe(true);
    return error as VigilError;
  }
  throw new Error(`expected ${text} to be rejected`);
}

describe('parseServerAddress (doc §1.1)', () => {
  it('parses the test address of the Haskell suite', () => {
    const address = parseServerAddress(`smp://${keyHash}@localhost:5001`, 'smp');
    expect(address).toMatchObject({ scheme: 'smp', keyHashText: keyHash, password: undefined, hosts: ['localhost'], port: 5001 });
    expect(address.keyHash.length).toBe(32);
  });

  it('parses the XFTP preset with a public and an onion host and no port (default 443)', () => {
    const address = parseServerAddress(`xftp://da1aH3nOT-9G8lV7bWamhxpDYdJ1xmW7j3JpGaDR5Ug=@xftp1.simplex.im,${onion}`, 'xftp');
    expect(address.hosts).toEqual(['xftp1.simplex.im', onion]);
    expect(address.port).toBeUndefined();
    expect(defaultPorts.xftp).toBe(443);
    expect(defaultPorts.smp).toBe(5223);
  });

  it('accepts the key hash without "=", a password, IPv4 and bracketed IPv6 hosts', () => {
    const address = parseServerAddress(`smp://${keyHash.slice(0, -1)}:s3cret!pw@127.0.0.1,[::1]:7000`, 'smp');
    expect(address).toMatchObject({ keyHashText: keyHash, password: 's3cret!pw', hosts: ['127.0.0.1', '::1'], port: 7000 });
  });

  it('formats with the password redacted unless asked to reveal it', () => {
    const address = parseServerAddress(`smp://${keyHash}:hunter22@relay.example.com,${onion}:443`, 'smp');
    expect(formatServerAddress(address)).toBe(`smp://${keyHash}:[redacted]@relay.example.com,${onion}:443`);
    expect(formatServerAddress(address, { revealPassword: true })).toContain(':hunter22@');
    expect(formatServerAddress(parseServerAddress(`smp://${keyHash}@[::1]`, 'smp'))).toBe(`smp://${keyHash}@[::1]`);
  });

  it('redacts passwords of addresses in free text', () => {
    expect(redactServerAddresses(`probe smp://${keyHash}:hunter22@host:5223 failed`)).toBe(`probe smp://${keyHash}:[redacted]@host:5223 failed`);
  });

  it('rejects malformed addresses with clear errors that never quote the password', () => {
    expect(failure('').message).toMatch(/expected a smp:\/\/ server address/);
    expect(failure(`xftp://${keyHash}@host`).message).toMatch(/got a xftp:\/\/ one/);
    expect(failure(`smp://${keyHash}host`).message).toMatch(/"@" is missing/);
    expect(failure('smp://tooshort@host').message).toMatch(/key hash/);
    expect(failure(`smp://${keyHash}@`).message).toMatch(/no host/);
    expect(failure(`smp://${keyHash}@host:99999`).message).toMatch(/port/);
    expect(failure(`smp://${keyHash}@host:abc`).message).toMatch(/port must be a number/);
    expect(failure(`smp://${keyHash}@a,,b`).message).toMatch(/empty host/);
    expect(failure(`smp://${keyHash}@bad_host!`).message).toMatch(/not a host name/);
    expect(failure(`smp://${keyHash}@UPPER.ONION`).message).toMatch(/onion name/);
    expect(failure(`smp://${keyHash}@host/path`).message).toMatch(/no path/);
    const withSpace = failure(`smp://${keyHash}:pass word@host`);
    expect(withSpace.message).toMatch(/password must be printable/);
    expect(withSpace.message).not.toContain('pass word');
  });
});
