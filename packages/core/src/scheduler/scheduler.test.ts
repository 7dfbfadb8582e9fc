import { type FakeClock, createFakeClock } from '@vigil/test-utils';
import { describe, expect, it } from 'vitest';
import type { JobRun, ScheduledJob, Scheduler } from '../contracts/scheduler.js';
import { VigilError } from '../errors/vigil-error.js';
import { type Clock, sleep } from '../util/clock.js';
import { createScheduler } from './scheduler.js';
import { cron, every, splayOffset } from './triggers.js';

const START = Date.UTC(2026, 0, 1);

interface Recorder {
  readonly job: ScheduledJob;
  readonly runs: JobRun[];
}

/** A job that records each run and optionally takes `durationMs` of fake time. */
function recorder(clock: Clock, id: string, options: { durationMs?: number; target?: string; overlap?: 'skip' | 'queue' } = {}): Recorder {
  const runs: JobRun[] = [];
  const job: ScheduledJob = {
    id,
    ...(options.target === undefined ? {} : { target: options.target }),
    ...(options.overlap === undefined ? {} : { overlap: options.overlap }),
    run: async (run) => {
      runs.push(run);
      if (options.durationMs !== undefined) await sleep(clock, options.durationMs);
    },
  };
  return { job, runs };
}

/**
 * A clock whose timers behave like Node's, which run on a loop clock truncated to whole
 * milliseconds: waits of 1 ms or more may end up to a millisecond early (here 0.4 ms).
 */
function truncatingClock(fake: FakeClock): { clock: Clock; timersSet: number } {
  const result = {
    timersSet: 0,
    clock: {
      now: fake.now,
      monotonicNow: fake.monotonicNow,
      setTimeout: (callback: () => void, delayMs: number) => {
        result.timersSet += 1;
        return fake.setTimeout(callback, delayMs >= 1 ? delayMs - 0.4 : delayMs);
      },
      clearTimeout: fake.clearTimeout,
    } satisfies Clock,
  };
  return result;
}

const offsetsOf = (runs: readonly JobRun[]): number[] => runs.map((run) => run.scheduledAt - START);

function errorOf(action: () => unknown): VigilError {
  try {
    action();
  } catch (error) {
    expect(VigilError.isInstance(error)).toBe(true);
    return error as VigilError;
  }
  throw new Error('expected a VigilError');
}

/** Tracks how many runs are in progress at once, overall and per target. */
function concurrencyProbe(clock: Clock) {
  let running = 0;
  let maxRunning = 0;
  const runningByTarget = new Map<string, number>();
  const maxByTarget = new Map<string, number>();
  const lagById = new Map<string, number>();
  const job = (id: string, target?: string): ScheduledJob => ({
    id,
    ...(target === undefined ? {} : { target }),
    run: async (run) => {
      lagById.set(id, run.lagMs);
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      const key = target ?? '';
      runningByTarget.set(key, (runningByTarget.get(key) ?? 0) + 1);
      maxByTarget.set(key, Math.max(maxByTarget.get(key) ?? 0, runningByTarget.get(key) ?? 0));
      await sleep(clock, 1_000);
      running -= 1;
      runningByTarget.set(key, (runningByTarget.get(key) ?? 0) - 1);
    },
  });
  return { job, lagById, maxByTarget, maxRunning: () => maxRunning };
}

