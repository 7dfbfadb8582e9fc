import { describe, expect, it } from 'vitest';
import { ConcurrencyLimiter } from './concurrency-limiter.js';

describe('ConcurrencyLimiter', () => {
  it('starts at most `limit` runs and the rest in arrival order as slots free up', () => {
    const limiter = new ConcurrencyLimiter(2);
    const started: number[] = [];
    for (let index = 0; index < 5; index += 1) limiter.acquire(() => started.push(index));
    expect(started).toEqual([0, 1]);
    expect(limiter.active).toBe(2);
    expect(limiter.waiting).toBe(3);
    limiter.release();
    expect(started).toEqual([0, 1, 2]);
    limiter.release();
    limiter.release();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(limiter.waiting).toBe(0);
    limiter.release();
    limiter.release();
    expect(limiter.active).toBe(0);
  });

  it('drains 100,000 waiting runs that finish synchronously without deep recursion, in order', () => {
    const limiter = new ConcurrencyLimiter(1);
    const order: number[] = [];
    let maxActive = 0;
    let depth = 0;
    let maxDepth = 0;
    limiter.acquire(() => order.push(-1)); // holds the only slot
    for (let index = 0; index < 100_000; index += 1) {
      limiter.acquire(() => {
        depth += 1;
        maxDepth = Math.max(maxDepth, depth);
        maxActive = Math.max(maxActive, limiter.active);
        order.push(index);
        limiter.release(); // finishes synchronously, inside the release that started it
        depth -= 1;
      });
    }
    limiter.release();
    expect(order).toHaveLength(100_001);
    expect(order.every((value, position) => value === position - 1)).toBe(true);
    expect(maxActive).toBe(1);
    expect(maxDepth).toBe(1);
    expect(limiter.active).toBe(0);
    expect(limiter.waiting).toBe(0);
  });

  it('keeps arrival order when a run arrives while waiting runs are being started', () => {
    const limiter = new ConcurrencyLimiter(1);
    const order: string[] = [];
    limiter.acquire(() => order.push('first'));
    limiter.acquire(() => {
      order.push('second');
      // Arrives while the limiter is handing out slots; must queue behind 'third'.
      limiter.acquire(() => order.push('late'));
      limiter.release();
    });
    limiter.acquire(() => {
      order.push('third');
      limiter.release();
    });
    limiter.release();
    expect(order).toEqual(['first', 'second', 'third', 'late']);
  });
});
