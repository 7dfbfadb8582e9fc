import type { CronTrigger, ScheduledJob, Scheduler, SchedulerStats, Trigger } from '../contracts/scheduler.js';
import { VigilError, describeError } from '../errors/vigil-error.js';
import { type Clock, type TimerHandle, systemClock } from '../util/clock.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { TimerHeap, type TimerHeapItem } from './timer-heap.js';
import { type CronSchedule, assertValidTrigger, compileCron, splayOffset } from './triggers.js';

/** Options of {@link createScheduler}. */
export interface SchedulerOptions {
  /** Time source; default the system clock. Tests pass the fake clock from `@vigil/test-utils`. */
  clock?: Clock;
  /** Most runs in progress at once across all jobs (default unlimited). */
  concurrency?: number;
  /** Most runs in progress at once per `ScheduledJob.target` (default unlimited). */
  perTargetConcurrency?: number;
  /** Source of randomness for jitter, returning [0, 1); default `Math.random`. */
  random?: () => number;
  /** Receives whatever a job throws or rejects with; default writes one line to stderr. */
  onError?: (error: unknown, jobId: string) => void;
}

/** Node timers overflow above this delay and fire at once, so longer waits are split. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
/** While cron jobs exist, wake at least this often to notice wall-clock steps (NTP, manual changes). */
const CRON_CLOCK_CHECK_MS = 60_000;
/** A change of wall time against monotonic time beyond this counts as a clock step. */
const CLOCK_STEP_TOLERANCE_MS = 1_000;
/**
 * Every-trigger runs due less than this far ahead start now. Node timers tick in whole
 * milliseconds of a truncated loop clock, so waiting for a due time 0.3 ms away costs a full
 * extra timer turn (about 1 ms of lag). Cron runs never start early: their times are shown.
 */
const EARLY_START_TOLERANCE_MS = 1;
/** Missed cron slots counted one by one before we stop counting and jump ahead. */
const MAX_COUNTED_CRON_MISSES = 1_000;

/**
 * One registered job. A class rather than an object literal so every entry shares one compact
 * shape; at 100,000 jobs each field costs about a megabyte.
 */
class JobEntry implements TimerHeapItem {
  /** Monotonic ms at which the timer should start this job (slot plus jitter). */
  dueAt = 0;
  sequence = 0;
  heapIndex = -1;
  /** The slot without jitter: monotonic ms for every-triggers, epoch ms for cron triggers; NaN until first placed. */
  slotAt = Number.NaN;
  paused = false;
  removed = false;
  /** A run was handed out (waiting for a slot or running) and has not finished. */
  active = false;
  /** Monotonic due time of the one run waiting under the `queue` overlap policy; NaN when none. */
  pendingDueAt = Number.NaN;
  /**
   * Out of the heap while a run is unfinished and further due runs could only be skipped: the
   * scheduler does not wake for them, and counts them when the run finishes.
   */
  parked = false;

  constructor(
    readonly job: ScheduledJob,
    readonly trigger: Trigger,
    readonly cronSchedule: CronSchedule | undefined,
  ) {}
}

interface CachedCron {
  readonly schedule: CronSchedule;
  users: number;
}

function checkConcurrency(value: number | undefined, name: string): number {
  if (value === undefined || value === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new VigilError('VIGIL_ERR_CONFIG', `[core] config: ${name}: expected a whole number of at least 1 (or Infinity), got ${String(value)}`, {
      path: name,
    });
  }
  return value;
}

function checkJob(job: unknown): asserts job is ScheduledJob {
  const fail = (field: string, expected: string): never => {
    throw new VigilError('VIGIL_ERR_SCHEDULER', `[core] scheduler: ${field}: expected ${expected}`, { details: { field } });
  };
  if (typeof job !== 'object' || job === null) fail('job', 'an object with id and run');
  const candidate = job as Record<string, unknown>;
  if (typeof candidate.id !== 'string' || candidate.id === '') fail('job.id', 'a non-empty string');
  if (typeof candidate.run !== 'function') fail('job.run', 'a function');
  if (candidate.target !== undefined && typeof candidate.target !== 'string') fail('job.target', 'a string or undefined');
  if (candidate.overlap !== undefined && candidate.overlap !== 'skip' && candidate.overlap !== 'queue') fail('job.overlap', '"skip" or "queue"');
}