describe('createScheduler: every-triggers', () => {
  it('runs on a fixed grid with exact scheduled times and no drift from slow runs', async () => {
    const clock = createFakeClock(START);
    const scheduler = createScheduler({ clock });
    const slow = recorder(clock, 'slow', { durationMs: 700 });
    scheduler.schedule(slow.job, every('1s', { splay: false }));
    scheduler.start();
    await clock.advance(4_500);
    // A 700 ms run does not push the next slot: slots stay at 0, 1000, 2000...
    expect(offsetsOf(slow.runs)).toEqual([0, 1_000, 2_000, 3_000, 4_000]);
    for (const run of slow.runs) {
      expect(run.lagMs).toBe(0);
      expect(run.startedAt).toBe(run.scheduledAt);
    }
    expect(scheduler.nextRunAt('slow')).toBe(START + 5_000);
    expect(scheduler.stats()).toMatchObject({ jobs: 1, skipped: 0, missed: 0 });
  });

  it('uses one clock timer however many jobs are registered', async () => {
    const clock = createFakeClock(START);
    const scheduler = createScheduler({ clock });
    for (let index = 0; index < 1_000; index += 1) scheduler.schedule({ id: `job-${index}`, run: () => {} }, every('10s'));
    scheduler.start();
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(25_000);
    expect(clock.pendingTimers).toBe(1);
  });

  it('does not run before start(); a job without splay runs when the scheduler starts', async () => {
    const clock = createFakeClock(START);
    const scheduler = createScheduler({ clock });
    const plain = recorder(clock, 'plain');
    scheduler.schedule(plain.job, every('10s', { splay: false }));
    expect(scheduler.nextRunAt('plain')).toBeUndefined();
    await clock.advance(3_000);
    expect(plain.runs).toHaveLength(0);
    expect(clock.pendingTimers).toBe(0);
    scheduler.start();
    scheduler.start(); // idempotent
    await clock.advance(0);
    expect(offsetsOf(plain.runs)).toEqual([3_000]);
    await clock.advance(10_000);
    expect(offsetsOf(plain.runs)).toEqual([3_000, 13_000]);
  });

  it('spreads 10,000 jobs on one interval over distinct offsets, the same on every run', async () => {
    const layout = (startEpochMs: number): { clock: FakeClock; scheduler: Scheduler; next: number[] } => {
      const clock = createFakeClock(startEpochMs);
      const scheduler = createScheduler({ clock });
      for (let index = 0; index < 10_000; index += 1) scheduler.schedule({ id: `check-${index}`, run: () => {} }, every('60s'));
      scheduler.start();
      const next = Array.from({ length: 10_000 }, (_, index) => scheduler.nextRunAt(`check-${index}`) as number);
      return { clock, scheduler, next };
    };
    const first = layout(START);
    const offsets = first.next.map((next) => next - START);
    expect(new Set(offsets).size).toBeGreaterThan(9_000);
    offsets.forEach((offset, index) => expect(offset).toBe(splayOffset(`check-${index}`, 60_000)));
    const perSecond = new Array<number>(60).fill(0);
    for (const offset of offsets) perSecond[Math.floor(offset / 1_000)] = (perSecond[Math.floor(offset / 1_000)] ?? 0) + 1;
    // About 167 per second on average; without splay all 10,000 would share one instant.
    expect(Math.max(...perSecond)).toBeLessThan(250);
    expect(Math.min(...perSecond)).toBeGreaterThan(100);

    // Deterministic: a second scheduler lays the jobs out identically.
    expect(layout(START).next).toEqual(first.next);
    // The phase is anchored to the epoch, so a restart at another moment keeps each job's offset.
    const later = layout(START + 12_345);
    later.next.forEach((next, index) => {
      expect(next).toBeGreaterThanOrEqual(START + 12_345);
      expect((next - START) % 60_000).toBe(offsets[index]);
    });
  });

  it('adds per-run jitter within [0, jitter) without moving the grid', async () => {
    const clock = createFakeClock(START);
    const draws = [0, 0.5, 0.999_999, 0.25, 1, Number.NaN];
    let drawIndex = 0;
    const random = (): number => draws[drawIndex++ % draws.length] as number;
    const scheduler = createScheduler({ clock, random });
    const jittered = recorder(clock, 'jittered');
    scheduler.schedule(jittered.job, every('10s', { jitter: '2s', splay: false }));
    scheduler.start();
    await clock.advance(55_000);
    // Slot k*10s plus floor(draw * 2000); out-of-range draws (1, NaN) count as 0.
    expect(offsetsOf(jittered.runs)).toEqual([0, 11_000, 21_999, 30_500, 40_000, 50_000]);
    for (const run of jittered.runs) expect(run.lagMs).toBe(0);
  });

  it('keeps jitter inside its bounds with Math.random', async () => {
    const clock = createFakeClock(START);
    const scheduler = createScheduler({ clock });
    const jittered = recorder(clock, 'jittered');
    scheduler.schedule(jittered.job, every('1s', { jitter: '300ms', splay: false }));
    scheduler.start();
    await clock.advance(200_000);
    expect(jittered.runs.length).toBeGreaterThanOrEqual(199);
    const extras = jittered.runs.map((run) => (run.scheduledAt - START) % 1_000);
    for (const extra of extras) {
      expect(extra).toBeGreaterThanOrEqual(0);
      expect(extra).toBeLessThan(300);
    }
    expect(new Set(extras).size).toBeGreaterThan(50);
  });

  it('after a stall runs a late job once, reports the lag and skips the missed slots', async () => {
    const fake = createFakeClock(START);
    let extraDelayMs = 0;
    // A clock whose timers fire late, as they do when the event loop is blocked.
    const stalling: Clock = {
      now: fake.now,
      monotonicNow: fake.monotonicNow,
      setTimeout: (callback, delayMs) => fake.setTimeout(callback, delayMs + extraDelayMs),
      clearTimeout: fake.clearTimeout,
    };
    const scheduler = createScheduler({ clock: stalling });
    const steady = recorder(fake, 'steady');
    scheduler.schedule(steady.job, every('1s', { splay: false }));
    scheduler.start();
    extraDelayMs = 2_500;
    await fake.advance(1);
    extraDelayMs = 0;
    await fake.advance(4_000);
    expect(offsetsOf(steady.runs)).toEqual([0, 1_000, 4_000]);
    expect(steady.runs.map((run) => run.lagMs)).toEqual([0, 2_500, 0]);
    expect(scheduler.stats().missed).toBe(2);
  });

  it('starts an every-trigger run a fraction of a tick early rather than waiting another timer turn; cron never early', async () => {
    const fake = createFakeClock(START);
    const truncating = truncatingClock(fake);
    const scheduler = createScheduler({ clock: truncating.clock });
    const steady = recorder(fake, 'steady');
    scheduler.schedule(steady.job, every('1s', { splay: false }));
    scheduler.start();
    await fake.advance(10);
    truncating.timersSet = 0;
    await fake.advance(5_000);
    expect(offsetsOf(steady.runs)).toEqual([0, 1_000, 2_000, 3_000, 4_000, 5_000]);
    expect(steady.runs.every((run) => run.lagMs === 0)).toBe(true);
    expect(truncating.timersSet).toBe(5); // one timer per run, no extra turn for the last 0.4 ms

    const cronFake = createFakeClock(START + 1_000);
    const cronScheduler = createScheduler({ clock: truncatingClock(cronFake).clock });
    const startedAfterSlot: number[] = [];
    cronScheduler.schedule({ id: 'minutely', run: (run) => void startedAfterSlot.push(cronFake.now() - run.scheduledAt) }, cron('* * * * *'));
    cronScheduler.start();
    await cronFake.advance(3 * 60_000);
    expect(startedAfterSlot).toEqual([0, 0, 0]);
  });

  it('splits waits longer than the largest timer delay', async () => {
    const fake = createFakeClock(START);
    const delays: number[] = [];
    const recording: Clock = {
      now: fake.now,
      monotonicNow: fake.monotonicNow,
      setTimeout: (callback, delayMs) => {
        delays.push(delayMs);
        return fake.setTimeout(callback, delayMs);
      },
      clearTimeout: fake.clearTimeout,
    };
    const scheduler = createScheduler({ clock: recording });
    const monthly = recorder(fake, 'monthly');
    scheduler.schedule(monthly.job, every('30d', { splay: false }));
    scheduler.start();
    await fake.advance(30 * 86_400_000);
    expect(offsetsOf(monthly.runs)).toEqual([0, 30 * 86_400_000]);
    expect(Math.max(...delays)).toBe(2 ** 31 - 1);
  });

  it('keeps every-triggers on the monotonic clock when the wall clock steps', async () => {
    const clock = createFakeClock(START);
    const scheduler = createScheduler({ clock });
    const steady = recorder(clock, 'steady');
    scheduler.schedule(steady.job, every('1s', { splay: false }));
    scheduler.start();
    await clock.advance(1_500);
    clock.setNow(clock.now() - 3_600_000);
    await clock.advance(2_000);
    // Two more runs a second apart; their scheduled times follow the stepped wall clock.
    expect(offsetsOf(steady.runs)).toEqual([0, 1_000, 2_000 - 3_600_000, 3_000 - 3_600_000]);
    expect(steady.runs.every((run) => run.lagMs === 0)).toBe(true);
    expect(scheduler.stats().missed).toBe(0);
  });
});

