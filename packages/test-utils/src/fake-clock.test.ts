import { describe, expect, it } from 'vitest';
import { sleep } from '@vigil/core';
import { createFakeClock } from './fake-clock.js';

describe('createFakeClock', () => {
  it('fires timers in due order only when advanced', async () => {
    const clock = createFakeClock(1_000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 200);
    clock.setTimeout(() => fired.push('a'), 100);
    const cancelled = clock.setTimeout(() => fired.push('never'), 150);
    clock.clearTimeout(cancelled);
    await clock.advance(99);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual(['a']);
    expect(clock.now()).toBe(1_100);
    await clock.advance(500);
    expect(fired).toEqual(['a', 'b']);
    expect(clock.monotonicNow()).toBe(600);
    expect(clock.pendingTimers).toBe(0);
  });

  it('settles async chains between timers', async () => {
    const clock = createFakeClock();
    const steps: number[] = [];
    const chain = (async () => {
      await sleep(clock, 10);
      steps.push(clock.monotonicNow());
      await sleep(clock, 10);
      steps.push(clock.monotonicNow());
    })();
    await clock.advance(25);
    await chain;
    expect(steps).toEqual([10, 20]);
  });
});
