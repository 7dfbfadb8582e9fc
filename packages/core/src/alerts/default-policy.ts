import type { AlertEvent, NotificationPolicy, RoutedNotification } from '../contracts/alert.js';

const notifiedStates: ReadonlySet<AlertEvent['state']> = new Set(['firing', 'resolved', 'flapping']);

/** Sends every firing, resolved and flapping event, one notification each, to every notifier. */
export function createDefaultNotificationPolicy(): NotificationPolicy {
  return {
    route(events, now): RoutedNotification[] {
      return events
        .filter((event) => notifiedStates.has(event.state))
        .map((event) => ({ notification: { id: `n-${event.id}`, events: [event], createdAt: now } }));
    },
  };
}