describe('createScheduler: cron triggers', () => {
  it('runs at the cron times', async () => {
    const clock = createFakeClock(START + 1_000);
    const scheduler = createScheduler({ clock });
    const fiveMinutes = recorder(clock, 'five');
    scheduler.schedule(fiveMinutes.job, cron('*/5 * * * *'));
    scheduler.start();
    expect(scheduler.nextRunAt('five')).toBe(START + 300_000);
    await clock.advance(16 * 60_000);
    expect(offsetsOf(fiveMinutes.runs)).toEqual([300_000, 600_000, 900_000]);
    expect(fiveMinutes.runs.every((run) => run.lagMs === 0)).toBe(true);
  });

  it('honours the time zone, including the switch to summer time', async () => {
    const clock = createFakeClock(Date.UTC(2026, 2, 27, 12));
    const scheduler = createScheduler({ clock });
    const morning = recorder(clock, 'morning');
    scheduler.schedule(morning.job, cron('0 9 * * *', { timezone: 'Europe/Berlin' }));
    scheduler.start();
    await clock.advance(3 * 86_400_000);
    // 09:00 in Berlin is 08:00 UTC in winter (CET) and 07:00 UTC after 29 March (CEST).
    expect(morning.runs.map((run) => new Date(run.scheduledAt).toISOString())).toEqual([
      '2026-03-28T08:00:00.000Z',
      '2026-03-29T07:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
    ]);
  });

  it('follows the wall clock when it steps back, instead of firing early', async () => {
    const clock = createFakeClock(START + 1_000);
    const scheduler = createScheduler({ clock });
    const minutely = recorder(clock, 'minutely');
    scheduler.schedule(minutely.job, cron('* * * * *'));
    scheduler.start();
    await clock.advance(30_000);
    clock.setNow(clock.now() - 600_000); // back ten minutes, to 23:50:31
    await clock.advance(10 * 60_000);
    expect(minutely.runs).toHaveLength(0);
    await clock.advance(60_000);
    expect(offsetsOf(minutely.runs)).toEqual([60_000]);
    expect(clock.now()).toBeGreaterThanOrEqual(START + 60_000);
  });

  it('notices a wall-clock step that happened while everything was paused', async () => {
    const clock = createFakeClock(START + 1_000);
    const scheduler = createScheduler({ clock });
    const minutely = recorder(clock, 'minutely');
    scheduler.schedule(minutely.job, cron('* * * * *'));
    scheduler.start();
    await clock.advance(30_000);
    scheduler.pause();
    clock.setNow(clock.now() - 600_000); // back ten minutes, to 23:50:31
    await clock.advance(20_000);
    scheduler.resume();
    // Nothing runs until the wall clock reaches 00:01 again, ten minutes later.
    await clock.advance(START + 60_000 - clock.now() - 1);
    expect(minutely.runs).toHaveLength(0);
    await clock.advance(1);
    expect(offsetsOf(minutely.runs)).toEqual([60_000]);
  });

  it('after the wall clock steps forward runs once and counts the skipped times', async () => {
    const clock = createFakeClock(START + 1_000);
    const scheduler = createScheduler({ clock });
    const minutely = recorder(clock, 'minutely');
    scheduler.schedule(minutely.job, cron('* * * * *'));
    scheduler.start();
    await clock.advance(30_000);
    clock.setNow(clock.now() + 600_000); // forward to 00:10:31
    await clock.advance(30_000);
    // The timer for 00:01 fires when the wall clock reads 00:11:00: 00:01 runs once, late, in
    // place of 00:02..00:11, which are skipped; 00:12 is next.
    expect(offsetsOf(minutely.runs)).toEqual([60_000]);
    expect(scheduler.stats().missed).toBe(10);
    expect(scheduler.nextRunAt('minutely')).toBe(START + 720_000);
    await clock.advance(60_000);
    expect(offsetsOf(minutely.runs)).toEqual([60_000, 720_000]);
    expect(minutely.runs[1]?.lagMs).toBe(0);
  });
});

