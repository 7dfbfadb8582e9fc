import { createFakeClock } from '@vigil/test-utils';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AlertEvent, AlertState, RoutedNotification } from '../contracts/alert.js';
import { VigilError } from '../errors/vigil-error.js';
import { type AlertManager, type AlertManagerOptions, createAlertManager } from './alert-manager.js';

let clock = createFakeClock();
let sequence = 0;

const previousOf: Record<AlertState, AlertState> = { pending: 'ok', firing: 'pending', resolved: 'firing', ok: 'resolved', flapping: 'ok' };

/** A transition event of alert `ruleId/checkId` at the fake clock's now. */
function event(state: AlertState, overrides: Partial<AlertEvent> = {}): AlertEvent {
  sequence += 1;
  const checkId = overrides.checkId ?? 'web';
  const ruleId = overrides.ruleId ?? 'down';
  return {
    id: `event-${sequence}`,
    alertId: `${ruleId}/${checkId}`,
    ruleId,
    checkId,
    tags: { env: 'prod' },
    severity: 'critical',
    state,
    previousState: previousOf[state],
    reason: 'timeout',
    message: `${checkId} is ${state}`,
    values: {},
    since: clock.now(),
    at: clock.now(),
    cause: 'transition',
    ...overrides,
  };
}

/** One line per notification: `notifiers|groupKey|alertId:state:cause,...`. */
function describeRouted(routed: readonly RoutedNotification[]): string[] {
  return routed.map(
    ({ notification, notifiers }) =>
      `${notifiers?.join('+') ?? '*'}|${notification.groupKey}|${notification.events.map((item) => `${item.alertId}:${item.state}:${item.cause}`).join(',')}`,
  );
}

function managerWith(options: AlertManagerOptions = {}): { manager: AlertManager; route: (...events: AlertEvent[]) => string[]; tick: () => string[] } {
  const manager = createAlertManager({ clock, ...options });
  return {
    manager,
    route: (...events) => describeRouted(manager.route(events, clock.now())),
    tick: () => describeRouted(manager.tick(clock.now())),
  };
}

beforeEach(() => {
  clock = createFakeClock(Date.UTC(2026, 0, 5, 2, 0));
});

describe('createAlertManager: defaults', () => {
  it('sends firing, flapping and resolved at once, one notification per event, to every notifier', () => {
    const { route, tick } = managerWith();
    expect(route(event('pending'))).toEqual([]);
    expect(route(event('firing'))).toEqual(['*|default:{alertId=down/web}|down/web:firing:transition']);
    expect(route(event('resolved'))).toEqual(['*|default:{alertId=down/web}|down/web:resolved:transition']);
    expect(route(event('ok'))).toEqual([]);
    expect(route(event('flapping', { checkId: 'db' }))).toEqual(['*|default:{alertId=down/db}|down/db:flapping:transition']);
    expect(tick()).toEqual([]);
  });

  it('never sends a resolved notice for an alert nobody heard of', () => {
    const { route } = managerWith();
    expect(route(event('pending'), event('ok'))).toEqual([]);
    expect(route(event('resolved', { checkId: 'never-fired' }))).toEqual([]);
  });

  it('notification ids are unique; events get the manager link when their rule has none', () => {
    const manager = createAlertManager({ clock, link: 'https://status.example/{checkId}?env={env}' });
    const [first] = manager.route([event('firing')], clock.now());
    const [second] = manager.route([event('firing', { checkId: 'api', link: 'https://rule.example' })], clock.now());
    expect(first?.notification.id).not.toBe(second?.notification.id);
    expect(first?.notification.events[0]?.link).toBe('https://status.example/web?env=prod');
    expect(second?.notification.events[0]?.link).toBe('https://rule.example');
  });
});

