/** An item the {@link TimerHeap} can order: the heap owns `sequence` and `heapIndex`. */
export interface TimerHeapItem {
  /** When the item is due (any monotonic unit; the scheduler uses epoch ms). */
  dueAt: number;
  /** Insertion counter, so items due at the same time come out first-in, first-out. */
  sequence: number;
  /** Position in the heap array, or -1 when the item is not in the heap. */
  heapIndex: number;
}

/**
 * A binary min-heap ordered by `dueAt`, then `sequence`. Items remember their own index, so
 * removing or re-keying any item is O(log n) without a lookup table (memory matters at 100,000
 * items).
 */
export class TimerHeap<Item extends TimerHeapItem> {
  readonly #items: Item[] = [];
  #nextSequence = 0;

  /** Number of items in the heap. */
  get size(): number {
    return this.#items.length;
  }

  /** The earliest item, without removing it. */
  peek(): Item | undefined {
    return this.#items[0];
  }

  /** True when `item` is in this heap. */
  has(item: Item): boolean {
    return item.heapIndex >= 0 && this.#items[item.heapIndex] === item;
  }

  /** Adds `item` due at `dueAt`. */
  push(item: Item, dueAt: number): void {
    item.dueAt = dueAt;
    item.sequence = this.#takeSequence();
    item.heapIndex = this.#items.length;
    this.#items.push(item);
    this.#siftUp(item.heapIndex);
  }

  /** Moves an item already in the heap to a new due time (it goes behind items due at the same time). */
  update(item: Item, dueAt: number): void {
    item.dueAt = dueAt;
    item.sequence = this.#takeSequence();
    this.#siftUp(item.heapIndex);
    this.#siftDown(item.heapIndex);
  }

  /** Removes `item`; returns false when it was not in the heap. */
  remove(item: Item): boolean {
    if (!this.has(item)) return false;
    const index = item.heapIndex;
    const last = this.#items.pop() as Item;
    item.heapIndex = -1;
    if (last !== item) {
      this.#items[index] = last;
      last.heapIndex = index;
      this.#siftUp(index);
      this.#siftDown(last.heapIndex);
    }
    return true;
  }

  /** Removes and returns the earliest item. */
  pop(): Item | undefined {
    const first = this.#items[0];
    if (first !== undefined) this.remove(first);
    return first;
  }

  /** Removes every item. */
  clear(): void {
    for (const item of this.#items) item.heapIndex = -1;
    this.#items.length = 0;
  }

  /**
   * Lets `change` re-key any items (by setting `dueAt` directly), then restores heap order in
   * O(n). For bulk changes such as resuming every job, where n separate updates would cost more.
   */
  rebuild(change: (item: Item) => void): void {
    for (const item of this.#items) change(item);
    for (let index = (this.#items.length >> 1) - 1; index >= 0; index -= 1) this.#siftDown(index);
  }

  /** Appends many items, then orders them once in O(n); keeps their `dueAt`. */
  pushAll(items: Iterable<Item>): void {
    for (const item of items) {
      item.sequence = this.#takeSequence();
      item.heapIndex = this.#items.length;
      this.#items.push(item);
    }
    for (let index = (this.#items.length >> 1) - 1; index >= 0; index -= 1) this.#siftDown(index);
  }

  #takeSequence(): number {
    const sequence = this.#nextSequence;
    this.#nextSequence += 1;
    return sequence;
  }

  #isBefore(left: Item, right: Item): boolean {
    return left.dueAt < right.dueAt || (left.dueAt === right.dueAt && left.sequence < right.sequence);
  }

  #siftUp(startIndex: number): void {
    const items = this.#items;
    const item = items[startIndex] as Item;
    let index = startIndex;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex] as Item;
      if (!this.#isBefore(item, parent)) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = item;
    item.heapIndex = index;
  }

  #siftDown(startIndex: number): void {
    const items = this.#items;
    const length = items.length;
    const item = items[startIndex];
    if (item === undefined) return;
    let index = startIndex;
    for (;;) {
      const leftIndex = 2 * index + 1;
      if (leftIndex >= length) break;
      const rightIndex = leftIndex + 1;
      let childIndex = leftIndex;
      if (rightIndex < length && this.#isBefore(items[rightIndex] as Item, items[leftIndex] as Item)) childIndex = rightIndex;
      const child = items[childIndex] as Item;
      if (!this.#isBefore(child, item)) break;
      items[index] = child;
      child.heapIndex = index;
      index = childIndex;
    }
    items[index] = item;
    item.heapIndex = index;
  }
}