describe('createScheduler: overlap', () => {
  it('skip drops a due run while the previous one still runs, and counts it', async () => {
    const clock = createFakeClock(START);
    const scheduler = createScheduler({ clock });
    const slow = recorder(clock, 'slow', { durationMs: 2_500, overlap: 'skip' });
    scheduler.schedule(slow.job, every('1s', { splay: false }));
    scheduler.start();
    await clock.advance(4_600);
    expect(offsetsOf(slow.runs)).toEqual([0, 3_000]);
    expect(scheduler.stats()).toMatchObject({ skipped: 3, queued: 0, running: 1, missed: 0 });
  });

  it('queue keeps one pending run, starts it when the current one ends, and reports its wait as lag', async () => {
    const clock = createFakeClock(START);
    const scheduler = createScheduler({ clock });
    const slow = recorder(clock, 'slow', { durationMs: 2_500, overlap: 'queue' });
    scheduler.schedule(slow.job, every('1s', { splay: false }));
    scheduler.start();
    await clock.advance(1_100);
    expect(scheduler.stats()).toMatchObject({ running: 1, queued: 1, skipped: 0 });
    await clock.advance(3_500);
    expect(offsetsOf(slow.runs)).toEqual([0, 1_000]);
    expect(slow.runs.map((run) => run.lagMs)).toEqual([0, 1_500]);
    expect(slow.runs[1]?.startedAt).toBe(START + 2_500);
    // 2000 and 4000 found a run already pending; 3000 is pending now.
    expect(scheduler.stats()).toMatchObject({ running: 1, queued: 1, skipped: 2 });
    await clock.advance(500);
    expect(offsetsOf(slow.runs)).toEqual([0, 1_000, 3_000]);
    expect(slow.runs[2]?.lagMs).toBe(2_000);
  });
});

