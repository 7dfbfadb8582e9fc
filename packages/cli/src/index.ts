// @vigil/cli: the `vigil` command, also usable programmatically.
export { main } from './main.js';
export { processIo, exitCodes } from './io.js';
export type { CliIo } from './io.js';
export { checkKindCommands } from './check-kinds/index.js';
export type { CheckKindCommand, FlagValues } from './check-kinds/types.js';
export { parseHostPort } from './check-kinds/target.js';
export { builtinPlugins, createBuiltinRegistry } from './registry.js';
export { exitCodeFor, formatNagiosLine, summarize } from './output.js';
export type { CheckSummary } from './output.js';
