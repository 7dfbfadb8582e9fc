import type { AlertEvent, AlertState } from '@vigil/core';
import {
  type EventSummary,
  type NotificationSummary,
  cleanValue,
  escapeDiscordMarkdown,
  escapeSlackText,
  renderPlainText,
} from '@vigil/notification-format';

/** An alert event in a webhook payload: times as ISO 8601 strings (epoch ms stay beside them). */
export interface WebhookEventPayload {
  readonly id: string;
  readonly alertId: string;
  readonly ruleId: string;
  readonly checkId: string;
  readonly checkType: string | null;
  readonly target: string | null;
  readonly tags: Readonly<Record<string, string>>;
  readonly severity: string;
  readonly previousSeverity: string | null;
  readonly state: AlertState;
  readonly previousState: AlertState;
  readonly reason: string;
  readonly message: string;
  readonly values: Readonly<Record<string, number>>;
  readonly since: string;
  readonly sinceMs: number;
  readonly at: string;
  readonly atMs: number;
  readonly link: string | null;
  readonly cause: string;
  /** The one-line form used in grouped messages. */
  readonly summary: string;
}

/** What body and header templates can refer to. */
export interface WebhookTemplateContext {
  /** `alert.firing`, `alert.resolved`, `alert.flapping`, ... or `alert.group` when states are mixed. */
  readonly type: string;
  readonly id: string;
  readonly groupKey: string | null;
  /** When the notification was created, ISO 8601. */
  readonly createdAt: string;
  /** When this attempt is made, ISO 8601. */
  readonly timestamp: string;
  readonly title: string;
  /** The whole notification as plain text. */
  readonly text: string;
  readonly state: AlertState;
  readonly severity: string;
  readonly counts: Readonly<Record<AlertState, number>>;
  readonly events: readonly WebhookEventPayload[];
  /** The most urgent event (the first of `events`). */
  readonly event: WebhookEventPayload | null;
}

/** Roots a template may name. */
export const templateRoots: readonly string[] = ['type', 'id', 'groupKey', 'createdAt', 'timestamp', 'title', 'text', 'state', 'severity', 'counts', 'events', 'event'];

function iso(epochMs: number): string {
  return Number.isFinite(epochMs) ? new Date(epochMs).toISOString() : '';
}

function eventPayload(summary: EventSummary): WebhookEventPayload {
  const event: AlertEvent = summary.event;
  return {
    id: event.id,
    alertId: event.alertId,
    ruleId: event.ruleId,
    checkId: event.checkId,
    checkType: event.checkType ?? null,
    target: event.target ?? null,
    tags: { ...event.tags },
    severity: event.severity,
    previousSeverity: event.previousSeverity ?? null,
    state: event.state,
    previousState: event.previousState,
    reason: event.reason,
    message: event.message,
    values: { ...event.values },
    since: iso(event.since),
    sinceMs: event.since,
    at: iso(event.at),
    atMs: event.at,
    link: summary.link ?? null,
    cause: event.cause ?? 'transition',
    summary: summary.line,
  };
}

/** Builds the template context of one attempt. */
export function templateContext(summary: NotificationSummary, attemptAt: number): WebhookTemplateContext {
  const states = new Set(summary.events.map((event) => event.event.state));
  const events = summary.events.map(eventPayload);
  return {
    type: states.size === 1 ? `alert.${summary.state}` : 'alert.group',
    id: summary.id,
    groupKey: summary.groupKey ?? null,
    createdAt: iso(summary.createdAt),
    timestamp: iso(attemptAt),
    title: summary.title,
    text: renderPlainText(summary),
    state: summary.state,
    severity: summary.severity,
    counts: summary.counts,
    events,
    event: events[0] ?? null,
  };
}

/**
 * The default JSON body, shaped as Standard Webhooks recommends: `type`, `timestamp` and the
 * event `data`.
 */
export function defaultJsonPayload(context: WebhookTemplateContext): unknown {
  const { type, timestamp, ...data } = context;
  const { event: _first, ...rest } = data;
  return { type, timestamp, data: rest };
}

// --- Discord (https://discord.com/developers/docs/resources/webhook#execute-webhook) ---

/** Discord's documented embed limits. */
const discordLimits = { embeds: 10, title: 256, description: 4096, fields: 25, fieldName: 256, fieldValue: 1024, total: 6000, content: 2000 } as const;

const discordColours: Readonly<Record<string, number>> = {
  critical: 0xd93025,
  warning: 0xf29900,
  info: 0x1a73e8,
  resolved: 0x188038,
  ok: 0x188038,
  flapping: 0x9334e6,
  pending: 0xf9ab00,
};

function colourOf(event: AlertEvent): number {
  return (event.state === 'firing' ? discordColours[event.severity] : discordColours[event.state]) ?? 0x5f6368;
}

/** Cuts escaped markdown to `limit` without leaving a dangling `\`. */
function cutMarkdown(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let cut = text.slice(0, limit - 1);
  // An odd run of trailing backslashes would escape the ellipsis.
  const trailing = /\\+$/.exec(cut)?.[0].length ?? 0;
  if (trailing % 2 === 1) cut = cut.slice(0, -1);
  return `${cut}…`;
}

interface DiscordEmbed {
  title?: string;
  description?: string;
  url?: string;
  color?: number;
  timestamp?: string;
  fields?: { name: string; value: string; inline: boolean }[];
  footer?: { text: string };
}

