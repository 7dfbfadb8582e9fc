import { afterAll, afterEach } from 'vitest';

/** Something a test opens and must close again: a server, a proxy, a check with connections. */
export interface Closable {
  close(): Promise<void>;
}

/** Where a test file registers what to close when its tests end. */
export interface TestCleanups {
  /** Closes `resource` when the tests end; returns it, so `closeLater(await startTcpServer())` reads as one step. */
  closeLater<T extends Closable>(resource: T): T;
  /** Runs `cleanup` when the tests end. */
  defer(cleanup: () => Promise<void> | void): void;
}

function createCleanups(cleanups: Array<() => Promise<void> | void>): TestCleanups {
  return {
    closeLater(resource) {
      cleanups.push(() => resource.close());
      return resource;
    },
    defer(cleanup) {
      cleanups.push(cleanup);
    },
  };
}

/**
 * Closes what each test registered when it ends, last registered first (a proxy before the server
 * behind it). Call once at the top of a test file: it registers a vitest `afterEach` hook.
 */
export function cleanupAfterEach(): TestCleanups {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return createCleanups(cleanups);
}

/**
 * Closes everything the file's tests registered, all at once, after the last test (servers that
 * several tests share). Call once at the top of a test file: it registers a vitest `afterAll` hook.
 */
export function cleanupAfterAll(): TestCleanups {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  });
  return createCleanups(cleanups);
}
