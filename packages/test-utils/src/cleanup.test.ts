import { describe, expect, it } from 'vitest';
import { cleanupAfterAll, cleanupAfterEach } from './cleanup.js';

const closed: string[] = [];
const closable = (name: string) => ({ name, close: async () => void closed.push(name) });

describe('cleanupAfterEach', () => {
  const cleanups = cleanupAfterEach();

  it('registers resources and returns them', () => {
    const first = cleanups.closeLater(closable('first'));
    cleanups.closeLater(closable('second'));
    cleanups.defer(() => void closed.push('deferred'));
    expect(first.name).toBe('first');
    expect(closed).toEqual([]);
  });

  it('closed what the previous test registered, last first', () => {
    expect(closed.splice(0)).toEqual(['deferred', 'second', 'first']);
  });
});

describe('cleanupAfterAll', () => {
  const cleanups = cleanupAfterAll();

  it('keeps resources open across the tests of its suite', () => {
    cleanups.closeLater(closable('shared'));
    cleanups.defer(() => void closed.push('deferred'));
  });

  it('has closed nothing yet', () => {
    expect(closed).toEqual([]);
  });
});

describe('after a suite with cleanupAfterAll', () => {
  it('everything it registered is closed', () => {
    expect(closed.sort()).toEqual(['deferred', 'shared']);
  });
});
