import { describe, expect, it } from 'vitest';
import { checkPackage, missingReferences, packageDirectories } from './package-rules.js';

describe('packaging rules', () => {
  it('finds the packages', () => {
    expect(packageDirectories().length).toBeGreaterThanOrEqual(4);
  });

  it.each(packageDirectories().map((directory) => [directory.split('/').at(-1) as string, directory]))('%s follows the packaging rules', (_name, directory) => {
    expect(checkPackage(directory)).toEqual([]);
  });

  it('every package is referenced from the root tsconfig.json', () => {
    expect(missingReferences()).toEqual([]);
  });
});