describe('routing', () => {
  const routes: AlertManagerOptions['routes'] = [
    { matchers: ['severity=critical'], notifiers: ['pager'], continue: true },
    { matchers: ['env=~prod|staging'], notifiers: ['telegram', 'email'] },
    { matchers: ['env=dev'], notifiers: [] },
  ];

  it('follows the first matching route, continues where asked, drops on an empty list, and sends the rest to everyone', () => {
    const { route } = managerWith({ routes });
    expect(route(event('firing'))).toEqual(['pager|routes[0]:{alertId=down/web}|down/web:firing:transition', 'telegram+email|routes[1]:{alertId=down/web}|down/web:firing:transition']);
    expect(route(event('firing', { checkId: 'api', severity: 'warning' }))).toEqual(['telegram+email|routes[1]:{alertId=down/api}|down/api:firing:transition']);
    expect(route(event('firing', { checkId: 'dev', severity: 'warning', tags: { env: 'dev' } }))).toEqual([]);
    expect(route(event('firing', { checkId: 'lab', severity: 'info', tags: { env: 'lab' } }))).toEqual(['*|default:{alertId=down/lab}|down/lab:firing:transition']);
  });

  it('sends a rise to critical to the routes that match it now, and the resolution to whoever heard of the alert', () => {
    const { route } = managerWith({ routes });
    expect(route(event('firing', { severity: 'warning' }))).toEqual(['telegram+email|routes[1]:{alertId=down/web}|down/web:firing:transition']);
    expect(route(event('firing', { severity: 'critical', previousSeverity: 'warning', previousState: 'firing' }))).toHaveLength(2);
    expect(route(event('resolved')).map((line) => line.split('|')[0]).sort()).toEqual(['pager', 'telegram+email']);
  });

  it('lists the notifier ids it references, with their option paths', () => {
    const { manager } = managerWith({ routes, escalations: [{ after: '10m', notifiers: ['oncall'] }] });
    expect(manager.referencedNotifiers()).toEqual([
      { path: 'alerting.routes[0].notifiers[0]', id: 'pager' },
      { path: 'alerting.routes[1].notifiers[0]', id: 'telegram' },
      { path: 'alerting.routes[1].notifiers[1]', id: 'email' },
      { path: 'alerting.escalations[0].notifiers[0]', id: 'oncall' },
    ]);
  });
});

describe('grouping', () => {
  it('sends 50 alerts that fire within the window as one message per channel', async () => {
    const { route, tick } = managerWith({
      groupBy: ['ruleId'],
      groupWindow: '30s',
      routes: [
        { matchers: [], notifiers: ['telegram'], continue: true },
        { matchers: [], notifiers: ['webhook', 'email'] },
      ],
    });
    const sent: string[] = [];
    for (let index = 0; index < 50; index += 1) {
      sent.push(...route(event('firing', { checkId: `service-${index}` })));
      await clock.advance(500);
    }
    // The first event opened the groups at t0; 25 s have passed.
    expect(sent).toEqual([]);
    await clock.advance(4_999);
    expect(tick()).toEqual([]);
    await clock.advance(1);
    const grouped = tick();
    expect(grouped.map((line) => line.split('|').slice(0, 2).join('|'))).toEqual(['telegram|routes[0]:{ruleId=down}', 'webhook+email|routes[1]:{ruleId=down}']);
    for (const line of grouped) expect(line.split('|')[2]?.split(',')).toHaveLength(50);
    expect(tick()).toEqual([]);
  });

  it('keeps groups apart by their key and opens a new window after one closes', async () => {
    const { route, tick } = managerWith({ groupBy: ['ruleId'], groupWindow: '1m' });
    route(event('firing', { ruleId: 'down' }), event('firing', { ruleId: 'slow', checkId: 'api' }));
    await clock.advance(60_000);
    expect(tick()).toEqual(['*|default:{ruleId=down}|down/web:firing:transition', '*|default:{ruleId=slow}|slow/api:firing:transition']);
    route(event('firing', { checkId: 'db' }));
    await clock.advance(59_999);
    expect(tick()).toEqual([]);
    await clock.advance(1);
    expect(tick()).toEqual(['*|default:{ruleId=down}|down/db:firing:transition']);
  });

  it('withdraws an alert that fires and resolves within one window', async () => {
    const { route, tick } = managerWith({ groupWindow: '1m' });
    route(event('firing'));
    await clock.advance(20_000);
    route(event('resolved'));
    await clock.advance(60_000);
    expect(tick()).toEqual([]);
  });

  it('withdraws it even when the group key changes with the state', async () => {
    const { route, tick } = managerWith({ groupBy: ['state'], groupWindow: '1m' });
    route(event('firing'));
    route(event('resolved'));
    await clock.advance(60_000);
    expect(tick()).toEqual([]);
  });

  it('can leave resolutions out', () => {
    const { route } = managerWith({ sendResolved: false });
    expect(route(event('firing'))).toHaveLength(1);
    expect(route(event('resolved'))).toEqual([]);
  });

  it('groups simultaneous events even without a window, and flush sends open groups early', () => {
    const first = managerWith({ groupBy: [] });
    expect(first.route(event('firing', { checkId: 'a' }), event('firing', { checkId: 'b' }))).toEqual(['*|default:{}|down/a:firing:transition,down/b:firing:transition']);
    const second = managerWith({ groupWindow: '10m' });
    second.route(event('firing'));
    expect(describeRouted(second.manager.flush(clock.now()))).toEqual(['*|default:{alertId=down/web}|down/web:firing:transition']);
  });
});

