import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { AlertRule } from '../contracts/alert.js';
import { alertManagerOptionsSchema } from '../alerts/alert-manager.js';
import { type AlertRuleConfig, alertRuleConfigSchema, createAlertRule } from '../alerts/rule-config.js';
import { VigilError, describeError } from '../errors/vigil-error.js';
import type { PluginRegistry } from '../plugins/registry.js';
import { type FileSpoolOptions, createFileSpool, parseByteSize } from '../runtime/file-spool.js';
import type { MonitorCheckDefinition, MonitorOptions, Named } from '../runtime/monitor.js';
import { cron, every } from '../scheduler/index.js';
import type { Notifier } from '../contracts/notifier.js';
import type { Sink } from '../contracts/sink.js';
import { parseDuration } from '../util/duration.js';
import { interpolateEnv } from './interpolate.js';
import { parseOptions } from './parse-options.js';

const durationSchema = z.union([z.number().nonnegative(), z.string().min(1)]).superRefine((value, context) => {
  try {
    parseDuration(value);
  } catch {
    context.addIssue({ code: 'custom', message: 'expected a duration like 500ms, 30s, 5m or a number of milliseconds' });
  }
});

const positiveDurationSchema = durationSchema.superRefine((value, context) => {
  try {
    if (parseDuration(value) <= 0) context.addIssue({ code: 'custom', message: 'expected a positive duration' });
  } catch {
    // Reported by durationSchema.
  }
});

const tagsSchema = z.record(z.string(), z.string());

const cronSchema = z.string().superRefine((value, context) => {
  try {
    cron(value);
  } catch (error) {
    context.addIssue({ code: 'custom', message: `expected a cron expression (${describeError(error).replace(/^\[core\] [^:]*: /, '')})` });
  }
});

const identifierSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'expected an id of letters, digits and _ . : -');

/** The options the core owns for every check (the rest of a check entry goes to its plugin). */
export const checkEntrySchema = z.looseObject({
  id: identifierSchema,
  type: z.string().min(1),
  interval: positiveDurationSchema.optional(),
  cron: cronSchema.optional(),
  timezone: z.string().optional(),
  jitter: durationSchema.optional(),
  splay: z.boolean().optional(),
  timeout: positiveDurationSchema.optional(),
  retries: z.number().int().min(0).max(10).optional(),
  retryDelay: durationSchema.optional(),
  overlap: z.enum(['skip', 'queue']).optional(),
  tags: tagsSchema.optional(),
  enabled: z.boolean().optional(),
});

const coreCheckKeys = new Set(Object.keys(checkEntrySchema.shape));

const pluginEntrySchema = z.looseObject({ id: identifierSchema.optional(), type: z.string().min(1) });

const byteSizeSchema = z.union([z.number().int().positive(), z.string().min(1)]).superRefine((value, context) => {
  try {
    parseByteSize(value);
  } catch {
    context.addIssue({ code: 'custom', message: 'expected a size like 64MiB, 500KB or a number of bytes' });
  }
});

/** A sink's on-disk spool (core-owned): `false` turns it off; see `createFileSpool`. */
const sinkSpoolSchema = z.union([
  z.literal(false),
  z.strictObject({
    /** Default `<data-dir>/spool/<sink id>` under `vigil run`. */
    directory: z.string().min(1).optional(),
    maxBytes: byteSizeSchema.optional(),
    fsync: z.enum(['always', 'segment', 'never']).optional(),
  }),
]);

/** A sink entry: the plugin's own options plus the core-owned `spool`. */
const sinkEntrySchema = pluginEntrySchema.extend({ spool: sinkSpoolSchema.optional() });

/** A `rules:` entry: `type` (consecutiveFailures, failureRatio, latencyAbove, ...) plus that rule's options. */
const ruleSchema = alertRuleConfigSchema;

