// @vigil/test-utils public API. Explicit names only, grouped by area.

// --- fake clock ---
export { createFakeClock, flushMicrotasks } from './fake-clock.js';
export type { FakeClock } from './fake-clock.js';

// --- local servers (src/servers) ---

// --- conformance suites (src/conformance) ---
export { testCheck } from './conformance/check.js';
export type { CheckConformanceFixture, CheckConformanceOptions } from './conformance/check.js';
export { createTestCheckContext } from './conformance/check-context.js';
export type { RecordedMetric, TestCheckContextOptions } from './conformance/check-context.js';
export { testSink } from './conformance/sink.js';
export type { SinkConformanceFixture, SinkConformanceOptions } from './conformance/sink.js';
export { testNotifier } from './conformance/notifier.js';
export type { NotifierConformanceFixture, NotifierConformanceOptions } from './conformance/notifier.js';
export { expectConfigError, expectValidPlugin, settlesWithin } from './conformance/meta.js';
export { sampleAlertRecord, sampleNotification, sampleResultRecord, sampleSnapshotRecord } from './samples.js';

// --- in-memory sink (src/memory-sink.ts) ---
export { createMemorySink } from './memory-sink.js';
export type { MemorySink, MemorySinkBehaviour, MemorySinkOptions } from './memory-sink.js';
export { createMemoryNotifier } from './memory-notifier.js';
export type { MemoryNotifier, MemoryNotifierBehaviour } from './memory-notifier.js';
