import { createFakeClock, sampleResultRecord } from '@vigil/test-utils';
import { describe, expect, it } from 'vitest';
import type { AlertEvent, AlertRule, AlertRuleContext, AlertSeverity } from '../contracts/alert.js';
import type { CheckStatus, ResultRecord } from '../contracts/result.js';
import { consecutiveFailures } from './consecutive-failures.js';
import { predicate } from './predicate.js';

type FakeClock = ReturnType<typeof createFakeClock>;

function harness(rule: AlertRule, clock: FakeClock = createFakeClock()) {
  const context = (): AlertRuleContext => ({ now: clock.now(), seriesStats: () => undefined });
  const record = (status: CheckStatus, overrides: Partial<ResultRecord> = {}): ResultRecord =>
    sampleResultRecord({ checkId: 'web', tags: { env: 'prod' }, status, reason: status === 'up' ? 'ok' : 'connection_refused', message: status === 'up' ? undefined : 'refused', timestamp: clock.now(), ...overrides });
  return {
    clock,
    /** Feeds one result per step (default 10 s apart) and returns every event. */
    async feed(statuses: readonly CheckStatus[], stepMs = 10_000, overrides: Partial<ResultRecord> = {}): Promise<AlertEvent[]> {
      const events: AlertEvent[] = [];
      for (const status of statuses) {
        await clock.advance(stepMs);
        events.push(...rule.observe(record(status, overrides), context()));
      }
      return events;
    },
    tick: (): readonly AlertEvent[] => rule.tick?.(context()) ?? [],
  };
}

const states = (events: readonly AlertEvent[]): string[] => events.map((event) => event.state);
const repeat = <T>(count: number, item: T | readonly T[]): T[] => Array.from({ length: count }, () => item).flat() as T[];