function defaultOnError(error: unknown, jobId: string): void {
  process.stderr.write(`[core] scheduler: job ${jobId} failed: ${describeError(error)}\n`);
}

/**
 * Creates the in-process scheduler: one min-heap of due times and a single clock timer for the
 * earliest one, however many jobs are registered.
 *
 * Timing model. Every-triggers run on a grid of slots `interval` apart, kept on the monotonic
 * clock so wall-clock steps neither stall nor burst them. With splay (the default) the grid is
 * offset by a hash of the job id from the epoch, so a job keeps its phase across restarts;
 * without splay the first slot is the moment the scheduler starts (or the job is scheduled).
 * The next slot always follows the previous slot, not the actual start, so there is no drift.
 * When the scheduler falls behind (event-loop stall, slow jobs holding every concurrency slot),
 * a late job runs once and slots that passed meanwhile are skipped and counted in
 * `stats().missed` rather than run in a burst. Cron triggers follow the wall clock. An
 * every-trigger run may start less than 1 ms before its slot (Node's timer granularity); its lag
 * is then 0.
 *
 * After `pause`, `unschedule` or `stop` return, no new run of the affected jobs starts; a run
 * already in progress finishes. Do not await `stop()` from inside a job: it waits for that job.
 */
export function createScheduler(options: SchedulerOptions = {}): Scheduler {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const onError = options.onError ?? defaultOnError;
  const concurrency = checkConcurrency(options.concurrency, 'concurrency');
  const perTargetConcurrency = checkConcurrency(options.perTargetConcurrency, 'perTargetConcurrency');

  const entries = new Map<string, JobEntry>();
  const heap = new TimerHeap<JobEntry>();
  const pausedEntries = new Set<JobEntry>();
  const pendingEntries = new Set<JobEntry>();
  const parkedEntries = new Set<JobEntry>();
  const cronCache = new Map<string, CachedCron>();
  /** Per-target limiters, created on demand and dropped when idle (100,000 targets must not cost 100,000 limiters). */
  const lanes = new Map<string, ConcurrencyLimiter>();
  const globalLimiter = Number.isFinite(concurrency) ? new ConcurrencyLimiter(concurrency) : undefined;

  let started = false;
  let stopped = false;
  let allPaused = false;
  let timer: TimerHandle | undefined;
  let timerDueAt = Number.NaN;
  let cronJobs = 0;
  let lastEpochOffset = Number.NaN;
  let waiting = 0;
  let running = 0;
  let inFlight = 0;
  let skipped = 0;
  let missed = 0;
  let stopPromise: Promise<void> | undefined;
  let resolveStop: (() => void) | undefined;

  const reportError = (error: unknown, jobId: string): void => {
    try {
      onError(error, jobId);
    } catch {
      // The error handler must not be able to break the scheduler either.
    }
  };

  const jitterOf = (entry: JobEntry): number => {
    const trigger = entry.trigger;
    if (trigger.type !== 'every' || trigger.jitterMs <= 0) return 0;
    const value = random();
    const unit = value >= 0 && value < 1 ? value : 0;
    return Math.floor(unit * trigger.jitterMs);
  };

  const acquireCron = (trigger: CronTrigger): CronSchedule => {
    const key = `${trigger.timezone ?? ''}\u0000${trigger.expression}`;
    let cached = cronCache.get(key);
    if (cached === undefined) {
      cached = { schedule: compileCron(trigger), users: 0 };
      cronCache.set(key, cached);
    }
    cached.users += 1;
    return cached.schedule;
  };

  const releaseCron = (trigger: CronTrigger): void => {
    const key = `${trigger.timezone ?? ''}\u0000${trigger.expression}`;
    const cached = cronCache.get(key);
    if (cached === undefined) return;
    cached.users -= 1;
    if (cached.users <= 0) cronCache.delete(key);
  };

  /** Converts a wall-clock instant into the monotonic time the heap is keyed on. */
  const monotonicAt = (epochMs: number, epochNow: number, monotonicNow: number): number => monotonicNow + (epochMs - epochNow);

  /** Sets the entry's slot and due time; returns false when the trigger will never fire again. */
  const placeAt = (entry: JobEntry, slotAt: number, epochNow: number, monotonicNow: number): boolean => {
    entry.slotAt = slotAt;
    if (entry.trigger.type === 'every') {
      entry.dueAt = slotAt + jitterOf(entry);
    } else {
      entry.dueAt = monotonicAt(slotAt, epochNow, monotonicNow);
    }
    return true;
  };

  /** The first slot at or after now, for a job that is just starting. */
  const placeFirst = (entry: JobEntry, epochNow: number, monotonicNow: number): boolean => {
    const trigger = entry.trigger;
    if (trigger.type === 'every') {
      if (!trigger.splay) return placeAt(entry, monotonicNow, epochNow, monotonicNow);
      const offset = splayOffset(entry.job.id, trigger.intervalMs);
      const wait = (((offset - epochNow) % trigger.intervalMs) + trigger.intervalMs) % trigger.intervalMs;
      return placeAt(entry, monotonicNow + wait, epochNow, monotonicNow);
    }
    return placeCronAfter(entry, epochNow - 1, epochNow, monotonicNow);
  };

  const placeCronAfter = (entry: JobEntry, afterEpochMs: number, epochNow: number, monotonicNow: number): boolean => {
    const next = (entry.cronSchedule as CronSchedule).next(afterEpochMs);
    if (next === undefined) return false;
    return placeAt(entry, next, epochNow, monotonicNow);
  };

  /** The first slot of the job's own grid at or after now, for a job coming back from a pause. */
  const placeOnGrid = (entry: JobEntry, epochNow: number, monotonicNow: number): boolean => {
    const trigger = entry.trigger;
    // A job paused before start() has no grid yet.
    if (Number.isNaN(entry.slotAt)) return placeFirst(entry, epochNow, monotonicNow);
    if (trigger.type === 'every') {
      if (entry.slotAt >= monotonicNow) return placeAt(entry, entry.slotAt, epochNow, monotonicNow);
      const steps = Math.ceil((monotonicNow - entry.slotAt) / trigger.intervalMs);
      return placeAt(entry, entry.slotAt + steps * trigger.intervalMs, epochNow, monotonicNow);
    }
    return placeCronAfter(entry, epochNow - 1, epochNow, monotonicNow);
  };

  /** Moves a job that just came due to its next slot after now, counting slots that passed. */
  const advance = (entry: JobEntry, epochNow: number, monotonicNow: number): boolean => {
    const trigger = entry.trigger;
    if (trigger.type === 'every') {
      // At least one step: a run may start a fraction of a millisecond before its slot.
      let steps = Math.max(1, Math.floor((monotonicNow - entry.slotAt) / trigger.intervalMs) + 1);
      if (entry.slotAt + steps * trigger.intervalMs <= monotonicNow) steps += 1; // floating-point guard
      missed += steps - 1;
      return placeAt(entry, entry.slotAt + steps * trigger.intervalMs, epochNow, monotonicNow);
    }
    const schedule = entry.cronSchedule as CronSchedule;
    let next = schedule.next(entry.slotAt);
    let counted = 0;
    while (next !== undefined && next <= epochNow && counted < MAX_COUNTED_CRON_MISSES) {
      counted += 1;
      next = schedule.next(next);
    }
    if (next !== undefined && next <= epochNow) next = schedule.next(epochNow);
    missed += counted;
    if (next === undefined) return false;
    return placeAt(entry, next, epochNow, monotonicNow);
  };

  const disarm = (): void => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    timerDueAt = Number.NaN;
  };

  /** Points the single clock timer at the earliest due time. */
  const arm = (): void => {
    const first = heap.peek();
    if (!started || stopped || allPaused || first === undefined) {
      disarm();
      return;
    }
    if (timer !== undefined && timerDueAt === first.dueAt) return;
    disarm();
    const monotonicNow = clock.monotonicNow();
    let delay = Math.max(0, first.dueAt - monotonicNow);
    if (cronJobs > 0) delay = Math.min(delay, CRON_CLOCK_CHECK_MS);
    timerDueAt = first.dueAt;
    timer = clock.setTimeout(onTimer, Math.min(delay, MAX_TIMER_DELAY_MS));
  };

  /** Re-keys cron jobs after the wall clock jumped against the monotonic clock. */
  const realignCron = (epochNow: number, monotonicNow: number): void => {
    for (const entry of entries.values()) {
      if (entry.trigger.type !== 'cron' || !heap.has(entry)) continue;
      heap.update(entry, monotonicAt(entry.slotAt, epochNow, monotonicNow));
    }
  };

  /** Puts a parked job back on its grid, counting the slots that passed while it ran as skipped. */
  const unpark = (entry: JobEntry): void => {
    entry.parked = false;
    parkedEntries.delete(entry);
    if (stopped || entry.removed || entry.paused) return;
    const monotonicNow = clock.monotonicNow();
    const epochNow = clock.now();
    const trigger = entry.trigger;
    let placed = true;
    try {
      if (trigger.type === 'every') {
        if (entry.slotAt <= monotonicNow) {
          const passed = Math.floor((monotonicNow - entry.slotAt) / trigger.intervalMs) + 1;
          skipped += passed;
          placed = placeAt(entry, entry.slotAt + passed * trigger.intervalMs, epochNow, monotonicNow);
        }
      } else if (entry.slotAt <= epochNow) {
        const schedule = entry.cronSchedule as CronSchedule;
        let next: number | undefined = entry.slotAt;
        let counted = 0;
        while (next !== undefined && next <= epochNow && counted < MAX_COUNTED_CRON_MISSES) {
          counted += 1;
          next = schedule.next(next);
        }
        skipped += counted;
        placed = placeCronAfter(entry, epochNow, epochNow, monotonicNow);
      }
    } catch (error) {
      placed = false;
      reportError(error, entry.job.id);
    }
    if (placed) {
      heap.push(entry, entry.dueAt);
      arm();
    }
  };

  const finish = (entry: JobEntry): void => {
    entry.active = false;
    inFlight -= 1;
    if (pendingEntries.delete(entry)) {
      const pendingDueAt = entry.pendingDueAt;
      entry.pendingDueAt = Number.NaN;
      if (!stopped && !allPaused && !entry.paused && !entry.removed) {
        launch(entry, Math.round(pendingDueAt + clock.now() - clock.monotonicNow()), pendingDueAt);
      }
    }
    if (entry.parked) unpark(entry);
    if (inFlight === 0 && resolveStop !== undefined) {
      resolveStop();
      resolveStop = undefined;
    }
  };

  /**
   * Starts the job once it holds its concurrency slots. `scheduledAt` is the intended epoch ms
   * and `dueMonotonic` the same instant on the monotonic clock, for an exact lag. Returns a
   * promise only when the job returned one, so synchronous jobs allocate no promises. Never
   * throws or rejects.
   */
  const execute = (entry: JobEntry, scheduledAt: number, dueMonotonic: number): PromiseLike<void> | undefined => {
    if (stopped || allPaused || entry.paused || entry.removed) return undefined;
    const lagMs = Math.max(0, clock.monotonicNow() - dueMonotonic);
    running += 1;
    let result: unknown;
    try {
      result = entry.job.run({ scheduledAt, startedAt: scheduledAt + lagMs, lagMs });
    } catch (error) {
      running -= 1;
      reportError(error, entry.job.id);
      return undefined;
    }
    if (typeof (result as PromiseLike<void> | undefined)?.then !== 'function') {
      running -= 1;
      return undefined;
    }
    return Promise.resolve(result).then(
      () => {
        running -= 1;
      },
      (error: unknown) => {
        running -= 1;
        reportError(error, entry.job.id);
      },
    );
  };

  /** Hands a run to the concurrency limits (or straight to the job when there are none). */
  function launch(entry: JobEntry, scheduledAt: number, dueMonotonic: number): void {
    entry.active = true;
    inFlight += 1;
    const target = entry.job.target;
    let lane: ConcurrencyLimiter | undefined;
    if (target !== undefined && Number.isFinite(perTargetConcurrency)) {
      lane = lanes.get(target);
      if (lane === undefined) {
        lane = new ConcurrencyLimiter(perTargetConcurrency);
        lanes.set(target, lane);
      }
    }
    if (lane === undefined && globalLimiter === undefined) {
      const pending = execute(entry, scheduledAt, dueMonotonic);
      if (pending === undefined) finish(entry);
      else pending.then(() => finish(entry));
      return;
    }
    const heldLane = lane;
    const done = (): void => {
      globalLimiter?.release();
      if (heldLane !== undefined) {
        heldLane.release();
        if (heldLane.active === 0 && heldLane.waiting === 0 && lanes.get(target as string) === heldLane) lanes.delete(target as string);
      }
      finish(entry);
    };
    const start = (): void => {
      waiting -= 1;
      const pending = execute(entry, scheduledAt, dueMonotonic);
      if (pending === undefined) done();
      else pending.then(done);
    };
    // The target slot is taken first: holding a global slot while waiting for a busy target
    // would idle capacity that other targets could use.
    const acquireGlobal = globalLimiter === undefined ? start : (): void => globalLimiter.acquire(start);
    waiting += 1;
    if (heldLane === undefined) acquireGlobal();
    else heldLane.acquire(acquireGlobal);
  }

  /**
   * A run came due: start it, or apply the overlap policy when the previous run is unfinished.
   * Returns true when the run was queued or skipped: later due runs could only be skipped too.
   */
  const dispatch = (entry: JobEntry, scheduledAt: number, dueMonotonic: number): boolean => {
    if (!entry.active) {
      launch(entry, scheduledAt, dueMonotonic);
      return false;
    }
    if (entry.job.overlap === 'queue' && !pendingEntries.has(entry)) {
      entry.pendingDueAt = dueMonotonic;
      pendingEntries.add(entry);
      return true;
    }
    skipped += 1;
    return true;
  };

  const isDue = (entry: JobEntry, monotonicNow: number): boolean =>
    entry.dueAt <= monotonicNow || (entry.trigger.type === 'every' && entry.dueAt - monotonicNow < EARLY_START_TOLERANCE_MS);

  function onTimer(): void {
    timer = undefined;
    timerDueAt = Number.NaN;
    if (!started || stopped || allPaused) return;
    const monotonicNow = clock.monotonicNow();
    const epochNow = clock.now();
    const epochOffset = epochNow - monotonicNow;
    if (cronJobs > 0 && Math.abs(epochOffset - lastEpochOffset) > CLOCK_STEP_TOLERANCE_MS) realignCron(epochNow, monotonicNow);
    lastEpochOffset = epochOffset;
    // Only jobs due by this snapshot run in this turn, so a tiny interval cannot starve the event loop.
    for (let first = heap.peek(); first !== undefined && isDue(first, monotonicNow); first = heap.peek()) {
      const entry = first;
      const dueMonotonic = entry.dueAt;
      const scheduledAt =
        entry.trigger.type === 'cron' ? entry.slotAt : Math.round(dueMonotonic + epochOffset);
      let placed: boolean;
      try {
        placed = advance(entry, epochNow, monotonicNow);
      } catch (error) {
        placed = false;
        reportError(error, entry.job.id);
      }
      if (placed) heap.update(entry, entry.dueAt);
      else heap.remove(entry);
      // A busy job leaves the heap until its run finishes, instead of waking us for every slot.
      if (dispatch(entry, scheduledAt, dueMonotonic) && placed && entry.active && heap.remove(entry)) {
        entry.parked = true;
        parkedEntries.add(entry);
      }
      // A job's synchronous part may have stopped or paused the scheduler.
      if (stopped || allPaused) return;
    }
    arm();
  }

  const findEntry = (jobId: string): JobEntry => {
    const entry = entries.get(jobId);
    if (entry === undefined) {
      throw new VigilError('VIGIL_ERR_SCHEDULER', `[core] scheduler: no job with id ${JSON.stringify(jobId)}`, { details: { jobId } });
    }
    return entry;
  };

  const dropPending = (entry: JobEntry): void => {
    if (pendingEntries.delete(entry)) entry.pendingDueAt = Number.NaN;
  };

  return {
    schedule(job: ScheduledJob, trigger: Trigger): void {
      if (stopped) throw new VigilError('VIGIL_ERR_STATE', '[core] scheduler: schedule() after stop()');
      checkJob(job);
      assertValidTrigger(trigger);
      if (entries.has(job.id)) {
        throw new VigilError('VIGIL_ERR_SCHEDULER', `[core] scheduler: a job with id ${JSON.stringify(job.id)} is already scheduled`, {
          details: { jobId: job.id },
        });
      }
      const cronSchedule = trigger.type === 'cron' ? acquireCron(trigger) : undefined;
      const entry = new JobEntry(job, trigger, cronSchedule);
      entries.set(job.id, entry);
      if (trigger.type === 'cron') cronJobs += 1;
      if (!started) return;
      const monotonicNow = clock.monotonicNow();
      if (placeFirst(entry, clock.now(), monotonicNow)) heap.push(entry, entry.dueAt);
      arm();
    },

    unschedule(jobId: string): boolean {
      const entry = entries.get(jobId);
      if (entry === undefined) return false;
      entries.delete(jobId);
      entry.removed = true;
      pausedEntries.delete(entry);
      parkedEntries.delete(entry);
      dropPending(entry);
      if (entry.trigger.type === 'cron') {
        cronJobs -= 1;
        releaseCron(entry.trigger);
      }
      if (heap.remove(entry)) arm();
      return true;
    },

    pause(jobId?: string): void {
      if (jobId === undefined) {
        allPaused = true;
        for (const entry of pendingEntries) entry.pendingDueAt = Number.NaN;
        pendingEntries.clear();
        disarm();
        return;
      }
      const entry = findEntry(jobId);
      if (entry.paused) return;
      entry.paused = true;
      pausedEntries.add(entry);
      dropPending(entry);
      if (heap.remove(entry)) arm();
    },

    resume(jobId?: string): void {
      const resumed: JobEntry[] = [];
      let wasAllPaused = false;
      if (jobId === undefined) {
        resumed.push(...pausedEntries);
        pausedEntries.clear();
        wasAllPaused = allPaused;
        allPaused = false;
      } else {
        const entry = findEntry(jobId);
        if (!entry.paused) return;
        pausedEntries.delete(entry);
        resumed.push(entry);
      }
      for (const entry of resumed) entry.paused = false;
      if (!started || stopped) return;
      const monotonicNow = clock.monotonicNow();
      const epochNow = clock.now();
      if (wasAllPaused) {
        // Runs that fell due during a deliberate pause are not late, so they move to their next slot.
        const stale: JobEntry[] = [];
        for (const entry of entries.values()) if (heap.has(entry) && entry.dueAt < monotonicNow) stale.push(entry);
        for (const entry of stale) heap.remove(entry);
        resumed.push(...stale);
      }
      for (const entry of resumed) {
        let placed = false;
        try {
          placed = placeOnGrid(entry, epochNow, monotonicNow);
        } catch (error) {
          reportError(error, entry.job.id);
        }
        if (placed) heap.push(entry, entry.dueAt);
      }
      arm();
    },

    start(): void {
      if (stopped) throw new VigilError('VIGIL_ERR_STATE', '[core] scheduler: start() after stop()');
      if (started) return;
      started = true;
      const monotonicNow = clock.monotonicNow();
      const epochNow = clock.now();
      lastEpochOffset = epochNow - monotonicNow;
      const placed: JobEntry[] = [];
      for (const entry of entries.values()) {
        if (entry.paused) continue;
        try {
          if (placeFirst(entry, epochNow, monotonicNow)) placed.push(entry);
        } catch (error) {
          reportError(error, entry.job.id);
        }
      }
      heap.pushAll(placed);
      arm();
    },

    stop(): Promise<void> {
      if (stopPromise !== undefined) return stopPromise;
      stopped = true;
      disarm();
      heap.clear();
      parkedEntries.clear();
      for (const entry of pendingEntries) entry.pendingDueAt = Number.NaN;
      pendingEntries.clear();
      stopPromise =
        inFlight === 0
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              resolveStop = resolve;
            });
      return stopPromise;
    },

    nextRunAt(jobId: string): number | undefined {
      const entry = entries.get(jobId);
      if (entry === undefined || !started || stopped || allPaused || !heap.has(entry)) return undefined;
      if (entry.trigger.type === 'cron') return entry.slotAt;
      return Math.round(entry.dueAt + (clock.now() - clock.monotonicNow()));
    },

    stats(): SchedulerStats {
      // Slots that passed while a job was parked are counted when it finishes; include them now.
      let parkedSkips = 0;
      if (parkedEntries.size > 0) {
        const monotonicNow = clock.monotonicNow();
        const epochNow = clock.now();
        for (const entry of parkedEntries) {
          if (entry.trigger.type === 'every') {
            if (entry.slotAt <= monotonicNow) parkedSkips += Math.floor((monotonicNow - entry.slotAt) / entry.trigger.intervalMs) + 1;
          } else if (entry.slotAt <= epochNow) parkedSkips += 1;
        }
      }
      return { jobs: entries.size, running, queued: waiting + pendingEntries.size, skipped: skipped + parkedSkips, missed };
    },
  };
}
