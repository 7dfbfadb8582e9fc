import type { Options } from 'tsup';

/** Build options shared by every package: ESM, declarations, sourcemaps, Node 20. */
export const packageBuildOptions: Options = {
  entry: ['src/index.ts'],
  format: ['esm'],
  // Declarations resolve sibling packages to their sources (the "@vigil/source" condition),
  // so packages build in any order; composite is a tsc -b concern only.
  dts: { compilerOptions: { composite: false, declarationMap: false } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
};