/** The schema of a monitor config file (YAML or JSON). */
export const monitorConfigSchema = z.strictObject({
  version: z.literal(1).default(1),
  defaults: z
    .strictObject({
      interval: positiveDurationSchema.optional(),
      timeout: positiveDurationSchema.optional(),
      retries: z.number().int().min(0).max(10).optional(),
      retryDelay: durationSchema.optional(),
      jitter: durationSchema.optional(),
      tags: tagsSchema.optional(),
    })
    .default({}),
  checks: z.array(checkEntrySchema).default([]),
  sinks: z.array(sinkEntrySchema).default([]),
  notifiers: z.array(pluginEntrySchema).default([]),
  rules: z.array(ruleSchema).default([]),
  /** Routing, grouping, repeats, escalations and maintenance windows (see docs/alerting.md). */
  alerting: alertManagerOptionsSchema.optional(),
  monitor: z
    .strictObject({
      concurrency: z.number().int().positive().optional(),
      perTargetConcurrency: z.number().int().positive().optional(),
      snapshotInterval: positiveDurationSchema.optional(),
      stopTimeout: positiveDurationSchema.optional(),
      alertTickInterval: positiveDurationSchema.optional(),
      sinkQueue: z
        .strictObject({
          maxQueueSize: z.number().int().positive().optional(),
          maxBatchSize: z.number().int().positive().optional(),
          flushIntervalMs: z.number().int().positive().optional(),
          writeTimeoutMs: z.number().int().positive().optional(),
        })
        .optional(),
    })
    .default({}),
});

export type MonitorConfigInput = z.input<typeof monitorConfigSchema>;
export type MonitorConfig = z.output<typeof monitorConfigSchema>;

export interface LoadedConfig {
  readonly config: MonitorConfig;
  /** Secret values found while interpolating; pass them to the logger for redaction. */
  readonly secrets: readonly string[];
  /** The file the config came from, if any. */
  readonly file?: string;
}

export interface ParseConfigOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Validates a config object (after `${ENV}` interpolation); errors name the field. */
export function parseMonitorConfig(input: unknown, options: ParseConfigOptions = {}): LoadedConfig {
  const { value, secrets } = interpolateEnv(input ?? {}, options.env ?? process.env);
  const config = parseOptions(monitorConfigSchema, value, { source: 'config' });
  const seen = new Map<string, number>();
  config.checks.forEach((check, index) => {
    const first = seen.get(check.id);
    if (first !== undefined) {
      throw new VigilError('VIGIL_ERR_CONFIG', `[config] invalid options: checks[${index}].id: duplicate id "${check.id}" (also checks[${first}])`, {
        path: `checks[${index}].id`,
      });
    }
    seen.set(check.id, index);
    if (check.cron !== undefined && check.interval !== undefined) {
      throw new VigilError('VIGIL_ERR_CONFIG', `[config] invalid options: checks[${index}]: set either interval or cron, not both`, {
        path: `checks[${index}].cron`,
      });
    }
  });
  // Routes and escalations name notifiers by id; a typo would silently page nobody.
  const notifierIds = new Set(config.notifiers.map((entry, index) => notifierIdOf(entry, index, config.notifiers.length)));
  const references = [
    ...(config.alerting?.routes ?? []).flatMap((route, index) => (route.notifiers ?? []).map((id, position) => ({ id, path: `alerting.routes[${index}].notifiers[${position}]` }))),
    ...(config.alerting?.escalations ?? []).flatMap((escalation, index) => escalation.notifiers.map((id, position) => ({ id, path: `alerting.escalations[${index}].notifiers[${position}]` }))),
  ];
  for (const { id, path: field } of references) {
    if (!notifierIds.has(id)) {
      const known = notifierIds.size === 0 ? 'no notifiers are configured' : `known: ${[...notifierIds].join(', ')}`;
      throw new VigilError('VIGIL_ERR_CONFIG', `[config] invalid options: ${field}: unknown notifier "${id}" (${known})`, { path: field });
    }
  }
  return { config, secrets };
}

/** Reads a YAML (`.yaml`/`.yml`) or JSON file, interpolates `${ENV}` and validates it. */
export async function loadMonitorConfig(file: string, options: ParseConfigOptions = {}): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new VigilError('VIGIL_ERR_CONFIG_FILE', `[config] cannot read ${file}: ${describeError(error)}`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = path.extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new VigilError('VIGIL_ERR_CONFIG_FILE', `[config] ${file} is not valid ${path.extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${describeError(error)}`, {
      cause: error,
    });
  }
  return { ...parseMonitorConfig(raw, options), file };
}

function pluginOptions(entry: Record<string, unknown>, coreKeys: ReadonlySet<string>): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) if (!coreKeys.has(key)) options[key] = value;
  return options;
}

