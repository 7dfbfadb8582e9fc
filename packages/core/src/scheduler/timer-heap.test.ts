import { describe, expect, it } from 'vitest';
import { TimerHeap, type TimerHeapItem } from './timer-heap.js';

interface TestItem extends TimerHeapItem {
  readonly name: number;
}

const makeItem = (name: number): TestItem => ({ name, dueAt: 0, sequence: 0, heapIndex: -1 });

/** A small seeded generator so the randomised test is the same on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 0x1_0000_0000;
  };
}

function drain(heap: TimerHeap<TestItem>): TestItem[] {
  const order: TestItem[] = [];
  for (let item = heap.pop(); item !== undefined; item = heap.pop()) order.push(item);
  return order;
}

describe('TimerHeap', () => {
  it('pops in due order and keeps insertion order for equal due times', () => {
    const heap = new TimerHeap<TestItem>();
    const dues = [50, 10, 30, 10, 20, 50, 10];
    dues.forEach((due, index) => heap.push(makeItem(index), due));
    expect(heap.peek()?.name).toBe(1);
    expect(drain(heap).map((item) => item.name)).toEqual([1, 3, 6, 4, 2, 0, 5]);
    expect(heap.size).toBe(0);
  });

  it('removes and re-keys arbitrary items, matching a sorted reference under random operations', () => {
    const random = seededRandom(42);
    const heap = new TimerHeap<TestItem>();
    const live = new Map<number, TestItem>();
    let nextName = 0;
    for (let step = 0; step < 5_000; step += 1) {
      const choice = random();
      const names = [...live.keys()];
      if (choice < 0.5 || names.length === 0) {
        const item = makeItem(nextName);
        nextName += 1;
        heap.push(item, Math.floor(random() * 1_000));
        live.set(item.name, item);
      } else if (choice < 0.75) {
        const item = live.get(names[Math.floor(random() * names.length)] as number) as TestItem;
        expect(heap.remove(item)).toBe(true);
        expect(heap.remove(item)).toBe(false);
        live.delete(item.name);
      } else {
        const item = live.get(names[Math.floor(random() * names.length)] as number) as TestItem;
        heap.update(item, Math.floor(random() * 1_000));
      }
      expect(heap.size).toBe(live.size);
    }
    const expected = [...live.values()].sort((left, right) => left.dueAt - right.dueAt || left.sequence - right.sequence);
    expect(drain(heap)).toEqual(expected);
    for (const item of expected) expect(item.heapIndex).toBe(-1);
  });

  it('pushAll orders many items at once and clear empties the heap', () => {
    const heap = new TimerHeap<TestItem>();
    const items = [5, 3, 9, 1, 7].map((due, index) => Object.assign(makeItem(index), { dueAt: due }));
    heap.pushAll(items);
    expect(heap.has(items[0] as TestItem)).toBe(true);
    expect(drain(heap).map((item) => item.dueAt)).toEqual([1, 3, 5, 7, 9]);
    heap.pushAll(items);
    heap.clear();
    expect(heap.size).toBe(0);
    expect(heap.has(items[2] as TestItem)).toBe(false);
    expect(heap.peek()).toBeUndefined();
  });
});
