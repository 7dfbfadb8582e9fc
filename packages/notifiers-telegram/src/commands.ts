import { type ActiveAlert, type CheckStatus, type ResultRecord, VigilError, describeError, formatDuration, parseDuration } from '@vigil/core';
import { cleanValue, formatElapsed, formatTimestamp, stateEmojiOf } from '@vigil/notification-format';
import type { BotCheck, TelegramBotControl } from './control.js';
import { type Line, bold, code, italic, text } from './rich-text.js';
import type { IncomingCommand } from './updates.js';

/** What command handlers need besides the command. */
export interface CommandContext {
  readonly control: TelegramBotControl | undefined;
  /** Epoch ms. */
  readonly now: number;
  readonly timeZone: string;
  /** The tag whose value is a check's category (`/servers <category>`). */
  readonly categoryTag: string;
  /** Who is asking, for silences and acknowledgements: `telegram:@name` or `telegram:<id>`. */
  readonly actor: string;
}

/** The commands the bot answers, with their help text (also what to give BotFather's /setcommands). */
export const botCommands: readonly { readonly command: string; readonly usage: string; readonly description: string }[] = [
  { command: 'status', usage: '/status', description: 'Overview: checks up and down, alerts, silences' },
  { command: 'servers', usage: '/servers [category]', description: 'List checks, optionally of one category' },
  { command: 'server', usage: '/server <name>', description: 'Details of one check' },
  { command: 'test', usage: '/test <name>', description: 'Run a check now and show the result' },
  { command: 'alerts', usage: '/alerts', description: 'Active alerts' },
  { command: 'silence', usage: '/silence <matcher> <duration>', description: 'Mute alerts, e.g. /silence web 2h or /silence env=prod 30m' },
  { command: 'unsilence', usage: '/unsilence <id>', description: 'End a silence' },
  { command: 'ack', usage: '/ack <alert>', description: 'Acknowledge an alert (stops repeats and escalations)' },
  { command: 'help', usage: '/help', description: 'This list' },
];

const statusEmoji: Readonly<Record<CheckStatus, string>> = { up: '✅', degraded: '🟠', down: '🔴', unknown: '⚪' };
const notRunEmoji = '⏳';

function statusOf(check: BotCheck): string {
  return check.last ? statusEmoji[check.last.status] : notRunEmoji;
}

const clean = (value: string, limit = 300): string => cleanValue(value, limit);

function resultLines(record: ResultRecord, timeZone: string, now: number): Line[] {
  const lines: Line[] = [[text(`${statusEmoji[record.status]} `), bold(record.checkId), text(` is ${record.status} (${record.reason}) in ${formatDuration(record.durationMs)}`)]];
  if (record.message) lines.push([text(clean(record.message, 600))]);
  lines.push([italic(`at ${formatTimestamp(record.timestamp, timeZone)} (${formatElapsed(now - record.timestamp)} ago)`)]);
  return lines;
}

function findCheck(control: TelegramBotControl, name: string): BotCheck | undefined {
  const checks = control.checks();
  return checks.find((check) => check.id === name) ?? checks.find((check) => check.id.toLowerCase() === name.toLowerCase());
}

function unknownCheck(control: TelegramBotControl, name: string): Line[] {
  const names = control.checks().map((check) => check.id);
  const similar = names.filter((id) => id.toLowerCase().includes(name.toLowerCase())).slice(0, 10);
  return [[text(`No check named "${clean(name, 80)}".`)], similar.length > 0 ? [text('Did you mean: '), ...similar.flatMap((id, index) => [...(index > 0 ? [text(', ')] : []), code(id)])] : [text('See /servers.')]];
}

function alertLine(alert: ActiveAlert, context: CommandContext): Line {
  const marks = [
    alert.acknowledged ? `ack by ${alert.acknowledged.by}` : undefined,
    alert.silencedBy.length > 0 ? 'silenced' : undefined,
    alert.maintenance ? `maintenance ${alert.maintenance}` : undefined,
  ].filter((mark): mark is string => mark !== undefined);
  return [
    text(`${stateEmojiOf(alert.state, alert.severity)} `),
    code(alert.alertId),
    text(` ${alert.state} for ${formatElapsed(context.now - alert.since)}: ${clean(alert.message, 200)}${marks.length > 0 ? ` (${marks.join(', ')})` : ''}`),
  ];
}

function help(): Line[] {
  return [[bold('Vigil bot commands')], ...botCommands.map((entry): Line => [code(entry.usage), text(` — ${entry.description}`)])];
}

