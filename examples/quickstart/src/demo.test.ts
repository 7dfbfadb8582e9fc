import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from './demo.js';

const directory = await mkdtemp(path.join(tmpdir(), 'vigil-quickstart-'));
afterAll(() => rm(directory, { recursive: true, force: true }));

describe('quick start demo', () => {
  it('monitors its local services, stores results and prints summaries', async () => {
    let output = '';
    const { results } = await runDemo({ dataDirectory: directory, durationMs: 2_500, summaryEveryMs: 1_000, interval: '500ms', write: (text) => (output += text) });
    expect(results).toBeGreaterThanOrEqual(6);
    const stored = (await readFile(path.join(directory, 'quickstart.jsonl'), 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as { type: string; checkId?: string; status?: string });
    const checkResults = stored.filter((record) => record.type === 'result');
    expect(checkResults).toHaveLength(results);
    expect(new Set(checkResults.map((record) => record.checkId))).toEqual(new Set(['api', 'mail', 'flaky']));
    expect(checkResults.filter((record) => record.checkId === 'mail').every((record) => record.status === 'up')).toBe(true);
    expect(output).toMatch(/api\s+UP/);
    expect(output).toContain('results stored');
  });
});
