import type { z } from 'zod';

/** The contract version every plugin object declares. Bumped only on breaking contract changes. */
export type SpecificationVersion = 'v1';

export type PluginKind = 'check' | 'sink' | 'notifier';

/** Who a plugin is; checked by the registry when it is registered. */
export interface PluginMeta {
  /** The npm package name, e.g. `@vigil/checks-tcp`. */
  readonly name: string;
  readonly kind: PluginKind;
  /** The short type used in config files, e.g. `tcp`. Unique per kind. */
  readonly type: string;
  /** The semver range of `@vigil/core` this plugin works with, e.g. `^0.1.0`. */
  readonly coreRange: string;
  /** Other plugins (by `kind:type`) that must be registered first. */
  readonly dependencies?: readonly string[];
}

/**
 * A registrable plugin: its metadata, its options schema and its factory. Plugin packages export
 * one of these (e.g. `tcpCheckPlugin`) beside the factory and the schema, so config files can
 * name the plugin by type.
 */
export interface PluginDefinition<TOptionsSchema extends z.ZodType = z.ZodType, TInstance = unknown> {
  readonly meta: PluginMeta;
  readonly optionsSchema: TOptionsSchema;
  readonly create: (options: z.input<TOptionsSchema>) => TInstance;
  /** A one-line description for `vigil plugins` and generated docs. */
  readonly description?: string;
}

/** Lifecycle options shared by `flush` and `shutdown`. */
export interface LifecycleOptions {
  /** Give up after this many milliseconds (the plugin abandons pending work, and says so). */
  readonly timeoutMs?: number;
}