describe('the shared alert state machine (through consecutiveFailures)', () => {
  it('goes ok → pending → firing → resolved → ok with the Gatus defaults (3 failures, 2 successes)', async () => {
    const rule = consecutiveFailures();
    const { clock, feed } = harness(rule);
    const start = clock.now();
    const events = await feed(['up', 'down', 'down', 'down', 'down', 'up', 'up', 'up']);
    expect(states(events)).toEqual(['pending', 'firing', 'resolved', 'ok']);
    const [pending, firing, resolved, ok] = events as [AlertEvent, AlertEvent, AlertEvent, AlertEvent];
    expect(rule.id).toBe('consecutive-failures-3');
    expect(firing).toMatchObject({
      alertId: 'consecutive-failures-3/web',
      ruleId: 'consecutive-failures-3',
      checkId: 'web',
      checkType: 'tcp',
      tags: { env: 'prod' },
      severity: 'critical',
      previousState: 'pending',
      reason: 'connection_refused',
      values: { failures: 3, successes: 0 },
      cause: 'transition',
    });
    expect(firing.message).toBe('web: 3 consecutive failures (connection_refused: refused)');
    // since = the first failure; the resolved event spans the whole episode.
    expect(pending.since).toBe(start + 20_000);
    expect(firing.since).toBe(start + 20_000);
    expect(firing.at).toBe(start + 40_000);
    expect(resolved).toMatchObject({ previousState: 'firing', since: start + 20_000, at: start + 70_000, values: { successes: 2 } });
    expect(resolved.message).toBe('web: recovered after 2 successes');
    expect(ok.previousState).toBe('resolved');
    expect(new Set(events.map((event) => event.id)).size).toBe(4);
  });

  it('needs the failures in a row: a success in between clears a pending episode', async () => {
    const { feed } = harness(consecutiveFailures({ failures: 3 }));
    expect(states(await feed(['down', 'down', 'up', 'down', 'down', 'up']))).toEqual(['pending', 'ok', 'pending', 'ok']);
  });

  it('needs the successes in a row to resolve (hysteresis on the way back)', async () => {
    const { feed } = harness(consecutiveFailures({ failures: 2, successes: 3 }));
    expect(states(await feed(['down', 'down']))).toEqual(['pending', 'firing']);
    expect(states(await feed(['up', 'up', 'down', 'up', 'up']))).toEqual([]);
    expect(states(await feed(['up']))).toEqual(['resolved']);
  });

  it('counts degraded as a failure only when asked', async () => {
    expect(states(await harness(consecutiveFailures({ failures: 1 })).feed(['degraded', 'degraded']))).toEqual([]);
    expect(states(await harness(consecutiveFailures({ failures: 1, degradedIsFailure: true })).feed(['degraded']))).toEqual(['firing']);
  });

  it('waits for the `for` duration, firing from a tick without a new result', async () => {
    const { clock, feed, tick } = harness(consecutiveFailures({ failures: 1, for: '2m' }));
    const first = clock.now() + 10_000;
    expect(states(await feed(['down']))).toEqual(['pending']);
    await clock.advance(60_000);
    expect(tick()).toEqual([]);
    await clock.advance(59_999);
    expect(tick()).toEqual([]);
    await clock.advance(1);
    const fired = tick();
    expect(states(fired)).toEqual(['firing']);
    expect(fired[0]).toMatchObject({ since: first, at: first + 120_000 });
    expect(tick()).toEqual([]);
  });

  it('never fires when the condition clears before `for` has passed', async () => {
    const { clock, feed, tick } = harness(consecutiveFailures({ failures: 1, for: '1m' }));
    expect(states(await feed(['down', 'down', 'down', 'up'], 15_000))).toEqual(['pending', 'ok']);
    await clock.advance(300_000);
    expect(tick()).toEqual([]);
  });

  it('enters flapping once, holds every transition while it flaps, and says so once when it settles', async () => {
    const { feed } = harness(consecutiveFailures());
    // Alternating results never make 3 failures in a row, so only flap detection catches this.
    const flapping = await feed(repeat(60, ['down', 'up'] as const));
    expect(states(flapping)).toEqual(['pending', 'ok', 'pending', 'ok', 'pending', 'ok', 'flapping']);
    const notice = flapping.at(-1) as AlertEvent;
    expect(notice.message).toMatch(/^web: flapping: \d+% state changes over the last 21 evaluations/);
    expect(notice.values.flapPercent).toBeGreaterThanOrEqual(30);
    const settled = await feed(repeat(25, 'up' as const));
    expect(states(settled)).toEqual(['resolved', 'ok']);
    expect(settled[0]).toMatchObject({ previousState: 'flapping', since: notice.since });
    expect(settled[0]?.values.flapPercent).toBeLessThan(15);
  });

  it('settles from flapping into firing when the service stays down', async () => {
    const { feed } = harness(consecutiveFailures());
    await feed(repeat(20, ['down', 'up'] as const));
    const settled = await feed(repeat(25, 'down' as const));
    expect(states(settled)).toEqual(['firing']);
    expect(settled[0]?.previousState).toBe('flapping');
    expect(settled[0]?.message).toMatch(/stopped flapping .* now failing/);
  });

  it('stops the storm of a service that fails for 3 and recovers for 2, again and again', async () => {
    const { feed } = harness(consecutiveFailures());
    const events = await feed(repeat(40, ['down', 'down', 'down', 'up', 'up'] as const));
    const notified = events.filter((event) => event.state === 'firing' || event.state === 'resolved' || event.state === 'flapping');
    // A few real firing/resolved pairs, then one flapping notice and nothing more.
    expect(notified.at(-1)?.state).toBe('flapping');
    expect(notified.length).toBeLessThan(10);
    expect(events.at(-1)?.state).toBe('flapping');
  });

  it('with flapping off, every transition is an event', async () => {
    const { feed } = harness(consecutiveFailures({ failures: 1, successes: 1, flapping: false }));
    expect(states(await feed(repeat(10, ['down', 'up'] as const)))).toEqual(repeat(10, ['firing', 'resolved']));
  });

  it('keeps one state machine per series and honours checks and matchers', async () => {
    const rule = consecutiveFailures({ failures: 1, checks: ['web', 'db'], matchers: ['env=prod'] });
    const { feed } = harness(rule);
    expect(states(await feed(['down'], 1_000, { checkId: 'web' }))).toEqual(['firing']);
    expect(states(await feed(['down'], 1_000, { checkId: 'db' }))).toEqual(['firing']);
    expect(await feed(['down'], 1_000, { checkId: 'other' })).toEqual([]);
    expect(await feed(['down'], 1_000, { checkId: 'db', tags: { env: 'staging' } })).toEqual([]);
    const resolved = await feed(['up', 'up', 'up'], 1_000, { checkId: 'web' });
    expect(resolved.map((event) => `${event.alertId}:${event.state}`)).toEqual(['consecutive-failures-1/web:resolved', 'consecutive-failures-1/web:ok']);
  });

  it('fills the link template into every event', async () => {
    const { feed } = harness(consecutiveFailures({ failures: 1, link: 'https://status.example/checks/{checkId}?env={env}&rule={ruleId}' }));
    const [event] = await feed(['down']);
    expect(event?.link).toBe('https://status.example/checks/web?env=prod&rule=consecutive-failures-1');
  });

  it('names the bad field when options are wrong', () => {
    expect(() => consecutiveFailures({ failures: 0 })).toThrow(/consecutiveFailures\.failures/);
    expect(() => consecutiveFailures({ flapping: { high: 20, low: 40 } })).toThrow(/consecutiveFailures\.flapping\.low: low must be below high/);
    expect(() => consecutiveFailures({ for: 'soon' })).toThrow(/consecutiveFailures\.for/);
    expect(() => consecutiveFailures({ matchers: ['env=~('] })).toThrow(/consecutiveFailures\.matchers\[0\]/);
    expect(() => consecutiveFailures({ fireAfter: 2 } as never)).toThrow(/fireAfter/);
  });
});

describe('severity within an episode', () => {
  it('rises with an event while firing, never falls, and the resolved event keeps the highest', async () => {
    const script: (AlertSeverity | 'clear')[] = ['warning', 'critical', 'warning', 'critical', 'clear'];
    let step = 0;
    const rule = predicate({
      id: 'graded',
      when: () => {
        const next = script[step] ?? 'clear';
        step += 1;
        return next === 'clear' ? false : { breaching: true, severity: next, detail: next, values: { step } };
      },
    });
    const events = await harness(rule).feed(['up', 'up', 'up', 'up', 'up']);
    expect(events.map((event) => `${event.state}:${event.severity}:${event.previousSeverity ?? '-'}`)).toEqual([
      'firing:warning:-',
      'firing:critical:warning',
      'resolved:critical:-',
    ]);
  });

  it('a predicate returning undefined leaves the state alone', async () => {
    let answer: boolean | undefined = true;
    const { feed } = harness(predicate({ id: 'maybe', when: () => answer }));
    expect(states(await feed(['up']))).toEqual(['firing']);
    answer = undefined;
    expect(await feed(['up', 'up'])).toEqual([]);
    answer = false;
    expect(states(await feed(['up']))).toEqual(['resolved']);
  });
});