/** Builds a rule from its config entry. */
export function createRuleFromConfig(rule: AlertRuleConfig): AlertRule {
  return createAlertRule(rule);
}

/** The id a notifier entry gets: its own, else its type (numbered when there are several). */
function notifierIdOf(entry: { readonly id?: string | undefined; readonly type: string }, index: number, count: number): string {
  return entry.id ?? (count === 1 ? entry.type : `${entry.type}-${index + 1}`);
}

export interface MonitorOptionsFromConfigOptions {
  /**
   * Every sink without `spool: false` gets an on-disk spool in `<spoolDirectory>/<sink id>`
   * (unless its entry names a directory). Without it, only entries with `spool.directory` do.
   */
  readonly spoolDirectory?: string;
}

/**
 * Turns a validated config into `createMonitor` options: creates every plugin through the
 * registry (so its options schema names bad fields as `checks[2].port`), applies defaults.
 */
export function monitorOptionsFromConfig(config: MonitorConfig, registry: PluginRegistry, options: MonitorOptionsFromConfigOptions = {}): MonitorOptions {
  const { defaults } = config;
  const checks: MonitorCheckDefinition[] = config.checks.map((entry, index) => {
    const where = `checks[${index}]`;
    const check = registry.create('check', entry.type, pluginOptions(entry, coreCheckKeys), where);
    const usesCron = entry.cron !== undefined;
    // Validate the trigger now so errors name the field.
    if (!usesCron) every(parseDuration(entry.interval ?? defaults.interval ?? 60_000, `${where}.interval`));
    return {
      id: entry.id,
      check,
      interval: usesCron ? undefined : (entry.interval ?? defaults.interval),
      cron: entry.cron,
      timezone: entry.timezone,
      jitter: entry.jitter ?? defaults.jitter,
      splay: entry.splay,
      timeout: entry.timeout ?? defaults.timeout,
      retries: entry.retries ?? defaults.retries,
      retryDelay: entry.retryDelay ?? defaults.retryDelay,
      overlap: entry.overlap,
      tags: { ...defaults.tags, ...entry.tags },
      enabled: entry.enabled,
    };
  });
  const pluginKeys = new Set(['id', 'type']);
  const sinkKeys = new Set(['id', 'type', 'spool']);
  const spoolOptions = new Map<string, FileSpoolOptions>();
  const sinks: Named<Sink>[] = config.sinks.map((entry, index) => {
    const id = entry.id ?? (config.sinks.length === 1 ? entry.type : `${entry.type}-${index + 1}`);
    const spool = entry.spool;
    if (spool !== false) {
      const directory = spool?.directory ?? (options.spoolDirectory === undefined ? undefined : path.join(options.spoolDirectory, id));
      if (directory !== undefined) {
        spoolOptions.set(id, { directory, maxBytes: spool?.maxBytes === undefined ? undefined : parseByteSize(spool.maxBytes), fsync: spool?.fsync });
      } else if (spool !== undefined) {
        throw new VigilError('VIGIL_ERR_CONFIG', `[config] invalid options: sinks[${index}].spool.directory: required when no data directory is given`, {
          path: `sinks[${index}].spool.directory`,
        });
      }
    }
    return { id, plugin: registry.create('sink', entry.type, pluginOptions(entry, sinkKeys), `sinks[${index}]`) };
  });
  const notifiers: Named<Notifier>[] = config.notifiers.map((entry, index) => ({
    id: notifierIdOf(entry, index, config.notifiers.length),
    plugin: registry.create('notifier', entry.type, pluginOptions(entry, pluginKeys), `notifiers[${index}]`),
  }));
  return {
    checks,
    sinks,
    notifiers,
    rules: config.rules.map(createRuleFromConfig),
    alerting: config.alerting,
    alertTickInterval: config.monitor.alertTickInterval,
    concurrency: config.monitor.concurrency,
    perTargetConcurrency: config.monitor.perTargetConcurrency,
    snapshotInterval: config.monitor.snapshotInterval,
    stopTimeout: config.monitor.stopTimeout,
    sinkQueue: config.monitor.sinkQueue,
    spoolFor: spoolOptions.size === 0 ? undefined : (sinkId) => {
      const spool = spoolOptions.get(sinkId);
      return spool === undefined ? undefined : createFileSpool(spool);
    },
  };
}
