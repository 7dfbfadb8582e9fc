/**
 * The repository's packaging rules, checked by scripts/package-rules.test.ts (part of npm test):
 * every plugin package (`checks-*`, `sinks-*`, `notifiers-*`) has a README with the expected
 * sections, a tsup config, a `src/index.ts` with explicit exports of its `create*` factory and
 * `*OptionsSchema`, and a package.json that ships ESM + types for Node >= 20.18.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export const repositoryRoot = path.resolve(import.meta.dirname, '..');

export interface PackageProblem {
  readonly packageDirectory: string;
  readonly problem: string;
}

const pluginPrefixes = ['checks-', 'sinks-', 'notifiers-'];
const readmeSections = ['Install', 'Configuration', 'Example'];

/** Every directory under packages/. */
export function packageDirectories(): string[] {
  const base = path.join(repositoryRoot, 'packages');
  return readdirSync(base, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(base, entry.name, 'package.json')))
    .map((entry) => path.join(base, entry.name));
}

/** What is wrong with one package, if anything. */
export function checkPackage(directory: string): PackageProblem[] {
  const problems: PackageProblem[] = [];
  const name = path.basename(directory);
  const report = (problem: string): void => void problems.push({ packageDirectory: `packages/${name}`, problem });
  const manifest = JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as Record<string, unknown>;
  const exportsField = (manifest.exports as Record<string, Record<string, string>> | undefined)?.['.'];
  if (manifest.type !== 'module') report('package.json: "type" must be "module"');
  if (!exportsField?.types || !exportsField.import) report('package.json: exports["."] needs "types" and "import"');
  if (exportsField?.['@vigil/source'] !== './src/index.ts') report('package.json: exports["."]["@vigil/source"] must be ./src/index.ts');
  if (!(manifest.files as string[] | undefined)?.includes('dist')) report('package.json: "files" must include "dist"');
  if ((manifest.engines as Record<string, string> | undefined)?.node !== '>=20.18') report('package.json: engines.node must be ">=20.18"');
  if (!existsSync(path.join(directory, 'tsup.config.ts'))) report('missing tsup.config.ts');
  if (!existsSync(path.join(directory, 'tsconfig.json'))) report('missing tsconfig.json');
  const indexFile = path.join(directory, 'src', 'index.ts');
  if (!existsSync(indexFile)) {
    report('missing src/index.ts');
    return problems;
  }
  const index = readFileSync(indexFile, 'utf8');
  if (/export\s+\*\s+from/.test(index)) report('src/index.ts: use explicit named exports, not export *');
  if (pluginPrefixes.some((prefix) => name.startsWith(prefix))) {
    if (!/\bcreate[A-Z]\w*/.test(index)) report('src/index.ts: must export its create* factory');
    if (!/\b\w+OptionsSchema\b/.test(index)) report('src/index.ts: must export its *OptionsSchema');
    if (!/\b\w+Plugin\b/.test(index)) report('src/index.ts: must export its *Plugin definition');
    const readmeFile = path.join(directory, 'README.md');
    if (!existsSync(readmeFile)) report('missing README.md');
    else {
      const readme = readFileSync(readmeFile, 'utf8');
      for (const section of readmeSections) if (!new RegExp(`^#+ .*${section}`, 'm').test(readme)) report(`README.md: missing a "${section}" section`);
    }
  }
  return problems;
}

/** Packages missing from the root tsconfig.json references. */
export function missingReferences(): string[] {
  const rootConfig = JSON.parse(readFileSync(path.join(repositoryRoot, 'tsconfig.json'), 'utf8')) as { references: { path: string }[] };
  const referenced = new Set(rootConfig.references.map((reference) => path.normalize(reference.path)));
  return packageDirectories()
    .map((directory) => path.relative(repositoryRoot, directory))
    .filter((relative) => !referenced.has(path.normalize(relative)));
}
