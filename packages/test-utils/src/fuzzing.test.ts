import { describe, expect, it } from 'vitest';
import { createSeededIntegers, createSeededRandom } from './fuzzing.js';

const take = (next: () => number, count: number): number[] => Array.from({ length: count }, () => next());

describe('seeded generators', () => {
  it('repeat the same sequence for the same seed', () => {
    expect(take(createSeededRandom(42), 5)).toEqual(take(createSeededRandom(42), 5));
    expect(take(createSeededIntegers(42), 5)).toEqual(take(createSeededIntegers(42), 5));
    expect(take(createSeededIntegers(42), 5)).not.toEqual(take(createSeededIntegers(43), 5));
  });

  it('follow xorshift32, with fractions that are the integers over 2^32', () => {
    // xorshift32(1): 1 -> 270369 -> 67634689 (Marsaglia's shifts 13, 17, 5).
    expect(take(createSeededIntegers(1), 2)).toEqual([270_369, 67_634_689]);
    expect(take(createSeededIntegers(0), 2)).toEqual(take(createSeededIntegers(1), 2));
    const integers = take(createSeededIntegers(7), 100);
    const fractions = take(createSeededRandom(7), 100);
    expect(fractions).toEqual(integers.map((value) => value / 2 ** 32));
    for (const value of integers) expect(Number.isInteger(value) && value > 0 && value < 2 ** 32).toBe(true);
  });
});
