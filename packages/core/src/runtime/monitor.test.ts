import { describe, expect, it } from 'vitest';
import { createFakeClock, createMemoryNotifier, createMemorySink, flushMicrotasks } from '@vigil/test-utils';
import type { Check, CheckContext } from '../contracts/check.js';
import type { CheckResult, ResultRecord } from '../contracts/result.js';
import { consecutiveFailures } from '../alerts/consecutive-failures.js';
import { predicate } from '../alerts/predicate.js';
import { VigilError } from '../errors/vigil-error.js';
import { decodeSnapshot } from '../metrics/index.js';
import { createMonitor } from './monitor.js';

type Behaviour = (context: CheckContext) => Promise<CheckResult> | CheckResult;

/** A check whose behaviour the test scripts run by run (the contract allows any implementation). */
function scriptedCheck(behaviours: Behaviour[], fallback: Behaviour = () => ({ status: 'up', reason: 'ok', durationMs: 5 })) {
  let calls = 0;
  let concurrent = 0;
  let maxConcurrent = 0;
  let shutdowns = 0;
  const check: Check & { readonly calls: number; readonly maxConcurrent: number; readonly shutdowns: number } = {
    specificationVersion: 'v1',
    meta: { name: '@example/scripted', kind: 'check', type: 'scripted', coreRange: '^0.1.0' },
    target: 'scripted:1',
    get calls() {
      return calls;
    },
    get maxConcurrent() {
      return maxConcurrent;
    },
    get shutdowns() {
      return shutdowns;
    },
    async run(context) {
      const behaviour = behaviours[calls] ?? fallback;
      calls += 1;
      concurrent += 1;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      try {
        return await behaviour(context);
      } finally {
        concurrent -= 1;
      }
    },
    async shutdown() {
      shutdowns += 1;
    },
  };
  return check;
}

const up: Behaviour = () => ({ status: 'up', reason: 'ok', durationMs: 5 });
const down: Behaviour = () => ({ status: 'down', reason: 'connection_refused', message: 'refused' });
const waitForAbort: Behaviour = (context) =>
  new Promise((resolve) => context.signal.addEventListener('abort', () => resolve({ status: 'down', reason: 'timeout', message: 'silent' }), { once: true }));
const neverSettles: Behaviour = () => new Promise<CheckResult>(() => {});

function results(sink: ReturnType<typeof createMemorySink>): ResultRecord[] {
  return sink.records.filter((record): record is ResultRecord => record.type === 'result');
}

