import type { EventSummary, NotificationSummary } from '@vigil/notification-format';
import { type Line, type MessagePart, type ParseMode, bold, link, messageLimit, packMessages, plainLine, text } from './rich-text.js';

function eventBlock(event: EventSummary, withHeading: boolean): Line[] {
  const lines: Line[] = [];
  if (withHeading) lines.push([bold(event.heading)]);
  if (event.message) lines.push([text(event.message)]);
  for (const field of event.fields) lines.push([bold(`${field.label}: `), text(field.value)]);
  if (event.link) lines.push([link('Open', event.link)]);
  return lines;
}

/** Cuts text to at most `units` UTF-16 code units (Telegram's measure), whole code points, marking the cut with `…`. */
function cutToUnits(text: string, units: number): string {
  if (text.length <= units) return text;
  let kept = '';
  for (const codePoint of text) {
    if (kept.length + codePoint.length > units - 1) break;
    kept += codePoint;
  }
  return `${kept}…`;
}

function visibleLength(lines: readonly Line[]): number {
  return lines.reduce((sum, line) => sum + plainLine(line).length + 1, 0);
}

/**
 * The lines of a notification: every field of every event when that fits one message,
 * otherwise one line per event (so a group of 50 still goes out as one message); a group too
 * large even for that is split by {@link packMessages}.
 */
export function notificationLines(summary: NotificationSummary, limit = messageLimit): Line[] {
  if (!summary.grouped) {
    const event = summary.events[0];
    return event ? eventBlock(event, true) : [[bold(summary.title)]];
  }
  const detailed: Line[] = [[bold(summary.title)]];
  for (const event of summary.events) detailed.push([], ...eventBlock(event, true));
  if (visibleLength(detailed) <= limit) return detailed;
  const compact: Line[] = [[bold(summary.title)], []];
  // Share the room among the events, within sensible bounds.
  const perEvent = Math.min(400, Math.max(40, Math.floor((limit - summary.title.length - 2) / summary.events.length) - 1));
  for (const event of summary.events) {
    const withLink = event.link !== undefined;
    const shown = cutToUnits(event.line, withLink ? Math.max(20, perEvent - 5) : perEvent);
    compact.push(withLink ? [text(`${shown} `), link('Open', event.link as string)] : [text(shown)]);
  }
  return compact;
}

/** A notification as Telegram messages in the given parse mode. */
export function renderNotification(summary: NotificationSummary, mode: ParseMode, limit = messageLimit): MessagePart[] {
  return packMessages(notificationLines(summary, limit), mode, limit);
}
