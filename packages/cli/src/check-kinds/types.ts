import type { ParseArgsConfig } from 'node:util';

export type FlagValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

/**
 * How `vigil check <kind> <target> [flags]` maps onto one check plugin: the flags it takes and
 * how target + flags become the plugin's options (validated by the plugin's own schema).
 */
export interface CheckKindCommand {
  /** The plugin type, e.g. `tcp`. */
  readonly type: string;
  /** e.g. `vigil check tcp <host:port> [--tls] ...` */
  readonly usage: string;
  readonly summary: string;
  /** Extra flags, in node:util parseArgs form. */
  readonly flags: NonNullable<ParseArgsConfig['options']>;
  /**
   * `repeat` (default): `--count N` runs the check N times and the summary covers the runs.
   * `option`: the check itself sends N probes in one run (ICMP echoes, SMP pings); `--count`
   * and `--interval` are passed to `toOptions` and the summary reads `summaryHistogram`.
   */
  readonly countMode?: 'repeat' | 'option';
  /** With countMode `option`: the histogram metric the check records per probe (e.g. `rtt`). */
  readonly summaryHistogram?: string;
  /** Builds plugin options. Throw a VigilError (VIGIL_ERR_CONFIG) for a bad target. */
  toOptions(target: string, flags: FlagValues, common: { readonly count: number; readonly intervalMs: number; readonly timeoutMs: number }): Record<string, unknown>;
}