function status(control: TelegramBotControl, context: CommandContext): Line[] {
  const checks = control.checks();
  const count = (status: CheckStatus): number => checks.filter((check) => check.last?.status === status).length;
  const notRun = checks.filter((check) => check.last === undefined).length;
  const alerts = control.alerts();
  const byState = (state: string): number => alerts.filter((alert) => alert.state === state).length;
  const silences = control.silences().filter((silence) => silence.startsAt <= context.now);
  const lines: Line[] = [
    [bold(`📊 ${checks.length} checks`)],
    [text(`✅ ${count('up')} up · 🟠 ${count('degraded')} degraded · 🔴 ${count('down')} down · ⚪ ${count('unknown')} unknown · ⏳ ${notRun} not run yet`)],
    [text(`🚨 ${byState('firing')} firing · 🔀 ${byState('flapping')} flapping · 🟡 ${byState('pending')} pending · 🔕 ${silences.length} silences`)],
  ];
  const firing = alerts.filter((alert) => alert.state === 'firing').slice(0, 10);
  if (firing.length > 0) lines.push([], ...firing.map((alert) => alertLine(alert, context)));
  return lines;
}

function servers(control: TelegramBotControl, context: CommandContext, category: string | undefined): Line[] {
  const checks = [...control.checks()].sort((left, right) => left.id.localeCompare(right.id));
  const categoryOf = (check: BotCheck): string => check.tags[context.categoryTag] ?? '';
  const line = (check: BotCheck): Line => {
    const last = check.last;
    const detail = last ? ` ${last.status === 'up' ? formatDuration(last.durationMs) : `${last.status} (${last.reason})`}` : ' not run yet';
    return [text(`${statusOf(check)} `), bold(check.id), text(` ${clean(check.target, 120)}${detail}${check.enabled ? '' : ' (disabled)'}`)];
  };
  if (category !== undefined) {
    const wanted = category.toLowerCase();
    const matching = checks.filter((check) => categoryOf(check).toLowerCase() === wanted);
    if (matching.length === 0) {
      const known = [...new Set(checks.map(categoryOf).filter((name) => name !== ''))].sort();
      return [[text(`No checks in category "${clean(category, 80)}".`)], [text(known.length > 0 ? `Categories: ${known.join(', ')}` : `No check has a "${context.categoryTag}" tag.`)]];
    }
    return [[bold(`${clean(category, 80)}: ${matching.length} checks`)], ...matching.map(line)];
  }
  if (checks.length === 0) return [[text('No checks are configured.')]];
  const groups = new Map<string, BotCheck[]>();
  for (const check of checks) groups.set(categoryOf(check), [...(groups.get(categoryOf(check)) ?? []), check]);
  if (groups.size === 1) return [[bold(`${checks.length} checks`)], ...checks.map(line)];
  const lines: Line[] = [];
  for (const name of [...groups.keys()].sort((left, right) => (left === '' ? 1 : right === '' ? -1 : left.localeCompare(right)))) {
    if (lines.length > 0) lines.push([]);
    lines.push([bold(name === '' ? 'Uncategorized' : clean(name, 80))], ...(groups.get(name) as BotCheck[]).map(line));
  }
  return lines;
}

function server(control: TelegramBotControl, context: CommandContext, name: string): Line[] {
  const check = findCheck(control, name);
  if (!check) return unknownCheck(control, name);
  const lines: Line[] = [[text(`${statusOf(check)} `), bold(check.id), text(` (${check.type} ${clean(check.target, 200)})${check.enabled ? '' : ' disabled'}`)]];
  const tags = Object.entries(check.tags).sort(([left], [right]) => left.localeCompare(right));
  if (tags.length > 0) lines.push([bold('Tags: '), text(clean(tags.map(([key, value]) => `${key}=${value}`).join(', '), 600))]);
  if (check.last) {
    lines.push([bold('Last: '), text(`${check.last.status} (${check.last.reason}) in ${formatDuration(check.last.durationMs)}, ${formatElapsed(context.now - check.last.timestamp)} ago`)]);
    if (check.last.message) lines.push([bold('Message: '), text(clean(check.last.message, 600))]);
  } else lines.push([text('Not run yet.')]);
  if (check.nextRunAt !== undefined) lines.push([bold('Next run: '), text(formatTimestamp(check.nextRunAt, context.timeZone))]);
  const stats = control.stats?.(check.id, 3_600_000);
  if (stats && stats.count > 0) {
    const ratio = Number.isFinite(stats.successRatio) ? `${(stats.successRatio * 100).toFixed(2)}%` : 'n/a';
    const latency = stats.sampleCount > 0 ? `, p50 ${formatDuration(stats.p50)}, p95 ${formatDuration(stats.p95)}, p99 ${formatDuration(stats.p99)}` : '';
    lines.push([bold('Last hour: '), text(`${stats.count} runs, ${ratio} ok${latency}`)]);
  }
  const alerts = control.alerts().filter((alert) => alert.checkId === check.id);
  if (alerts.length > 0) lines.push([bold('Alerts:')], ...alerts.map((alert) => alertLine(alert, context)));
  return lines;
}

async function test(control: TelegramBotControl, context: CommandContext, name: string): Promise<Line[]> {
  const check = findCheck(control, name);
  if (!check) return unknownCheck(control, name);
  try {
    const record = await control.runCheck(check.id);
    return resultLines(record, context.timeZone, Math.max(context.now, record.timestamp));
  } catch (error) {
    return [[text(`Could not run ${check.id}: ${clean(describeError(error), 300)}`)]];
  }
}

