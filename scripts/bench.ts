/**
 * `npm run bench [filter]`: runs every `packages/*\/bench/*.bench.ts` (and `bench/*.bench.ts`) in
 * its own process, collects the reports and prints a Markdown table ready for
 * docs/benchmarks.md. Raw reports go to `.bench-out/results.json`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_MARKER, type BenchReport, machineDescription } from './bench-kit.js';

const root = path.resolve(import.meta.dirname, '..');
const filter = process.argv[2];

function benchFiles(): string[] {
  const files: string[] = [];
  const directories = [path.join(root, 'bench')];
  for (const group of ['packages', 'examples']) {
    const base = path.join(root, group);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base)) directories.push(path.join(base, entry, 'bench'));
  }
  for (const directory of directories) {
    if (!existsSync(directory)) continue;
    for (const file of readdirSync(directory).sort()) {
      if (file.endsWith('.bench.ts')) files.push(path.join(directory, file));
    }
  }
  return files.filter((file) => !filter || file.includes(filter));
}

function runFile(file: string): Promise<(BenchReport & { ratio: number; file: string })[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--conditions=@vigil/source', '--import', 'tsx', file],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split('\n')) if (line && !line.startsWith(BENCH_MARKER)) process.stdout.write(`  ${line}\n`);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) {
        reject(new Error(`${path.relative(root, file)} exited with ${code}`));
        return;
      }
      const reports = output
        .split('\n')
        .filter((line) => line.startsWith(BENCH_MARKER))
        .map((line) => ({ ...(JSON.parse(line.slice(BENCH_MARKER.length)) as BenchReport & { ratio: number }), file: path.relative(root, file) }));
      resolve(reports);
    });
  });
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(3)).toString();
}

const all: (BenchReport & { ratio: number; file: string })[] = [];
let failed = 0;
for (const file of benchFiles()) {
  process.stdout.write(`\n# ${path.relative(root, file)}\n`);
  try {
    all.push(...(await runFile(file)));
  } catch (error) {
    failed += 1;
    process.stdout.write(`  FAILED: ${(error as Error).message}\n`);
  }
}

const lines = [
  `Machine: ${machineDescription()}`,
  `Command: npm run bench${filter ? ` ${filter}` : ''} (${new Date().toISOString().slice(0, 10)})`,
  '',
  '| Benchmark | Baseline | Subject | Ratio (>1 = subject better) | Goal | Extra |',
  '| --- | --- | --- | --- | --- | --- |',
  ...all.map((entry) => {
    const extra = Object.entries(entry.extra ?? {})
      .map(([key, value]) => `${key}: ${typeof value === 'number' ? formatNumber(value) : value}`)
      .join('; ');
    return `| ${entry.name} | ${entry.baseline.label}: ${formatNumber(entry.baseline.value)} ${entry.baseline.unit} | ${entry.subject.label}: ${formatNumber(entry.subject.value)} ${entry.subject.unit} | ${entry.ratio.toFixed(2)}x | ${entry.goal ?? ''} | ${extra} |`;
  }),
];
process.stdout.write(`\n${lines.join('\n')}\n`);
mkdirSync(path.join(root, '.bench-out'), { recursive: true });
writeFileSync(path.join(root, '.bench-out', 'results.json'), `${JSON.stringify({ machine: machineDescription(), reports: all }, null, 2)}\n`);
if (failed > 0) process.exitCode = 1;
