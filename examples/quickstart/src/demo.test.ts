import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '@vigil/sinks-sqlite';
import { runDemo } from './demo.js';

const directory = await mkdtemp(path.join(tmpdir(), 'vigil-quickstart-'));
afterAll(() => rm(directory, { recursive: true, force: true }));

describe('quick start demo', () => {
  it('monitors its local services, stores results and prints summaries', async () => {
    let output = '';
    const { results } = await runDemo({ dataDirectory: directory, durationMs: 2_500, summaryEveryMs: 1_000, interval: '500ms', write: (text) => (output += text) });
    expect(results).toBeGreaterThanOrEqual(6);
    // Read back through the store's query API, as `vigil report` does.
    const store = openSqliteStore(path.join(directory, 'vigil.db'));
    try {
      expect(store.checks()).toEqual(['api', 'flaky', 'mail']);
      const uptimes = store.checks().map((check) => store.uptime(check, '1h'));
      expect(uptimes.reduce((sum, uptime) => sum + uptime.total, 0)).toBe(results);
      const mail = store.uptime('mail', '1h');
      expect(mail.ok).toBe(mail.total);
      const latestMail = store.latest('mail', 100);
      expect(latestMail).toHaveLength(mail.total);
      expect(latestMail.every((record) => record.status === 'up' && record.checkId === 'mail')).toBe(true);
      // The monitor wrote its open HDR interval at stop: the snapshots count every run.
      for (const check of ['api', 'mail']) {
        const latency = store.percentiles(check, '1h', [50, 95, 99]);
        expect(latency.runs).toBe(store.uptime(check, '1h').total);
        expect(latency.count).toBe(store.uptime(check, '1h').ok);
        expect(latency.percentiles['50']).toBeLessThanOrEqual(latency.percentiles['99'] as number);
      }
    } finally {
      store.close();
    }
    expect(output).toMatch(/Stored in .*vigil\.db/);
    expect(output).toMatch(/mail\s+p50 \S+\s+p95 \S+\s+p99 \S+\s+100\.0% ok/);
    expect(output).toMatch(/api\s+UP/);
    expect(output).toContain('results stored');
  });
});