describe('repeats, escalations and acknowledgements', () => {
  it('repeats a firing alert every repeatInterval until it is acknowledged', async () => {
    const { manager, route, tick } = managerWith({ repeatInterval: '1h' });
    route(event('firing'));
    await clock.advance(3_599_999);
    expect(tick()).toEqual([]);
    await clock.advance(1);
    const [repeat] = manager.tick(clock.now());
    expect(repeat?.notification.events[0]).toMatchObject({ alertId: 'down/web', state: 'firing', cause: 'repeat', at: clock.now() });
    expect(repeat?.notification.events[0]?.id).not.toBe('event-1');
    await clock.advance(3_600_000);
    expect(tick()).toEqual(['*|default:{alertId=down/web}|down/web:firing:repeat']);
    expect(manager.acknowledge('down/web', { by: 'alice', comment: 'on it' })?.acknowledged).toEqual({ by: 'alice', at: clock.now(), comment: 'on it' });
    await clock.advance(7_200_000);
    expect(tick()).toEqual([]);
    // Acknowledging never hides the resolution.
    expect(route(event('resolved'))).toEqual(['*|default:{alertId=down/web}|down/web:resolved:transition']);
  });

  it('escalates once after the alert fired unacknowledged for `after`, and tells the escalation target when it resolves', async () => {
    const { route, tick } = managerWith({ routes: [{ matchers: [], notifiers: ['telegram'] }], escalations: [{ after: '15m', notifiers: ['pager'], matchers: ['severity=critical'] }] });
    route(event('firing'));
    route(event('firing', { checkId: 'api', severity: 'warning' }));
    await clock.advance(899_999);
    expect(tick()).toEqual([]);
    await clock.advance(1);
    expect(tick()).toEqual(['pager|escalations[0]:{alertId=down/web}|down/web:firing:escalation']);
    await clock.advance(3_600_000);
    expect(tick()).toEqual([]);
    expect(route(event('resolved'))).toEqual(['telegram|routes[0]:{alertId=down/web}|down/web:resolved:transition', 'pager|escalations[0]:{alertId=down/web}|down/web:resolved:transition']);
  });

  it('does not escalate an acknowledged alert', async () => {
    const { manager, route, tick } = managerWith({ escalations: [{ after: '5m', notifiers: ['pager'] }] });
    route(event('firing'));
    await clock.advance(60_000);
    expect(manager.acknowledge('down/web', { by: 'bob' })).toBeDefined();
    await clock.advance(3_600_000);
    expect(tick()).toEqual([]);
  });

  it('acknowledging an unknown alert returns undefined; one without a name is refused', () => {
    const { manager, route } = managerWith();
    route(event('firing'));
    expect(manager.acknowledge('nope', { by: 'alice' })).toBeUndefined();
    expect(() => manager.acknowledge('down/web', { by: ' ' })).toThrow(/acknowledge\.by/);
  });

  it('holds notifications while flapping: one notice, no repeats, one message when it settles', async () => {
    const { route, tick } = managerWith({ repeatInterval: '10m' });
    expect(route(event('firing'))).toHaveLength(1);
    expect(route(event('flapping', { previousState: 'firing' }))).toEqual(['*|default:{alertId=down/web}|down/web:flapping:transition']);
    await clock.advance(3_600_000);
    expect(tick()).toEqual([]);
    expect(route(event('resolved', { previousState: 'flapping' }))).toEqual(['*|default:{alertId=down/web}|down/web:resolved:transition']);
  });
});

