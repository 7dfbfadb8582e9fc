// Seeded randomness for fuzz and property tests: the same seed gives the same inputs, so a
// failing case can be replayed from the seed its message names.

/** The xorshift32 sequence of a seed (0 counts as 1: xorshift never leaves 0). */
function xorshift32(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

/** A seeded pseudo-random generator of numbers in [0, 1), like `Math.random` but replayable (xorshift32). */
export function createSeededRandom(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() / 0x1_0000_0000;
}

/** A seeded pseudo-random generator of unsigned 32-bit integers (xorshift32), for picking bytes and lengths. */
export function createSeededIntegers(seed: number): () => number {
  return xorshift32(seed);
}
