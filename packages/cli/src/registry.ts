import { createPluginRegistry, jsonlFileSinkPlugin } from '@vigil/core';
import type { PluginDefinition, PluginRegistry } from '@vigil/core';
import { tcpCheckPlugin } from '@vigil/checks-tcp';

/** Every plugin the CLI knows by type; add new packages' plugin definitions here. */
export const builtinPlugins: readonly PluginDefinition[] = [tcpCheckPlugin as PluginDefinition, jsonlFileSinkPlugin as PluginDefinition];

/** A registry holding the built-in plugins. */
export function createBuiltinRegistry(): PluginRegistry {
  return createPluginRegistry(builtinPlugins);
}