describe('silences', () => {
  it('mute matching alerts, show in alerts(), and release held firing alerts when they end', async () => {
    const { manager, route, tick } = managerWith();
    const silence = manager.silence({ matchers: 'checkId=web', duration: '1h', createdBy: 'telegram:alice', comment: 'deploy' });
    expect(silence).toMatchObject({ matchers: [{ name: 'checkId', operator: '=', value: 'web' }], startsAt: clock.now(), endsAt: clock.now() + 3_600_000, createdBy: 'telegram:alice' });
    expect(manager.silences()).toEqual([silence]);
    expect(route(event('firing'))).toEqual([]);
    expect(route(event('firing', { checkId: 'api' }))).toHaveLength(1);
    expect(manager.alert('down/web')?.silencedBy).toEqual([silence.id]);
    await clock.advance(3_599_999);
    expect(tick()).toEqual([]);
    await clock.advance(1);
    expect(tick()).toEqual(['*|default:{alertId=down/web}|down/web:firing:transition']);
    expect(manager.silences()).toEqual([]);
    expect(tick()).toEqual([]);
  });

  it('unsilence ends a silence at once; an alert that resolves while silenced is never announced', async () => {
    const { manager, route, tick } = managerWith();
    const { id } = manager.silence({ matchers: ['env=~prod.*'], until: clock.now() + 600_000, createdBy: 'api' });
    route(event('firing'));
    route(event('firing', { checkId: 'api' }));
    route(event('resolved', { checkId: 'api' }));
    expect(manager.unsilence(id)).toBe(true);
    expect(manager.unsilence(id)).toBe(false);
    expect(tick()).toEqual(['*|default:{alertId=down/web}|down/web:firing:transition']);
  });

  it('mute a group whose window is still open when the silence begins', async () => {
    const { manager, route, tick } = managerWith({ groupWindow: '1m' });
    route(event('firing'));
    manager.silence({ matchers: 'checkId=web', duration: '10m', createdBy: 'api' });
    await clock.advance(60_000);
    expect(tick()).toEqual([]);
    await clock.advance(600_000);
    expect(tick()).toEqual([]);
    await clock.advance(60_000);
    expect(tick()).toEqual(['*|default:{alertId=down/web}|down/web:firing:transition']);
  });

  it('refuse bad input, naming the field', () => {
    const { manager } = managerWith();
    const refuse = (input: Parameters<AlertManager['silence']>[0], pattern: RegExp): void => {
      let caught: unknown;
      try {
        manager.silence(input);
      } catch (error) {
        caught = error;
      }
      expect(VigilError.hasCode(caught, 'VIGIL_ERR_CONFIG')).toBe(true);
      expect((caught as Error).message).toMatch(pattern);
    };
    refuse({ matchers: [], duration: '1h', createdBy: 'a' }, /silence\.matchers: expected at least one matcher/);
    refuse({ matchers: 'env~x', duration: '1h', createdBy: 'a' }, /silence\.matchers: invalid matcher/);
    refuse({ matchers: 'checkId=web', createdBy: 'a' }, /exactly one of until or duration/);
    refuse({ matchers: 'checkId=web', until: clock.now() - 1, createdBy: 'a' }, /silence\.until: the silence must end in the future/);
    refuse({ matchers: 'checkId=web', duration: '1h', createdBy: '' }, /silence\.createdBy/);
    refuse({ matchers: 'checkId=web', duration: 'forever', createdBy: 'a' }, /silence\.duration/);
  });

  it('can be restored with their ids (e.g. saved before a restart)', () => {
    const saved = managerWith().manager.silence({ matchers: 'checkId=web', duration: '1h', createdBy: 'alice' });
    const expired = { ...saved, id: 'old', endsAt: clock.now() };
    const restored = createAlertManager({ clock, silences: [saved, expired] });
    expect(restored.silences()).toEqual([saved]);
  });
});

