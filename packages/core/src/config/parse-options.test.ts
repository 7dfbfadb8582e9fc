import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { VigilError } from '../errors/vigil-error.js';
import { formatPath, parseOptions } from './parse-options.js';

const schema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535),
  tags: z.record(z.string(), z.string()).optional(),
});

describe('parseOptions', () => {
  it('returns parsed data', () => {
    expect(parseOptions(schema, { host: 'a', port: 80 }, { source: 'test' })).toEqual({ host: 'a', port: 80 });
  });

  it('names each bad field, the expectation and the value seen', () => {
    try {
      parseOptions(schema, { host: '', port: 'http' }, { source: 'checks-tcp', path: 'checks[2]' });
      expect.unreachable();
    } catch (error) {
      expect(VigilError.hasCode(error, 'VIGIL_ERR_CONFIG')).toBe(true);
      const vigilError = error as VigilError;
      expect(vigilError.path).toBe('checks[2].host');
      expect(vigilError.message).toMatch(/^\[checks-tcp\] invalid options: /);
      expect(vigilError.message).toContain('checks[2].port: ');
      expect(vigilError.message).toContain('got "http"');
    }
  });

  it('never echoes secrets in errors', () => {
    const secretSchema = z.strictObject({ proxy: z.url().startsWith('socks5://'), password: z.string().min(20) });
    try {
      parseOptions(secretSchema, { proxy: 'http://alice:hunter2@127.0.0.1:1080', password: 'short-secret' }, { source: 'x' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
      expect((error as Error).message).not.toContain('short-secret');
      expect((error as Error).message).toContain('password');
    }
  });

  it('reports unknown keys', () => {
    expect(() => parseOptions(schema, { host: 'a', port: 1, colour: 'red' }, { source: 'x' })).toThrow(/colour/);
  });

  it('formats paths with indexes', () => {
    expect(formatPath(['checks', 3, 'tls', 'pin'])).toBe('checks[3].tls.pin');
    expect(formatPath([0, 'a'], 'rules')).toBe('rules[0].a');
  });
});
