/** Runs every `intervalMs`, offset by a deterministic per-job splay and an optional random jitter. */
export interface EveryTrigger {
  readonly type: 'every';
  readonly intervalMs: number;
  /** Up to this many milliseconds of random delay added to each run. */
  readonly jitterMs: number;
  /** Spread first runs over the interval by a hash of the job id (default true). */
  readonly splay: boolean;
}

/** Runs at the times a cron expression names (5 or 6 fields, optional seconds). */
export interface CronTrigger {
  readonly type: 'cron';
  readonly expression: string;
  /** IANA time zone, e.g. `Europe/Berlin`; default the process's. */
  readonly timezone?: string;
}

export type Trigger = EveryTrigger | CronTrigger;

/** Facts about one run, handed to the job. */
export interface JobRun {
  /** Epoch ms the trigger intended. */
  readonly scheduledAt: number;
  /** Epoch ms the job actually started (after waiting for a concurrency slot). */
  readonly startedAt: number;
  /**
   * `startedAt - scheduledAt`: how late the run started, including time spent waiting for a
   * concurrency slot or for the previous run (overlap `queue`). Measured on the monotonic clock,
   * so it has sub-millisecond resolution and ignores wall-clock steps.
   */
  readonly lagMs: number;
}

export interface ScheduledJob {
  readonly id: string;
  /** Jobs with the same target share the per-target concurrency limit. */
  readonly target?: string;
  /** What happens when a run is due while the previous one still runs; default `skip`. */
  readonly overlap?: 'skip' | 'queue';
  run(run: JobRun): Promise<void> | void;
}

export interface SchedulerStats {
  readonly jobs: number;
  readonly running: number;
  /** Runs waiting to start: for a concurrency slot, or behind their own previous run (`queue`). */
  readonly queued: number;
  /** Runs dropped because the previous run was unfinished (`skip`, or a second run under `queue`). */
  readonly skipped: number;
  /** Slots passed over because the scheduler was late (event-loop stall); not counted while paused. */
  readonly missed: number;
}

/**
 * Decides when jobs run. One timer structure for all jobs; jobs never overlap themselves.
 * `stop()` stops triggering and resolves when running jobs finish. Idempotent.
 */
export interface Scheduler {
  /** Registers a job; throws on a duplicate id, an invalid trigger, or after `stop()`. */
  schedule(job: ScheduledJob, trigger: Trigger): void;
  /** Removes a job; false when no such job. A run in progress finishes; no new run starts. */
  unschedule(jobId: string): boolean;
  /** Pauses one job, or all when no id is given. A run in progress finishes; no new run starts. */
  pause(jobId?: string): void;
  /** Resumes one job, or all (including individually paused ones) when no id is given. */
  resume(jobId?: string): void;
  start(): void;
  stop(): Promise<void>;
  /** Epoch ms of the job's next run, if scheduled. */
  nextRunAt(jobId: string): number | undefined;
  stats(): SchedulerStats;
}
