import { defineConfig } from 'vitest/config';

// Resolve workspace packages to their TypeScript sources (the "@vigil/source" export condition
// in each package.json), so tests never run a stale build.
const sourceConditions = ['@vigil/source', 'node', 'import', 'module', 'default'];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions, externalConditions: ['@vigil/source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'scripts/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