describe('createMonitor', () => {
  it('runs checks on their interval and writes results, lag series and snapshots to sinks', async () => {
    const clock = createFakeClock(Date.UTC(2026, 0, 1, 0, 0, 30));
    const sink = createMemorySink();
    const check = scriptedCheck([]);
    const monitor = createMonitor({ clock, sinks: [sink], checks: [{ id: 'web', check, interval: '10s', splay: false, tags: { env: 'test' } }] });
    const seen: ResultRecord[] = [];
    monitor.on('check:result', (record) => seen.push(record));
    await monitor.start();
    await clock.advance(35_000);
    expect(check.calls).toBeGreaterThanOrEqual(3);
    expect(seen.every((record) => record.checkId === 'web' && record.tags.env === 'test' && record.status === 'up')).toBe(true);
    expect(monitor.metrics.get('web')?.stats('all').count).toBe(check.calls);
    expect(monitor.metrics.get('web/lag')?.stats('all').count).toBe(check.calls);
    await monitor.stop();
    expect(results(sink)).toHaveLength(check.calls);
    const snapshots = sink.records.filter((record) => record.type === 'snapshot' && record.metric === 'duration');
    const total = snapshots.reduce((sum, record) => sum + (record.type === 'snapshot' ? decodeSnapshot(record.histogram).totalCount : 0), 0);
    expect(total).toBe(check.calls);
  });

  it('records a throwing check as unknown/check_threw and keeps running', async () => {
    const clock = createFakeClock();
    const sink = createMemorySink();
    const check = scriptedCheck([
      () => {
        throw new Error('boom with token bot123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ');
      },
    ]);
    const monitor = createMonitor({ clock, sinks: [sink], checks: [{ id: 'crashy', check, interval: '1s', splay: false }] });
    const faults: string[] = [];
    monitor.on('check:fault', (event) => faults.push(`${event.fault}:${event.error}`));
    await monitor.start();
    await clock.advance(2_500);
    await monitor.stop();
    const [first, second] = results(sink);
    expect(first).toMatchObject({ status: 'unknown', reason: 'check_threw' });
    expect(first?.message).toContain('boom');
    expect(first?.message).not.toContain('ABCDEFGHIJKLMNOPQRSTUVWXYZ');
    expect(second).toMatchObject({ status: 'up', reason: 'ok' });
    expect(faults[0]).toMatch(/^threw:/);
  });

  it('records garbage as unknown/invalid_result and keeps running', async () => {
    const clock = createFakeClock();
    const sink = createMemorySink();
    const check = scriptedCheck([() => ({ status: 'fine', reason: 'ok' }) as unknown as CheckResult, () => 42 as unknown as CheckResult]);
    const monitor = createMonitor({ clock, sinks: [sink], checks: [{ id: 'garbage', check, interval: '1s', splay: false }] });
    await monitor.start();
    await clock.advance(3_500);
    await monitor.stop();
    const records = results(sink);
    expect(records.slice(0, 2).map((record) => record.reason)).toEqual(['invalid_result', 'invalid_result']);
    expect(records[0]?.message).toContain('status must be one of');
    expect(records[2]?.reason).toBe('ok');
  });

  it('turns a check that hangs past its timeout into unknown/timeout without reusing the instance', async () => {
    const clock = createFakeClock();
    const sink = createMemorySink();
    const hung = scriptedCheck([neverSettles]);
    const healthy = scriptedCheck([]);
    const monitor = createMonitor({
      clock,
      sinks: [sink],
      stopTimeout: '5s',
      checks: [
        { id: 'hung', check: hung, interval: '5s', timeout: '1s', splay: false },
        { id: 'healthy', check: healthy, interval: '5s', splay: false },
      ],
    });
    await monitor.start();
    await clock.advance(16_000);
    const hungRecords = results(sink).filter((record) => record.checkId === 'hung');
    expect(hungRecords.length).toBeGreaterThanOrEqual(3);
    expect(hungRecords.every((record) => record.status === 'unknown' && record.reason === 'timeout')).toBe(true);
    expect(hung.calls).toBe(1);
    expect(results(sink).filter((record) => record.checkId === 'healthy').length).toBeGreaterThanOrEqual(3);
    const stopping = monitor.stop();
    await clock.advance(10_000);
    await stopping;
  });

  it('retries a down result with backoff within one run', async () => {
    const clock = createFakeClock();
    const sink = createMemorySink();
    const check = scriptedCheck([down, down, up]);
    const monitor = createMonitor({ clock, sinks: [sink], checks: [{ id: 'flaky', check, interval: '1m', retries: 2, retryDelay: '1s', splay: false }] });
    const record = monitor.runOnce('flaky');
    await clock.advance(5_000);
    expect(await record).toMatchObject({ status: 'up', attempts: 3 });
    expect(check.calls).toBe(3);
    await monitor.stop();
  });

  it('passes the timeout to the check as an abort signal', async () => {
    const clock = createFakeClock();
    const check = scriptedCheck([waitForAbort]);
    const monitor = createMonitor({ clock, checks: [{ id: 'silent', check, timeout: '500ms' }] });
    const pending = monitor.runOnce('silent');
    await clock.advance(499);
    expect(check.calls).toBe(1);
    await clock.advance(1);
    expect(await pending).toMatchObject({ status: 'down', reason: 'timeout' });
    await monitor.stop();
  });

  it('never runs one instance twice at once, even with runOnce during a scheduled run', async () => {
    const clock = createFakeClock();
    const slow: Behaviour = async (context) => {
      await new Promise<void>((resolve) => context.clock.setTimeout(resolve, 800));
      return { status: 'up', reason: 'ok' };
    };
    const check = scriptedCheck([], slow);
    const monitor = createMonitor({ clock, checks: [{ id: 'slow', check, interval: '1s', splay: false, overlap: 'queue' }] });
    await monitor.start();
    await clock.advance(1_000);
    const manual = monitor.runOnce('slow');
    await clock.advance(5_000);
    await manual;
    expect(check.maxConcurrent).toBe(1);
    const stopping = monitor.stop();
    await clock.advance(5_000);
    await stopping;
  });

  it('fires an alert after consecutive failures, notifies once, and resolves', async () => {
    const clock = createFakeClock();
    const sink = createMemorySink();
    const notifier = createMemoryNotifier();
    const check = scriptedCheck([up, down, down, down, down, up, up, up]);
    const monitor = createMonitor({
      clock,
      sinks: [sink],
      notifiers: [notifier],
      rules: [consecutiveFailures({ failures: 3, successes: 2 })],
      checks: [{ id: 'api', check, interval: '1s', splay: false }],
    });
    const states: string[] = [];
    monitor.on('alert:event', (event) => states.push(event.state));
    await monitor.start();
    await clock.advance(8_500);
    await monitor.stop();
    expect(states).toEqual(['pending', 'firing', 'resolved', 'ok']);
    expect(notifier.sent.map((notification) => notification.events[0]?.state)).toEqual(['firing', 'resolved']);
    expect(sink.records.filter((record) => record.type === 'alert').map((record) => (record.type === 'alert' ? record.state : ''))).toEqual(states);
  });

  it('keeps running when a listener or a sink throws', async () => {
    const clock = createFakeClock();
    const sink = createMemorySink({ script: [{ kind: 'throw' }] });
    const monitor = createMonitor({ clock, sinks: [sink], checks: [{ id: 'a', check: scriptedCheck([]), interval: '1s', splay: false }], sinkQueue: { flushIntervalMs: 100 } });
    const errors: string[] = [];
    monitor.on('check:result', () => {
      throw new Error('listener bug');
    });
    monitor.on('monitor:error', (event) => errors.push(event.where));
    monitor.on('sink:error', (event) => errors.push(`sink:${event.sink}`));
    await monitor.start();
    await clock.advance(5_000);
    const stopping = monitor.stop();
    await clock.advance(1_000);
    await stopping;
    expect(errors).toContain('listener of check:result');
    expect(errors).toContain('sink:memory');
    expect(results(sink).length).toBeGreaterThanOrEqual(4);
  });

  it('stops in order and idempotently: drains checks, flushes sinks, shuts plugins down once', async () => {
    const clock = createFakeClock();
    const sink = createMemorySink();
    const notifier = createMemoryNotifier();
    const check = scriptedCheck([waitForAbort]);
    const monitor = createMonitor({ clock, sinks: [sink], notifiers: [notifier], checks: [{ id: 'long', check, interval: '1m', timeout: '2s', splay: false }] });
    await monitor.start();
    await clock.advance(0);
    expect(check.calls).toBe(1);
    const first = monitor.stop();
    const second = monitor.stop();
    expect(second).toBe(first);
    await clock.advance(2_000);
    await first;
    // The in-flight run finished (its timeout) before the sink was flushed and shut down.
    expect(results(sink).map((record) => record.reason)).toEqual(['timeout']);
    expect(sink.shutdownCalls).toBe(1);
    expect(check.shutdowns).toBe(1);
    await expect(monitor.start()).rejects.toSatisfy((error: unknown) => VigilError.hasCode(error, 'VIGIL_ERR_STATE'));
    await expect(monitor.runOnce('long')).rejects.toSatisfy((error: unknown) => VigilError.hasCode(error, 'VIGIL_ERR_STATE'));
  });

  it('aborts in-flight checks at the stop deadline', async () => {
    const clock = createFakeClock();
    const sink = createMemorySink();
    const check = scriptedCheck([waitForAbort]);
    const monitor = createMonitor({ clock, sinks: [sink], stopTimeout: '1s', checks: [{ id: 'long', check, interval: '1m', timeout: '1h', splay: false }] });
    await monitor.start();
    await clock.advance(0);
    const stopping = monitor.stop();
    await clock.advance(1_000);
    await flushMicrotasks();
    await stopping;
    expect(results(sink)[0]?.reason).toBe('timeout');
  });

  it('rejects bad check definitions with the field named', () => {
    const check = scriptedCheck([]);
    expect(() => createMonitor({ checks: [{ id: 'a', check, interval: -1 }] })).toThrow(/checks\[0\]\.interval/);
    expect(() => createMonitor({ checks: [{ id: 'a', check, cron: 'not cron' }] })).toThrow(/cron/);
    expect(() => createMonitor({ checks: [{ id: 'a', check }, { id: 'a', check }] })).toThrow(/checks\[1\]\.id: duplicate/);
    expect(() => createMonitor({ checks: [{ id: 'a', check, retries: -1 }] })).toThrow(/checks\[0\]\.retries/);
    expect(() => createMonitor({ checks: [{ id: 'a', check, timeout: 0 }] })).toThrow(/checks\[0\]\.timeout/);
  });

  it('runOnce of an unknown check fails with a code', async () => {
    const monitor = createMonitor();
    await expect(monitor.runOnce('nope')).rejects.toSatisfy((error: unknown) => VigilError.hasCode(error, 'VIGIL_ERR_CHECK_UNKNOWN'));
  });
});

