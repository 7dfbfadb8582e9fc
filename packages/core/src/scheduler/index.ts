// The in-process scheduler: triggers, the timer heap and createScheduler. Explicit names only.
export { createScheduler } from './scheduler.js';
export type { SchedulerOptions } from './scheduler.js';
export { compileCron, cron, every, nextCronTime, splayOffset } from './triggers.js';
export type { CronSchedule, CronTriggerOptions, EveryTriggerOptions } from './triggers.js';
