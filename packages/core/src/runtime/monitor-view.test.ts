import { describe, expect, it } from 'vitest';
import { createFakeClock, createMemoryNotifier, createMemorySink } from '@vigil/test-utils';
import type { Check } from '../contracts/check.js';
import type { MonitorView } from '../contracts/sink.js';
import type { Logger } from '../util/logger.js';
import { createMonitor } from './monitor.js';

const upCheck: Check = {
  specificationVersion: 'v1',
  meta: { name: 'test', kind: 'check', type: 'fixed', coreRange: '^0.1.0' },
  target: 'fixed',
  async run() {
    return { status: 'up', reason: 'ok', durationMs: 1 };
  },
};

describe('Sink.bindMonitor', () => {
  it('gives each sink that asks a live, read-only view of the monitor stats', async () => {
    const clock = createFakeClock();
    const views: MonitorView[] = [];
    const watching = Object.assign(createMemorySink(), { bindMonitor: (view: MonitorView) => views.push(view) });
    const plain = createMemorySink();
    const monitor = createMonitor({ clock, sinks: [{ id: 'watching', plugin: watching }, { id: 'plain', plugin: plain }], checks: [{ id: 'a', check: upCheck, interval: '1s', splay: false }] });
    expect(views).toHaveLength(1);
    const view = views[0] as MonitorView;
    expect(Object.isFrozen(view)).toBe(true);
    expect(view.stats().results).toBe(0);
    await monitor.runOnce('a');
    await monitor.runOnce('a');
    // The view reads the same numbers as monitor.stats(), including every sink's queue.
    expect(view.stats().results).toBe(2);
    expect(view.stats().sinks.plain?.queued).toBe(2);
    expect(Object.keys(view.stats().sinks)).toEqual(['watching', 'plain']);
    await monitor.stop();
  });

  it('reports a bindMonitor that throws and still creates the monitor', () => {
    const errors: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error: (message, fields) => errors.push(`${message} ${String(fields?.where)}`), child: () => logger };
    const broken = Object.assign(createMemorySink(), {
      bindMonitor() {
        throw new Error('boom');
      },
    });
    const monitor = createMonitor({ logger, sinks: [{ id: 'broken', plugin: broken }] });
    expect(monitor.stats().sinks.broken).toBeDefined();
    expect(errors).toEqual(['monitor error bindMonitor of sink broken']);
  });
});

describe('Notifier.bindMonitor and start', () => {
  it('binds notifiers to a view that reads checks (with tags), runs them and reaches the alert manager, and starts them with the monitor', async () => {
    const clock = createFakeClock();
    const views: MonitorView[] = [];
    let starts = 0;
    const notifier = Object.assign(createMemoryNotifier(), {
      bindMonitor: (view: MonitorView) => views.push(view),
      start: async () => {
        starts += 1;
      },
    });
    const monitor = createMonitor({ clock, notifiers: [notifier], checks: [{ id: 'a', check: upCheck, interval: '1m', tags: { category: 'web' } }] });
    expect(views).toHaveLength(1);
    const view = views[0] as MonitorView;
    expect(view.checks()).toEqual([expect.objectContaining({ id: 'a', tags: { category: 'web' }, last: undefined })]);
    expect(starts).toBe(0);
    await monitor.start();
    expect(starts).toBe(1);
    const record = await view.runOnce('a');
    expect(record.status).toBe('up');
    expect(view.checks()[0]?.last?.status).toBe('up');
    expect(view.alerts.alerts()).toEqual([]);
    expect(view.metrics.get('a')?.stats('all').count).toBe(1);
    await monitor.stop();
  });
});