describe('createMonitor alerting', () => {
  /** A check that follows `pattern` (true = up) run by run, then stays at `after`. */
  const patterned = (pattern: readonly boolean[], after: Behaviour = up) => scriptedCheck(pattern.map((isUp) => (isUp ? up : down)), after);
  const alertStates = (sink: ReturnType<typeof createMemorySink>): string[] => sink.records.flatMap((record) => (record.type === 'alert' ? [record.state] : []));

  it('after 3 failures sends exactly one message per channel with the alert facts, and one resolved message when it comes back', async () => {
    const clock = createFakeClock();
    const telegram = createMemoryNotifier({ type: 'telegram' });
    const webhook = createMemoryNotifier({ type: 'webhook' });
    const monitor = createMonitor({
      clock,
      notifiers: [telegram, webhook],
      rules: [consecutiveFailures({ link: 'https://status.example/{checkId}' })],
      checks: [{ id: 'api', check: patterned([true, false, false, false, false, false, true, true, true]), interval: '1s', splay: false, tags: { env: 'prod' } }],
    });
    await monitor.start();
    await clock.advance(4_500);
    expect(monitor.alerts.alerts().map((alert) => `${alert.alertId}:${alert.state}`)).toEqual(['consecutive-failures-3/api:firing']);
    await clock.advance(10_000);
    await monitor.stop();
    for (const notifier of [telegram, webhook]) {
      expect(notifier.sent.map((notification) => notification.events.map((event) => event.state).join())).toEqual(['firing', 'resolved']);
    }
    const firing = telegram.sent[0]?.events[0];
    expect(firing).toMatchObject({ checkId: 'api', tags: { env: 'prod' }, state: 'firing', reason: 'connection_refused', values: { failures: 3 }, link: 'https://status.example/api' });
    // The first failure was the second run (t = 1 s): since marks the start of the outage.
    expect(firing?.since).toBe(Date.UTC(2026, 0, 1) + 1_000);
    expect(monitor.alerts.alerts()).toEqual([]);
  });

  it('a flapping service sends one flapping notice and then stays quiet, while history records it', async () => {
    const clock = createFakeClock();
    const notifier = createMemoryNotifier();
    const sink = createMemorySink();
    const alternating = Array.from({ length: 200 }, (_, index) => index % 2 === 0);
    const monitor = createMonitor({ clock, sinks: [sink], notifiers: [notifier], rules: [consecutiveFailures()], checks: [{ id: 'flappy', check: patterned(alternating), interval: '1s', splay: false }] });
    await monitor.start();
    await clock.advance(200_500);
    await monitor.stop();
    expect(notifier.sent.map((notification) => notification.events[0]?.state)).toEqual(['flapping']);
    expect(alertStates(sink).at(-1)).toBe('flapping');
    expect(alertStates(sink).filter((state) => state === 'flapping')).toHaveLength(1);
  });

  it('a silence from the API mutes the alert; history is still written and the alert is listed as silenced', async () => {
    const clock = createFakeClock();
    const notifier = createMemoryNotifier();
    const sink = createMemorySink();
    const monitor = createMonitor({ clock, sinks: [sink], notifiers: [notifier], rules: [consecutiveFailures()], checks: [{ id: 'db', check: scriptedCheck([], down), interval: '1s', splay: false }] });
    const silence = monitor.alerts.silence({ matchers: 'checkId=db', duration: '1h', createdBy: 'telegram:alice' });
    await monitor.start();
    await clock.advance(10_000);
    expect(notifier.sent).toEqual([]);
    expect(monitor.alerts.alert('consecutive-failures-3/db')).toMatchObject({ state: 'firing', silencedBy: [silence.id] });
    await monitor.stop();
    expect(alertStates(sink)).toEqual(['pending', 'firing']);
  });

  it('50 services failing at once with grouping send one grouped message per channel', async () => {
    const clock = createFakeClock();
    const telegram = createMemoryNotifier({ type: 'telegram' });
    const email = createMemoryNotifier({ type: 'email' });
    const monitor = createMonitor({
      clock,
      notifiers: [telegram, email],
      rules: [consecutiveFailures()],
      alerting: { groupBy: ['ruleId'], groupWindow: '30s' },
      // Spread over the interval by the deterministic splay, as in production.
      checks: Array.from({ length: 50 }, (_, index) => ({ id: `service-${index}`, check: scriptedCheck([], down), interval: '10s' })),
    });
    await monitor.start();
    // The third failures land between 20 s and 30 s; the group closes 30 s after the first.
    await clock.advance(70_000);
    await monitor.stop();
    for (const notifier of [telegram, email]) {
      expect(notifier.sent).toHaveLength(1);
      const events = notifier.sent[0]?.events ?? [];
      expect(events).toHaveLength(50);
      expect(new Set(events.map((event) => event.checkId)).size).toBe(50);
      expect(notifier.sent[0]?.groupKey).toBe('default:{ruleId=consecutive-failures-3}');
    }
  });

  it('routes by matchers, escalates after the alert stays unacknowledged, and an acknowledgement stops repeats', async () => {
    const clock = createFakeClock();
    const telegram = createMemoryNotifier({ type: 'telegram' });
    const pager = createMemoryNotifier({ type: 'pager' });
    const monitor = createMonitor({
      clock,
      notifiers: [telegram, pager],
      rules: [consecutiveFailures({ failures: 1 })],
      alerting: {
        routes: [
          { matchers: ['env=prod'], notifiers: ['telegram'] },
          { matchers: ['env=lab'], notifiers: ['pager'] },
        ],
        repeatInterval: '1m',
        escalations: [{ after: '2m', notifiers: ['pager'] }],
      },
      alertTickInterval: '1s',
      checks: [
        { id: 'api', check: scriptedCheck([], down), interval: '10s', splay: false, tags: { env: 'prod' } },
        { id: 'lab', check: scriptedCheck([], down), interval: '10s', splay: false, tags: { env: 'lab' } },
      ],
    });
    await monitor.start();
    await clock.advance(150_000);
    expect(telegram.sent.map((notification) => `${notification.events[0]?.checkId}:${notification.events[0]?.cause}`)).toEqual(['api:transition', 'api:repeat', 'api:repeat']);
    // The pager hears of lab by its route, and of both alerts once they fired unacknowledged for 2 minutes.
    expect(pager.sent.map((notification) => `${notification.events[0]?.checkId}:${notification.events[0]?.cause}`).sort()).toEqual([
      'api:escalation',
      'lab:escalation',
      'lab:repeat',
      'lab:repeat',
      'lab:transition',
    ]);
    monitor.alerts.acknowledge('consecutive-failures-1/api', { by: 'alice' });
    const before = telegram.sent.length;
    await clock.advance(300_000);
    expect(telegram.sent.length).toBe(before);
    await monitor.stop();
  });

  it('sends groups still waiting for their window when it stops', async () => {
    const clock = createFakeClock();
    const notifier = createMemoryNotifier();
    const monitor = createMonitor({ clock, notifiers: [notifier], rules: [consecutiveFailures({ failures: 1 })], alerting: { groupWindow: '10m' }, checks: [{ id: 'api', check: scriptedCheck([], down), interval: '1s', splay: false }] });
    await monitor.start();
    await clock.advance(1_500);
    expect(notifier.sent).toEqual([]);
    await monitor.stop();
    expect(notifier.sent.map((notification) => notification.events[0]?.state)).toEqual(['firing']);
  });

  it('reports a rule that throws and keeps evaluating the others', async () => {
    const clock = createFakeClock();
    const notifier = createMemoryNotifier();
    const broken = predicate({
      id: 'broken',
      when: () => {
        throw new Error('rule bug');
      },
    });
    const monitor = createMonitor({ clock, notifiers: [notifier], rules: [broken, consecutiveFailures({ failures: 1 })], checks: [{ id: 'api', check: scriptedCheck([], down), interval: '1s', splay: false }] });
    const errors: string[] = [];
    monitor.on('monitor:error', (event) => errors.push(`${event.where}: ${event.error}`));
    await monitor.start();
    await clock.advance(3_500);
    await monitor.stop();
    expect(errors[0]).toBe('alert rule broken: rule bug');
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(notifier.sent.map((notification) => notification.events[0]?.ruleId)).toEqual(['consecutive-failures-1']);
  });

  it('rejects duplicate rule ids and routes to notifiers that do not exist, naming the field', () => {
    expect(() => createMonitor({ rules: [consecutiveFailures(), consecutiveFailures()] })).toThrow(/rules\[1\]\.id: duplicate rule id "consecutive-failures-3"/);
    expect(() => createMonitor({ notifiers: [createMemoryNotifier({ type: 'telegram' })], alerting: { routes: [{ notifiers: ['telegram', 'slack'] }] } })).toThrow(
      /alerting\.routes\[0\]\.notifiers\[1\]: unknown notifier "slack" \(known: telegram\)/,
    );
  });
});
