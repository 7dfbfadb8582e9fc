import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors/vigil-error.js';
import { formatProxyUrl, parseProxyUrl, proxyCredentials } from './proxy.js';

describe('parseProxyUrl', () => {
  it('parses socks5 and socks5h URLs with and without credentials', () => {
    expect(parseProxyUrl('socks5h://127.0.0.1:9050')).toEqual({ host: '127.0.0.1', port: 9050 });
    expect(parseProxyUrl('socks5://user:p%40ss@localhost:1080')).toEqual({ host: 'localhost', port: 1080, username: 'user', password: 'p@ss' });
    expect(parseProxyUrl('socks5h://[::1]:9050/')).toEqual({ host: '::1', port: 9050 });
  });

  it('rejects bad URLs with a config error naming the path, never echoing the password', () => {
    const cases = ['http://127.0.0.1:8080', 'socks5h://127.0.0.1', 'not a url', 'socks5h://user:hunter2@127.0.0.1:9050/path', 'socks4://127.0.0.1:1080', ''];
    for (const url of cases) {
      try {
        parseProxyUrl(url, 'checks[2].proxy');
        expect.unreachable(url);
      } catch (error) {
        expect(VigilError.hasCode(error, 'VIGIL_ERR_CONFIG'), url).toBe(true);
        expect((error as VigilError).path).toBe('checks[2].proxy');
        expect((error as VigilError).message).toMatch(/^\[core\] config: checks\[2\]\.proxy: /);
        expect((error as VigilError).message).not.toContain('hunter2');
      }
    }
  });
});

describe('formatProxyUrl', () => {
  it('redacts credentials and brackets IPv6 hosts', () => {
    expect(formatProxyUrl({ host: '127.0.0.1', port: 9050 })).toBe('socks5h://127.0.0.1:9050');
    expect(formatProxyUrl({ host: '::1', port: 1080, username: 'alice', password: 'hunter2' })).toBe('socks5h://[redacted]@[::1]:1080');
    expect(formatProxyUrl({ host: 'tor', port: 9050, randomCredentials: true })).toBe('socks5h://[redacted]@tor:9050');
  });
});

describe('proxyCredentials', () => {
  it('returns configured credentials, none, or fresh random ones per call', () => {
    expect(proxyCredentials({ host: 'h', port: 1 })).toEqual({});
    expect(proxyCredentials({ host: 'h', port: 1, username: 'u', password: 'p' })).toEqual({ username: 'u', password: 'p' });
    const first = proxyCredentials({ host: 'h', port: 1, randomCredentials: true });
    const second = proxyCredentials({ host: 'h', port: 1, randomCredentials: true });
    expect(first.username).toMatch(/^[0-9a-f]{16}$/);
    expect(first.username).not.toBe(second.username);
    expect(proxyCredentials({ host: 'h', port: 1, randomCredentials: true, password: 'kept' }).password).toBe('kept');
  });
});