describe('createScheduler: concurrency', () => {
  it('never exceeds the global limit, and lag includes the wait for a slot', async () => {
    const clock = createFakeClock(START);
    const probe = concurrencyProbe(clock);
    const scheduler = createScheduler({ clock, concurrency: 2 });
    for (let index = 0; index < 5; index += 1) scheduler.schedule(probe.job(`job-${index}`), every('1m', { splay: false }));
    scheduler.start();
    await clock.advance(0);
    expect(scheduler.stats()).toMatchObject({ running: 2, queued: 3 });
    await clock.advance(3_500);
    expect(probe.maxRunning()).toBe(2);
    expect([...probe.lagById.values()]).toEqual([0, 0, 1_000, 1_000, 2_000]);
    expect(scheduler.stats()).toMatchObject({ running: 0, queued: 0 });
  });

  it('never exceeds the per-target limit, while other targets are not held up', async () => {
    const clock = createFakeClock(START);
    const probe = concurrencyProbe(clock);
    const scheduler = createScheduler({ clock, perTargetConcurrency: 1 });
    for (const [id, target] of [['a1', 'a'], ['a2', 'a'], ['a3', 'a'], ['b1', 'b'], ['free', undefined]] as const) {
      scheduler.schedule(probe.job(id, target), every('1m', { splay: false }));
    }
    scheduler.start();
    await clock.advance(3_500);
    expect(probe.maxByTarget.get('a')).toBe(1);
    expect(probe.maxByTarget.get('b')).toBe(1);
    expect(Object.fromEntries(probe.lagById)).toEqual({ a1: 0, b1: 0, free: 0, a2: 1_000, a3: 2_000 });
  });

  it('applies both limits together', async () => {
    const clock = createFakeClock(START);
    const probe = concurrencyProbe(clock);
    const scheduler = createScheduler({ clock, concurrency: 2, perTargetConcurrency: 1 });
    for (const [id, target] of [['a1', 'a'], ['a2', 'a'], ['b1', 'b'], ['c1', 'c']] as const) {
      scheduler.schedule(probe.job(id, target), every('1m', { splay: false }));
    }
    scheduler.start();
    await clock.advance(2_500);
    expect(probe.maxRunning()).toBe(2);
    expect(probe.maxByTarget.get('a')).toBe(1);
    expect(Object.fromEntries(probe.lagById)).toEqual({ a1: 0, b1: 0, c1: 1_000, a2: 1_000 });
  });

  it('does not start a run waiting for a slot once its job is paused, unscheduled or everything is paused', async () => {
    const clock = createFakeClock(START);
    const scheduler = createScheduler({ clock, concurrency: 1 });
    const holder = recorder(clock, 'holder', { durationMs: 1_000 });
    const paused = recorder(clock, 'paused');
    const removed = recorder(clock, 'removed');
    const later = recorder(clock, 'later');
    for (const { job } of [holder, paused, removed, later]) scheduler.schedule(job, every('1m', { splay: false }));
    scheduler.start();
    await clock.advance(0);
    expect(scheduler.stats()).toMatchObject({ running: 1, queued: 3 });
    scheduler.pause('paused');
    scheduler.unschedule('removed');
    await clock.advance(1_500);
    expect(offsetsOf(later.runs)).toEqual([0]);
    expect(later.runs[0]?.lagMs).toBe(1_000);
    expect(paused.runs).toHaveLength(0);
    expect(removed.runs).toHaveLength(0);

    await clock.advance(58_500); // the next minute: holder runs, later waits again
    expect(scheduler.stats()).toMatchObject({ running: 1, queued: 1 });
    scheduler.pause();
    await clock.advance(2_000);
    expect(later.runs).toHaveLength(1);
    expect(scheduler.stats()).toMatchObject({ running: 0, queued: 0 });
  });

  it('runs synchronous jobs through both limits, one at a time per target, each exactly once', async () => {
    const clock = createFakeClock(START);
    const scheduler = createScheduler({ clock, concurrency: 1, perTargetConcurrency: 1 });
    const counts = new Map<string, number>();
    let running = 0;
    let maxRunning = 0;
    for (let index = 0; index < 1_000; index += 1) {
      const id = `sync-${index}`;
      scheduler.schedule(
        {
          id,
          target: `host-${index % 10}`,
          run: () => {
            running += 1;
            maxRunning = Math.max(maxRunning, running);
            counts.set(id, (counts.get(id) ?? 0) + 1);
            running -= 1;
          },
        },
        every('1m', { splay: false }),
      );
    }
    scheduler.start();
    await clock.advance(0);
    expect(counts.size).toBe(1_000);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(maxRunning).toBe(1);
    expect(scheduler.stats()).toMatchObject({ running: 0, queued: 0 });
  });

  it('rejects limits that are not whole numbers of at least 1', () => {
    const error = errorOf(() => createScheduler({ concurrency: 0 }));
    expect(error.code).toBe('VIGIL_ERR_CONFIG');
    expect(error.message).toMatch(/^\[core\] config: concurrency: expected a whole number/);
    expect(errorOf(() => createScheduler({ perTargetConcurrency: 1.5 })).path).toBe('perTargetConcurrency');
    expect(() => createScheduler({ concurrency: Number.POSITIVE_INFINITY })).not.toThrow();
  });
});

