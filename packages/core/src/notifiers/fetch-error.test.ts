import { describe, expect, it } from 'vitest';
import { describeFetchError } from './fetch-error.js';

describe('describeFetchError', () => {
  it('adds the code and message of the cause fetch wrapped', () => {
    const error = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) });
    expect(describeFetchError(error)).toBe('fetch failed (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1)');
  });

  it('describes an error without a cause as it is', () => {
    expect(describeFetchError(new Error('boom'))).toContain('boom');
  });
});
