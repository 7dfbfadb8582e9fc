import { describe, expect, it } from 'vitest';
import { resolveHostAddress } from './resolve-address.js';

describe('resolveHostAddress', () => {
  it('returns IP literals as they are, with their family', async () => {
    const signal = new AbortController().signal;
    expect(await resolveHostAddress({ host: '127.0.0.1', signal })).toEqual({ address: '127.0.0.1', family: 4 });
    expect(await resolveHostAddress({ host: '::1', signal })).toEqual({ address: '::1', family: 6 });
  });

  it('resolves localhost in the family asked for', async () => {
    expect(await resolveHostAddress({ host: 'localhost', family: 4, signal: new AbortController().signal })).toEqual({ address: '127.0.0.1', family: 4 });
  });

  it('rejects with the reason of an aborted signal before looking up', async () => {
    const controller = new AbortController();
    const reason = new Error('stopped');
    controller.abort(reason);
    await expect(resolveHostAddress({ host: 'example.test', signal: controller.signal })).rejects.toBe(reason);
  });
});