describe('createScheduler: pause and resume', () => {
  it('pauses one job; on resume it continues at its next slot, not at once', async () => {
    const clock = createFakeClock(START);
    const scheduler = createScheduler({ clock });
    const paused = recorder(clock, 'paused');
    const other = recorder(clock, 'other');
    scheduler.schedule(paused.job, every('1s', { splay: false }));
    scheduler.schedule(other.job, every('1s', { splay: false }));
    scheduler.start();
    await clock.advance(1_500);
    scheduler.pause('paused');
    scheduler.pause('paused'); // idempotent
    expect(scheduler.nextRunAt('paused')).toBeUndefined();
    await clock.advance(2_000);
    scheduler.resume('paused');
    expect(scheduler.nextRunAt('paused')).toBe(START + 4_000);
    await clock.advance(1_000);
    expect(offsetsOf(paused.runs)).toEqual([0, 1_000, 4_000]);
    expect(offsetsOf(other.runs)).toEqual([0, 1_000, 2_000, 3_000, 4_000]);
    expect(scheduler.stats().missed).toBe(0);
  });

  it('pauses all jobs, and resume() also resumes individually paused ones without a burst', async () => {
    const clock = createFakeClock(START);
    const scheduler = createScheduler({ clock });
    const first = recorder(clock, 'first');
    const second = recorder(clock, 'second');
    scheduler.schedule(first.job, every('1s', { splay: false }));
    scheduler.schedule(second.job, every('1s', { splay: false }));
    scheduler.start();
    await clock.advance(500);
    scheduler.pause('first');
    scheduler.pause();
    expect(scheduler.nextRunAt('second')).toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(5_000);
    expect(first.runs).toHaveLength(1);
    expect(second.runs).toHaveLength(1);
    scheduler.resume();
    await clock.advance(1_000);
    expect(offsetsOf(first.runs)).toEqual([0, 6_000]);
    expect(offsetsOf(second.runs)).toEqual([0, 6_000]);
    expect(scheduler.stats()).toMatchObject({ missed: 0, skipped: 0 });
  });

  it('lets a run in progress finish but starts no queued run of a paused job', async () => {
    const clock = createFakeClock(START);
    const scheduler = createScheduler({ clock });
    const slow = recorder(clock, 'slow', { durationMs: 2_500, overlap: 'queue' });
    scheduler.schedule(slow.job, every('1s', { splay: false }));
    scheduler.start();
    await clock.advance(1_500);
    expect(scheduler.stats().queued).toBe(1);
    scheduler.pause('slow');
    expect(scheduler.stats()).toMatchObject({ queued: 0, running: 1 });
    await clock.advance(3_000);
    expect(offsetsOf(slow.runs)).toEqual([0]);
    expect(scheduler.stats().running).toBe(0);
  });

  it('gives a job paused before start() its splayed slot when resumed later', async () => {
    const clock = createFakeClock(START);
    const scheduler = createScheduler({ clock });
    const late = recorder(clock, 'late-starter');
    scheduler.schedule(late.job, every('1m'));
    scheduler.pause('late-starter');
    scheduler.start();
    expect(scheduler.nextRunAt('late-starter')).toBeUndefined();
    await clock.advance(90_000);
    scheduler.resume('late-starter');
    const offset = splayOffset('late-starter', 60_000);
    const expected = START + (offset >= 90_000 % 60_000 ? 60_000 + offset : 120_000 + offset);
    expect(scheduler.nextRunAt('late-starter')).toBe(expected);
    await clock.advance(expected - clock.now());
    expect(late.runs.map((run) => run.scheduledAt)).toEqual([expected]);
  });

  it('resumes a cron job at its next time', async () => {
    const clock = createFakeClock(START);
    const scheduler = createScheduler({ clock });
    const minutely = recorder(clock, 'minutely');
    scheduler.schedule(minutely.job, cron('* * * * *'));
    scheduler.start();
    await clock.advance(30_000);
    scheduler.pause('minutely');
    await clock.advance(100_000);
    scheduler.resume('minutely');
    expect(scheduler.nextRunAt('minutely')).toBe(START + 180_000);
    await clock.advance(60_000);
    expect(offsetsOf(minutely.runs)).toEqual([0, 180_000]);
  });

  it('throws VIGIL_ERR_SCHEDULER for an unknown job id', () => {
    const scheduler = createScheduler({ clock: createFakeClock(START) });
    expect(errorOf(() => scheduler.pause('ghost')).code).toBe('VIGIL_ERR_SCHEDULER');
    expect(errorOf(() => scheduler.resume('ghost')).message).toBe('[core] scheduler: no job with id "ghost"');
  });
});