describe('maintenance windows', () => {
  const nightly: AlertManagerOptions = { maintenance: [{ name: 'backup', cron: '0 3 * * *', duration: '30m', timezone: 'UTC', matchers: ['checkId=~db|web'] }] };

  it('suppress notifications inside cron + duration and send what is still firing when the window ends', async () => {
    const { manager, route, tick } = managerWith(nightly);
    // 02:59: outside the window.
    await clock.advance(59 * 60_000);
    expect(route(event('firing', { checkId: 'api' }))).toHaveLength(1);
    expect(manager.maintenanceWindows()).toEqual([{ name: 'backup', cron: '0 3 * * *', durationMs: 1_800_000, active: false, nextStart: Date.UTC(2026, 0, 5, 3, 0) }]);
    // 03:10: inside; web is covered, api is not.
    await clock.advance(11 * 60_000);
    expect(route(event('firing'))).toEqual([]);
    expect(route(event('firing', { checkId: 'other' }))).toHaveLength(1);
    expect(manager.alert('down/web')?.maintenance).toBe('backup');
    expect(manager.maintenanceWindows()[0]).toMatchObject({ active: true, activeUntil: Date.UTC(2026, 0, 5, 3, 30) });
    await clock.advance(19 * 60_000 + 59_999);
    expect(tick()).toEqual([]);
    // 03:30: the window is over and web still fires.
    await clock.advance(1);
    expect(tick()).toEqual(['*|default:{alertId=down/web}|down/web:firing:transition']);
  });

  it('reject a bad cron or time zone naming the field', () => {
    expect(() => createAlertManager({ maintenance: [{ cron: '61 * * * *', duration: '1h' }] })).toThrow(/alerting\.maintenance\[0\]\.cron: expected a cron expression/);
    expect(() => createAlertManager({ maintenance: [{ cron: '0 3 * * *', duration: '1h', timezone: 'Mars/Olympus' }] })).toThrow(/alerting\.maintenance\[0\]\.timezone/);
    expect(() => createAlertManager({ maintenance: [{ cron: '0 3 * * *', duration: '0s' }] })).toThrow(/alerting\.maintenance\[0\]\.duration: expected a positive duration/);
    expect(() => createAlertManager({ routes: [{ matchers: ['x~y'] }] })).toThrow(/alerting\.routes\[0\]\.matchers\[0\]/);
  });
});

describe('alerts()', () => {
  it('lists alerts that are not ok, most urgent first, with filters', async () => {
    const { manager, route } = managerWith();
    route(event('pending', { checkId: 'a' }));
    await clock.advance(1_000);
    route(event('firing', { checkId: 'b', severity: 'warning' }));
    await clock.advance(1_000);
    route(event('firing', { checkId: 'c' }));
    route(event('flapping', { checkId: 'd' }));
    route(event('firing', { checkId: 'e' }), event('resolved', { checkId: 'e' }));
    expect(manager.alerts().map((alert) => `${alert.checkId}:${alert.state}:${alert.severity}`)).toEqual(['c:firing:critical', 'b:firing:warning', 'd:flapping:critical', 'a:pending:critical']);
    expect(manager.alerts({ states: ['firing'], matchers: 'severity=critical' }).map((alert) => alert.alertId)).toEqual(['down/c']);
    const c = manager.alert('down/c');
    expect(c).toMatchObject({ ruleId: 'down', since: clock.now(), firingSince: clock.now(), lastNotifiedAt: clock.now(), silencedBy: [] });
    expect(c?.acknowledged).toBeUndefined();
  });
});
