import type { SinkRecord } from '../contracts/sink.js';

/**
 * Overflow storage behind a sink's in-memory queue (e.g. an on-disk file spool that survives a
 * restart). Records come out in the order they went in. Implementations bound their size and
 * count what they had to discard.
 */
export interface Spool {
  /** Appends records at the tail. */
  append(records: readonly SinkRecord[]): Promise<void>;
  /** Reads up to `max` records from the head without removing them. */
  peek(max: number): Promise<SinkRecord[]>;
  /** Removes `count` records from the head (after they were moved to the memory queue). */
  remove(count: number): Promise<void>;
  /** Records currently stored. */
  size(): number;
  /** Records discarded because the spool was full. */
  dropped(): number;
  close(): Promise<void>;
}
