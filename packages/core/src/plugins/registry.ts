import semver from 'semver';
import type { z } from 'zod';
import type { Check } from '../contracts/check.js';
import type { Notifier } from '../contracts/notifier.js';
import type { PluginDefinition, PluginKind } from '../contracts/plugin.js';
import type { Sink } from '../contracts/sink.js';
import { parseOptions } from '../config/parse-options.js';
import { VigilError } from '../errors/vigil-error.js';
import { coreVersion } from '../version.js';

const pluginKinds: readonly PluginKind[] = ['check', 'sink', 'notifier'];

interface InstanceOfKind {
  check: Check;
  sink: Sink;
  notifier: Notifier;
}

/** Known plugins by kind and type; config files name plugins by their type. */
export interface PluginRegistry {
  /** Adds a plugin after checking its metadata, core range and dependencies. */
  register(definition: PluginDefinition): void;
  get(kind: PluginKind, type: string): PluginDefinition | undefined;
  list(kind?: PluginKind): PluginDefinition[];
  /** Validates `options` with the plugin's schema (errors name `path`) and creates an instance. */
  create<TKind extends PluginKind>(kind: TKind, type: string, options: unknown, path?: string): InstanceOfKind[TKind];
}

function keyOf(kind: PluginKind, type: string): string {
  return `${kind}:${type}`;
}

/** Checks a plugin's metadata; throws a coded VigilError naming what is wrong. */
export function validatePluginMeta(definition: PluginDefinition, version = coreVersion): void {
  const meta = definition.meta as Partial<PluginDefinition['meta']> | undefined;
  const label = meta?.name ?? '(unnamed plugin)';
  if (!meta || typeof meta.name !== 'string' || meta.name.length === 0) {
    throw new VigilError('VIGIL_ERR_CONFIG', '[core] plugin: meta.name must be a non-empty string', { path: 'meta.name' });
  }
  if (!meta.kind || !pluginKinds.includes(meta.kind)) {
    throw new VigilError('VIGIL_ERR_CONFIG', `[core] plugin ${label}: meta.kind must be one of ${pluginKinds.join(', ')}, got ${String(meta.kind)}`, {
      path: 'meta.kind',
    });
  }
  if (typeof meta.type !== 'string' || !/^[a-z][a-z0-9-]*$/.test(meta.type)) {
    throw new VigilError('VIGIL_ERR_CONFIG', `[core] plugin ${label}: meta.type must be a lowercase identifier, got ${String(meta.type)}`, {
      path: 'meta.type',
    });
  }
  if (typeof meta.coreRange !== 'string' || semver.validRange(meta.coreRange) === null) {
    throw new VigilError('VIGIL_ERR_CONFIG', `[core] plugin ${label}: meta.coreRange must be a semver range, got ${String(meta.coreRange)}`, {
      path: 'meta.coreRange',
    });
  }
  if (!semver.satisfies(version, meta.coreRange, { includePrerelease: true })) {
    throw new VigilError(
      'VIGIL_ERR_PLUGIN_INCOMPATIBLE',
      `[core] plugin ${label} supports @vigil/core ${meta.coreRange}, but this is ${version}`,
      { details: { plugin: label, coreRange: meta.coreRange, coreVersion: version } },
    );
  }
  if (typeof definition.create !== 'function' || typeof definition.optionsSchema?.safeParse !== 'function') {
    throw new VigilError('VIGIL_ERR_CONFIG', `[core] plugin ${label}: needs an optionsSchema (zod) and a create function`);
  }
}

/** Creates an empty registry. Pass definitions to register them in order. */
export function createPluginRegistry(definitions: readonly PluginDefinition[] = []): PluginRegistry {
  const plugins = new Map<string, PluginDefinition>();

  const registry: PluginRegistry = {
    register(definition) {
      validatePluginMeta(definition);
      const { meta } = definition;
      const key = keyOf(meta.kind, meta.type);
      const existing = plugins.get(key);
      if (existing) {
        throw new VigilError(
          'VIGIL_ERR_PLUGIN_DUPLICATE',
          `[core] a ${meta.kind} plugin of type "${meta.type}" is already registered (by ${existing.meta.name})`,
          { details: { kind: meta.kind, type: meta.type } },
        );
      }
      for (const dependency of meta.dependencies ?? []) {
        if (!plugins.has(dependency)) {
          throw new VigilError('VIGIL_ERR_PLUGIN_DEPENDENCY', `[core] plugin ${meta.name} needs ${dependency}, which is not registered`, {
            details: { plugin: meta.name, dependency },
          });
        }
      }
      plugins.set(key, definition);
    },
    get: (kind, type) => plugins.get(keyOf(kind, type)),
    list: (kind) => [...plugins.values()].filter((definition) => kind === undefined || definition.meta.kind === kind),
    create(kind, type, options, path) {
      const definition = plugins.get(keyOf(kind, type));
      if (!definition) {
        const known = registry.list(kind).map((entry) => entry.meta.type);
        throw new VigilError(
          'VIGIL_ERR_PLUGIN_UNKNOWN',
          `[core] config: ${path ? `${path}: ` : ''}unknown ${kind} type "${type}"; known: ${known.join(', ') || 'none'}`,
          { path, details: { kind, type, known } },
        );
      }
      const parsed = parseOptions(definition.optionsSchema as z.ZodType, options, { source: definition.meta.name.replace(/^@vigil\//, ''), path });
      return definition.create(parsed) as InstanceOfKind[typeof kind];
    },
  };
  for (const definition of definitions) registry.register(definition);
  return registry;
}