function alertsList(control: TelegramBotControl, context: CommandContext): Line[] {
  const alerts = control.alerts();
  if (alerts.length === 0) return [[text('✅ No active alerts.')]];
  return [[bold(`${alerts.length} active alerts`)], ...alerts.map((alert) => alertLine(alert, context))];
}

/** `/silence <matcher> <duration>`: a bare name means `checkId=<name>`. */
function silence(control: TelegramBotControl, context: CommandContext, command: IncomingCommand): Line[] {
  const parts = command.argumentText.split(/\s+/).filter((part) => part.length > 0);
  if (parts.length < 2) return [[text('Usage: '), code('/silence <matcher> <duration>')], [text('e.g. '), code('/silence web 2h'), text(', '), code('/silence env=prod,severity=warning 30m')]];
  const durationText = parts.at(-1) as string;
  let durationMs: number;
  try {
    durationMs = parseDuration(durationText);
  } catch {
    return [[text(`"${clean(durationText, 40)}" is not a duration: use e.g. 30m, 2h, 1d.`)]];
  }
  if (durationMs <= 0) return [[text('The duration must be longer than zero.')]];
  const matcherText = parts.slice(0, -1).join(' ');
  const matchers = /[=~]/.test(matcherText) ? matcherText : `checkId=${JSON.stringify(matcherText)}`;
  try {
    const created = control.silence({ matchers, duration: durationMs, createdBy: context.actor, comment: 'via Telegram' });
    const shown = created.matchers.map((matcher) => `${matcher.name}${matcher.operator}${matcher.value}`).join(', ');
    return [
      [text('🔕 Silenced '), code(shown), text(` until ${formatTimestamp(created.endsAt, context.timeZone)} (${formatElapsed(created.endsAt - context.now)}).`)],
      [text('Id '), code(created.id), text(': '), code(`/unsilence ${created.id}`), text(' ends it.')],
    ];
  } catch (error) {
    const message = VigilError.isInstance(error) ? error.message.replace(/^\[[a-z-]+\] (?:alerts: )?/, '') : describeError(error);
    return [[text(`Cannot silence: ${clean(message, 300)}`)]];
  }
}

function unsilence(control: TelegramBotControl, silenceId: string | undefined): Line[] {
  if (!silenceId) return [[text('Usage: '), code('/unsilence <id>')]];
  return control.unsilence(silenceId) ? [[text('🔔 Silence '), code(silenceId), text(' ended.')]] : [[text('No silence with id '), code(clean(silenceId, 40)), text('.')]];
}

/** `/ack <alert>`: an alert id, or a check id with exactly one active alert. */
function acknowledge(control: TelegramBotControl, context: CommandContext, name: string | undefined): Line[] {
  if (!name) return [[text('Usage: '), code('/ack <alert>'), text(' (an alert id from /alerts, or a check name)')]];
  const alerts = control.alerts();
  let candidates = alerts.filter((alert) => alert.alertId === name);
  if (candidates.length === 0) candidates = alerts.filter((alert) => alert.checkId === name || alert.checkId.toLowerCase() === name.toLowerCase());
  if (candidates.length === 0) return [[text(`No active alert "${clean(name, 80)}". See /alerts.`)]];
  if (candidates.length > 1) return [[text('Several alerts match; acknowledge one of:')], ...candidates.map((alert): Line => [code(`/ack ${alert.alertId}`)])];
  const target = candidates[0] as ActiveAlert;
  const result = control.acknowledge(target.alertId, { by: context.actor, comment: 'via Telegram' });
  if (!result) return [[text(`Alert ${target.alertId} is no longer active.`)]];
  return [[text('👍 Acknowledged '), code(result.alertId), text(': no more repeats or escalations for this episode.')]];
}

/** Runs one command and returns the reply's lines. Never throws. */
export async function runCommand(command: IncomingCommand, context: CommandContext): Promise<Line[]> {
  try {
    if (command.command === 'help' || command.command === 'start') return help();
    const control = context.control;
    if (!control) return [[text('The bot is not connected to a monitor yet; try again shortly.')]];
    const first = command.arguments[0];
    switch (command.command) {
      case 'status':
        return status(control, context);
      case 'servers':
        return servers(control, context, command.argumentText === '' ? undefined : command.argumentText);
      case 'server':
        return first ? server(control, context, first) : [[text('Usage: '), code('/server <name>')]];
      case 'test':
        return first ? await test(control, context, first) : [[text('Usage: '), code('/test <name>')]];
      case 'alerts':
        return alertsList(control, context);
      case 'silence':
        return silence(control, context, command);
      case 'unsilence':
        return unsilence(control, first);
      case 'ack':
        return acknowledge(control, context, command.argumentText || undefined);
      default:
        return [[text(`Unknown command /${clean(command.command, 40)}. `), text('Send /help for the list.')]];
    }
  } catch (error) {
    return [[text(`That went wrong: ${clean(describeError(error), 300)}`)]];
  }
}
