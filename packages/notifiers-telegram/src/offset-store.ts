import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** Where the bot keeps the next getUpdates offset, so a restart never handles an update twice. */
export interface OffsetStore {
  readonly file: string;
  /** The saved offset, or undefined when there is none (or it is unreadable). */
  load(): Promise<number | undefined>;
  /** Saves atomically (write, fsync, rename): after a crash the file holds the old or the new offset, never a torn one. */
  save(offset: number): Promise<void>;
}

/** An offset file `telegram-<bot id>.offset.json` in `directory` (created when missing, mode 0700). */
export function createOffsetStore(directory: string, botId: string): OffsetStore {
  const file = path.join(directory, `telegram-${botId}.offset.json`);
  let ensured = false;
  return {
    file,
    async load() {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        return undefined;
      }
      try {
        const value = (JSON.parse(text) as { offset?: unknown }).offset;
        return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
      } catch {
        return undefined;
      }
    },
    async save(offset) {
      if (!ensured) {
        await mkdir(directory, { recursive: true, mode: 0o700 });
        ensured = true;
      }
      const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
      const handle = await open(temporary, 'w', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify({ offset, savedAt: new Date().toISOString() })}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        await rename(temporary, file);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
    },
  };
}