describe('createScheduler: unschedule and stop', () => {
  it('unschedules a job while it runs: the run finishes, nothing more starts, the id is free again', async () => {
    const clock = createFakeClock(START);
    const scheduler = createScheduler({ clock });
    let finished = 0;
    const runs: JobRun[] = [];
    scheduler.schedule(
      {
        id: 'long',
        overlap: 'queue',
        run: async (run) => {
          runs.push(run);
          await sleep(clock, 2_500);
          finished += 1;
        },
      },
      every('1s', { splay: false }),
    );
    scheduler.start();
    await clock.advance(1_500);
    expect(scheduler.stats()).toMatchObject({ running: 1, queued: 1 });
    expect(scheduler.unschedule('long')).toBe(true);
    expect(scheduler.unschedule('long')).toBe(false);
    expect(scheduler.stats()).toMatchObject({ jobs: 0, running: 1, queued: 0 });
    expect(clock.pendingTimers).toBe(1); // only the job's own sleep
    await clock.advance(5_000);
    expect(finished).toBe(1);
    expect(runs).toHaveLength(1);
    const again = recorder(clock, 'long');
    scheduler.schedule(again.job, every('1s', { splay: false }));
    await clock.advance(0);
    expect(again.runs).toHaveLength(1);
  });

  it('stop() waits for running jobs, drops runs waiting for a slot, and is idempotent', async () => {
    const clock = createFakeClock(START);
    const scheduler = createScheduler({ clock, concurrency: 1 });
    const running = recorder(clock, 'running', { durationMs: 5_000 });
    const waiting = recorder(clock, 'waiting');
    scheduler.schedule(running.job, every('1s', { splay: false }));
    scheduler.schedule(waiting.job, every('1s', { splay: false }));
    scheduler.start();
    await clock.advance(100);
    expect(scheduler.stats()).toMatchObject({ running: 1, queued: 1 });
    let stopped = false;
    const stopping = scheduler.stop();
    void stopping.then(() => {
      stopped = true;
    });
    expect(scheduler.stop()).toBe(stopping);
    await clock.advance(4_000);
    expect(stopped).toBe(false);
    await clock.advance(1_000);
    expect(stopped).toBe(true);
    expect(running.runs).toHaveLength(1);
    expect(waiting.runs).toHaveLength(0);
    expect(scheduler.stats()).toMatchObject({ running: 0, queued: 0 });
    expect(scheduler.nextRunAt('running')).toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
  });

  it('after stop() refuses schedule() and start() with VIGIL_ERR_STATE', async () => {
    const scheduler = createScheduler({ clock: createFakeClock(START) });
    scheduler.start();
    await scheduler.stop();
    await scheduler.stop();
    const error = errorOf(() => scheduler.schedule({ id: 'late', run: () => {} }, every('1s')));
    expect(error.code).toBe('VIGIL_ERR_STATE');
    expect(error.message).toMatch(/^\[core\] scheduler: /);
    expect(errorOf(() => scheduler.start()).code).toBe('VIGIL_ERR_STATE');
  });

  it('copes with jobs that unschedule themselves or stop the scheduler from inside run', async () => {
    const clock = createFakeClock(START);
    const scheduler = createScheduler({ clock });
    let selfRuns = 0;
    let stopperRuns = 0;
    const bystander = recorder(clock, 'bystander');
    scheduler.schedule(
      {
        id: 'self',
        run: () => {
          selfRuns += 1;
          scheduler.unschedule('self');
        },
      },
      every('1s', { splay: false }),
    );
    scheduler.schedule(bystander.job, every('1s', { splay: false }));
    scheduler.schedule(
      {
        id: 'stopper',
        run: () => {
          stopperRuns += 1;
          if (stopperRuns === 2) void scheduler.stop();
        },
      },
      every('1s', { splay: false }),
    );
    scheduler.start();
    await clock.advance(5_000);
    expect(selfRuns).toBe(1);
    expect(stopperRuns).toBe(2);
    expect(bystander.runs).toHaveLength(2);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('createScheduler: errors', () => {
  it('hands throws and rejections to onError and keeps scheduling', async () => {
    const clock = createFakeClock(START);
    const reported: [string, string][] = [];
    const scheduler = createScheduler({
      clock,
      onError: (error, jobId) => reported.push([jobId, (error as Error).message]),
    });
    const healthy = recorder(clock, 'healthy');
    scheduler.schedule(
      {
        id: 'throws',
        run: () => {
          throw new Error('sync boom');
        },
      },
      every('1s', { splay: false }),
    );
    scheduler.schedule({ id: 'rejects', run: async () => Promise.reject(new Error('async boom')) }, every('1s', { splay: false }));
    scheduler.schedule(healthy.job, every('1s', { splay: false }));
    scheduler.start();
    await clock.advance(2_500);
    expect(healthy.runs).toHaveLength(3);
    expect(reported).toEqual([
      ['throws', 'sync boom'],
      ['rejects', 'async boom'],
      ['throws', 'sync boom'],
      ['rejects', 'async boom'],
      ['throws', 'sync boom'],
      ['rejects', 'async boom'],
    ]);
    expect(scheduler.stats().running).toBe(0);
  });

  it('survives an onError handler that throws', async () => {
    const clock = createFakeClock(START);
    const scheduler = createScheduler({
      clock,
      onError: () => {
        throw new Error('handler broken');
      },
    });
    const healthy = recorder(clock, 'healthy');
    scheduler.schedule({ id: 'bad', run: () => Promise.reject(new Error('x')) }, every('1s', { splay: false }));
    scheduler.schedule(healthy.job, every('1s', { splay: false }));
    scheduler.start();
    await clock.advance(2_500);
    expect(healthy.runs).toHaveLength(3);
  });

  it('rejects duplicate ids, malformed jobs and malformed triggers', () => {
    const scheduler = createScheduler({ clock: createFakeClock(START) });
    scheduler.schedule({ id: 'twin', run: () => {} }, every('1s'));
    const duplicate = errorOf(() => scheduler.schedule({ id: 'twin', run: () => {} }, every('2s')));
    expect(duplicate.code).toBe('VIGIL_ERR_SCHEDULER');
    expect(duplicate.message).toBe('[core] scheduler: a job with id "twin" is already scheduled');
    expect(errorOf(() => scheduler.schedule({ id: '', run: () => {} }, every('1s'))).message).toContain('job.id');
    expect(errorOf(() => scheduler.schedule({ id: 'x', run: () => {}, overlap: 'parallel' as 'skip' }, every('1s'))).message).toContain(
      'job.overlap: expected "skip" or "queue"',
    );
    expect(errorOf(() => scheduler.schedule(null as unknown as ScheduledJob, every('1s'))).message).toBe(
      '[core] scheduler: job: expected an object with id and run',
    );
    const badTrigger = errorOf(() => scheduler.schedule({ id: 'y', run: () => {} }, { type: 'every', intervalMs: -1, jitterMs: 0, splay: true }));
    expect(badTrigger.code).toBe('VIGIL_ERR_CONFIG');
    expect(badTrigger.message).toContain('trigger.intervalMs');
    const badCron = errorOf(() => scheduler.schedule({ id: 'z', run: () => {} }, { type: 'cron', expression: '99 * * * *' }));
    expect(badCron.code).toBe('VIGIL_ERR_CONFIG');
    expect(badCron.path).toBe('trigger.expression');
    expect(scheduler.stats().jobs).toBe(1);
  });
});

describe('createScheduler: scale', () => {
  it('holds 100,000 jobs and runs each exactly once in one interval', async () => {
    const clock = createFakeClock(START);
    const scheduler = createScheduler({ clock });
    const counts = new Uint8Array(100_000);
    let maxLag = 0;
    for (let index = 0; index < 100_000; index += 1) {
      scheduler.schedule(
        {
          id: `check-${index}`,
          run: (run) => {
            counts[index] = (counts[index] ?? 0) + 1;
            maxLag = Math.max(maxLag, run.lagMs);
          },
        },
        every('10s'),
      );
    }
    scheduler.start();
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(9_999);
    expect(counts.every((count) => count === 1)).toBe(true);
    expect(maxLag).toBe(0);
    expect(scheduler.stats()).toMatchObject({ jobs: 100_000, skipped: 0, missed: 0 });
  });
});

describe('createScheduler: busy jobs', () => {
  it('does not wake for every slot of a job that is still running, yet counts those slots as skipped', async () => {
    const clock = createFakeClock(Date.UTC(2026, 0, 1));
    let timersArmed = 0;
    const countingClock: Clock = {
      now: () => clock.now(),
      monotonicNow: () => clock.monotonicNow(),
      setTimeout: (callback, delayMs) => {
        timersArmed += 1;
        return clock.setTimeout(callback, delayMs);
      },
      clearTimeout: (handle) => clock.clearTimeout(handle),
    };
    const scheduler = createScheduler({ clock: countingClock });
    const runs: number[] = [];
    // Each run takes 1 s on a 10 ms interval: 99 slots pass while it runs.
    const slowRun = async (): Promise<void> => {
      runs.push(clock.monotonicNow());
      await sleep(clock, 1_000);
    };
    scheduler.schedule({ id: 'slow', run: slowRun }, every(10, { splay: false }));
    scheduler.start();
    await clock.advance(500);
    expect(scheduler.stats().skipped).toBe(50);
    await clock.advance(510);
    expect(runs).toEqual([0, 1_010]);
    expect(scheduler.stats().skipped).toBe(100);
    // A handful of timers (run sleeps and re-arming), not one per 10 ms slot.
    expect(timersArmed).toBeLessThan(10);
    const stoppingSlow = scheduler.stop();
    await clock.advance(1_000);
    await stoppingSlow;

    const queued = createScheduler({ clock });
    let queuedRuns = 0;
    const queuedRun = async (): Promise<void> => {
      queuedRuns += 1;
      await sleep(clock, 1_000);
    };
    queued.schedule({ id: 'queued', overlap: 'queue', run: queuedRun }, every(10, { splay: false }));
    queued.start();
    await clock.advance(2_001);
    // The first run, then the queued one right after it, then the next after that: back to back.
    expect(queuedRuns).toBe(3);
    const stopping = queued.stop();
    await clock.advance(1_000);
    await stopping;
  });
});
