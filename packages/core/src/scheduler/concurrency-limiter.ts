/**
 * A first-in, first-out queue over an array with a moving head, so taking from the front is O(1)
 * (Array#shift is O(n) once the array is large).
 */
class FifoQueue<Item> {
  #items: (Item | undefined)[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: Item): void {
    this.#items.push(item);
  }

  shift(): Item | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head += 1;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1_024 && this.#head * 2 >= this.#items.length) {
      // Drop the consumed front now and then so a long-lived queue does not grow without bound.
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}

/**
 * Lets at most `limit` runs hold a slot at once; the rest wait in arrival order. Synchronous and
 * allocation-free per run (p-queue allocates a promise, a Symbol and a map entry per task and
 * costs about 7 µs per add), because the scheduler passes every run of the runtime through two
 * of these. Starters must not throw.
 */
export class ConcurrencyLimiter {
  readonly #limit: number;
  readonly #waiting = new FifoQueue<() => void>();
  #active = 0;
  #starting = false;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Runs holding a slot. */
  get active(): number {
    return this.#active;
  }

  /** Runs waiting for a slot. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /** Calls `start` now when a slot is free and nobody waits, else when a slot frees up. */
  acquire(start: () => void): void {
    if (this.#active < this.#limit && this.#waiting.size === 0 && !this.#starting) {
      this.#active += 1;
      start();
      return;
    }
    this.#waiting.push(start);
    this.#startWaiting();
  }

  /** Frees the slot of a run that finished (or will not start after all). */
  release(): void {
    this.#active -= 1;
    this.#startWaiting();
  }

  /**
   * Hands free slots to waiting runs. A starter may finish synchronously and release its slot
   * right here; the flag turns that nested call into another turn of this loop instead of
   * recursion, so thousands of waiting synchronous jobs cannot overflow the stack.
   */
  #startWaiting(): void {
    if (this.#starting) return;
    this.#starting = true;
    try {
      while (this.#active < this.#limit && this.#waiting.size > 0) {
        const start = this.#waiting.shift() as () => void;
        this.#active += 1;
        start();
      }
    } finally {
      this.#starting = false;
    }
  }
}