function embedLength(embed: DiscordEmbed): number {
  return (embed.title?.length ?? 0) + (embed.description?.length ?? 0) + (embed.footer?.text.length ?? 0) + (embed.fields ?? []).reduce((sum, field) => sum + field.name.length + field.value.length, 0);
}

function detailedEmbed(event: EventSummary): DiscordEmbed {
  return {
    title: cutMarkdown(escapeDiscordMarkdown(event.heading), discordLimits.title),
    description: cutMarkdown(escapeDiscordMarkdown(event.message), discordLimits.description),
    ...(event.link ? { url: event.link } : {}),
    color: colourOf(event.event),
    timestamp: iso(event.event.at),
    fields: event.fields.slice(0, discordLimits.fields).map((field) => ({
      name: field.label,
      value: cutMarkdown(escapeDiscordMarkdown(field.value), discordLimits.fieldValue),
      inline: field.label !== 'Tags' && field.label !== 'Values' && field.label !== 'Since',
    })),
  };
}

/**
 * A Discord webhook body: one detailed embed per event when they fit Discord's limits (at most
 * 10 embeds, 6,000 characters), otherwise embeds listing one line per event. Mentions are
 * never parsed (`allowed_mentions`), so an `@everyone` in a message pings nobody.
 */
export function discordPayload(summary: NotificationSummary): unknown {
  const content = cutMarkdown(escapeDiscordMarkdown(summary.title), discordLimits.content);
  const detailed = summary.events.map(detailedEmbed);
  const detailedTotal = detailed.reduce((sum, embed) => sum + embedLength(embed), 0);
  let embeds: DiscordEmbed[];
  if (detailed.length <= discordLimits.embeds && detailedTotal <= discordLimits.total - content.length) {
    embeds = detailed;
  } else {
    embeds = [];
    let budget = discordLimits.total - content.length - 64;
    let current: string[] = [];
    let currentLength = 0;
    let shown = 0;
    const flush = (): void => {
      if (current.length === 0) return;
      embeds.push({ description: current.join('\n'), color: discordColours[summary.state === 'firing' ? summary.severity : summary.state] ?? 0x5f6368 });
      current = [];
      currentLength = 0;
    };
    for (const event of summary.events) {
      const line = cutMarkdown(escapeDiscordMarkdown(event.link ? `${event.line} — ${event.link}` : event.line), 160);
      if (line.length + 1 > budget) break;
      // Room is kept for the closing "and N more" line.
      if (currentLength + line.length + 1 > discordLimits.description - 32) {
        if (embeds.length + 1 >= discordLimits.embeds) break;
        flush();
      }
      current.push(line);
      currentLength += line.length + 1;
      budget -= line.length + 1;
      shown += 1;
    }
    const hidden = summary.events.length - shown;
    if (hidden > 0) current.push(`… and ${hidden} more`);
    flush();
  }
  return { content, embeds, allowed_mentions: { parse: [] } };
}

// --- Slack (https://api.slack.com/messaging/webhooks, https://api.slack.com/reference/block-kit) ---

/** Slack's documented Block Kit limits. */
const slackLimits = { blocks: 50, header: 150, sectionText: 3000, fields: 10, fieldText: 2000, buttonUrl: 3000 } as const;

function cutPlain(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

function plain(text: string, limit: number, emoji = false): { type: 'plain_text'; text: string; emoji: boolean } {
  return { type: 'plain_text', text: cutPlain(text, limit), emoji };
}

/**
 * A Slack incoming-webhook body. Untrusted values go into `plain_text` objects, which Slack
 * never formats or links; the `text` fallback (shown in notifications) is escaped for mrkdwn.
 */
export function slackPayload(summary: NotificationSummary): unknown {
  const blocks: unknown[] = [{ type: 'header', text: plain(summary.title, slackLimits.header, true) }];
  if (!summary.grouped) {
    const event = summary.events[0] as EventSummary;
    blocks.push({ type: 'section', text: plain(event.message || event.heading, slackLimits.sectionText) });
    blocks.push({
      type: 'section',
      fields: event.fields.slice(0, slackLimits.fields).map((field) => plain(`${field.label}: ${field.value}`, slackLimits.fieldText)),
    });
    if (event.link && event.link.length <= slackLimits.buttonUrl) {
      blocks.push({ type: 'actions', elements: [{ type: 'button', text: plain('Open', 75, false), url: event.link }] });
    }
  } else {
    let current: string[] = [];
    let currentLength = 0;
    let shown = 0;
    const flush = (): void => {
      if (current.length === 0) return;
      blocks.push({ type: 'section', text: plain(current.join('\n'), slackLimits.sectionText) });
      current = [];
      currentLength = 0;
    };
    for (const event of summary.events) {
      const line = cutPlain(event.link ? `${event.line} — ${event.link}` : event.line, 300);
      if (currentLength + line.length + 1 > slackLimits.sectionText) {
        // Keep one block free for the "and N more" line.
        if (blocks.length + 2 >= slackLimits.blocks) break;
        flush();
      }
      current.push(line);
      currentLength += line.length + 1;
      shown += 1;
    }
    const hidden = summary.events.length - shown;
    flush();
    if (hidden > 0) blocks.push({ type: 'context', elements: [plain(`… and ${hidden} more`, 100)] });
  }
  return { text: escapeSlackText(cleanValue(summary.title, 3000)), blocks };
}
