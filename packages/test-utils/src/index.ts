// @vigil/test-utils public API. Explicit names only, grouped by area.

// --- fake clock ---
export { createFakeClock, flushMicrotasks } from './fake-clock.js';
export type { FakeClock } from './fake-clock.js';

// --- local servers (src/servers) ---

// --- conformance suites (src/conformance) ---

// --- in-memory sink (src/memory-sink.ts) ---
