import type { Clock, TimerHandle } from '@vigil/core';

interface FakeTimer {
  readonly id: number;
  readonly dueAt: number;
  readonly callback: () => void;
}

/** A {@link Clock} whose time moves only when the test says so. */
export interface FakeClock extends Clock {
  /** Timers still pending. */
  readonly pendingTimers: number;
  /**
   * Moves time forward by `ms`, firing due timers in order. Between timers it lets pending
   * promise callbacks run, so async code reacting to a timer settles before the next one.
   */
  advance(ms: number): Promise<void>;
  /** Fires timers until none is left or `maxMs` of fake time has passed. */
  runAll(maxMs?: number): Promise<void>;
  /** Jumps the wall clock (epoch ms) without firing timers, e.g. to set a date. */
  setNow(epochMs: number): void;
}

/** Lets queued promise callbacks and immediates run. */
export async function flushMicrotasks(rounds = 5): Promise<void> {
  for (let round = 0; round < rounds; round += 1) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Creates a fake clock starting at `startEpochMs` (default 2026-01-01T00:00:00Z). */
export function createFakeClock(startEpochMs = Date.UTC(2026, 0, 1)): FakeClock {
  let epoch = startEpochMs;
  let monotonic = 0;
  let nextId = 1;
  const timers = new Map<number, FakeTimer>();

  const nextDue = (): FakeTimer | undefined => {
    let earliest: FakeTimer | undefined;
    for (const timer of timers.values()) {
      if (!earliest || timer.dueAt < earliest.dueAt || (timer.dueAt === earliest.dueAt && timer.id < earliest.id)) earliest = timer;
    }
    return earliest;
  };

  const advanceTo = async (target: number): Promise<void> => {
    await flushMicrotasks();
    for (;;) {
      const timer = nextDue();
      if (!timer || timer.dueAt > target) break;
      epoch += timer.dueAt - monotonic;
      monotonic = timer.dueAt;
      timers.delete(timer.id);
      timer.callback();
      await flushMicrotasks();
    }
    epoch += target - monotonic;
    monotonic = target;
    await flushMicrotasks();
  };

  return {
    now: () => epoch,
    monotonicNow: () => monotonic,
    setTimeout(callback: () => void, delayMs: number): TimerHandle {
      const id = nextId;
      nextId += 1;
      timers.set(id, { id, dueAt: monotonic + Math.max(0, delayMs), callback });
      return id;
    },
    clearTimeout(handle: TimerHandle): void {
      timers.delete(handle as number);
    },
    get pendingTimers() {
      return timers.size;
    },
    advance: (ms: number) => advanceTo(monotonic + ms),
    async runAll(maxMs = 86_400_000) {
      const limit = monotonic + maxMs;
      for (;;) {
        const timer = nextDue();
        if (!timer || timer.dueAt > limit) break;
        await advanceTo(timer.dueAt);
      }
    },
    setNow(epochMs: number) {
      epoch = epochMs;
    },
  };
}
