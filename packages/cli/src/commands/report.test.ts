import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatDuration, mergeSnapshots, statsFromSnapshot } from '@vigil/core';
import type { SinkRecord } from '@vigil/core';
import { sampleAlertRecord, sampleResultRecord, sampleSnapshotRecord, startTcpServer } from '@vigil/test-utils';
import { createSqliteSink } from '@vigil/sinks-sqlite';
import { main } from '../main.js';
import { createCapturingIo } from '../test-io.js';
import type { Report } from './report.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
let directory: string;
let file: string;
// Real time: the command reports on windows back from the real now.
const now = Date.now();
const minuteStart = Math.floor(now / MINUTE) * MINUTE;

async function vigil(args: string[]) {
  const capture = createCapturingIo({ cwd: directory });
  const code = await main(args, capture.io);
  return { code, stdout: capture.stdout, stderr: capture.stderr };
}

const apiSnapshots = [0, 1, 2].map((index) =>
  sampleSnapshotRecord(
    Array.from({ length: 50 }, (_unused, value) => 1 + ((value * 37 + index) % 50) / 5),
    { series: 'api', checkId: 'api', start: minuteStart - (10 + index) * MINUTE },
  ),
);
const oldSnapshot = sampleSnapshotRecord([900, 950], { series: 'api', checkId: 'api', start: minuteStart - 3 * HOUR });

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'vigil-report-'));
  file = path.join(directory, '.vigil', 'vigil.db');
  const sink = createSqliteSink({ path: file });
  await sink.start?.({ signal: AbortSignal.timeout(10_000) });
  const records: SinkRecord[] = [
    ...Array.from({ length: 8 }, (_unused, index) => sampleResultRecord({ checkId: 'api', timestamp: now - (20 + index) * MINUTE })),
    ...apiSnapshots,
    oldSnapshot,
    sampleResultRecord({ checkId: 'api', timestamp: now - 3 * HOUR }),
    sampleResultRecord({ checkId: 'flaky', timestamp: now - 30 * MINUTE }),
    sampleResultRecord({ checkId: 'flaky', timestamp: now - 29 * MINUTE, status: 'down', reason: 'connection_refused' }),
    sampleResultRecord({ checkId: 'flaky', timestamp: now - 28 * MINUTE, status: 'down', reason: 'connection_refused' }),
    sampleResultRecord({ checkId: 'flaky', timestamp: now - 27 * MINUTE }),
    sampleAlertRecord({ alertId: 'down/flaky', checkId: 'flaky', state: 'firing', at: now - 28 * MINUTE, message: 'flaky: 2 consecutive failures' }),
    sampleAlertRecord({ alertId: 'down/flaky', checkId: 'flaky', state: 'resolved', at: now - 26 * MINUTE }),
  ];
  expect((await sink.write(records, { signal: AbortSignal.timeout(10_000) })).kind).toBe('success');
  await sink.shutdown();
});
afterAll(() => rm(directory, { recursive: true, force: true }));

describe('vigil report', () => {
  it('prints uptime and p50/p95/p99 per check from the stored snapshots (default store, default 24 h window)', async () => {
    const { code, stdout, stderr } = await vigil(['report']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const expected = statsFromSnapshot(mergeSnapshots([...apiSnapshots, oldSnapshot].map((snapshot) => snapshot.histogram)));
    const lines = stdout.split('\n');
    expect(lines[0]).toContain(file);
    expect(lines[2]).toMatch(/^check\s+uptime\s+runs\s+p50\s+p95\s+p99\s+max\s+samples\s+incidents$/);
    const api = lines.find((line) => line.startsWith('api')) as string;
    expect(api.split(/\s+/)).toEqual(['api', '100.000%', '9', formatDuration(expected.p50), formatDuration(expected.p95), formatDuration(expected.p99), formatDuration(expected.max), '152', '0']);
    const flaky = lines.find((line) => line.startsWith('flaky')) as string;
    expect(flaky.split(/\s+/)).toEqual(['flaky', '50.000%', '4', '-', '-', '-', '-', '0', '1']);
    expect(stdout).toMatch(/Incidents:\n {2}flaky {2}critical {2}\S+, resolved \S+ \(2m\) {2}flaky: 2 consecutive failures/);
  });

  it('--json --check --window: the same figures as data, for one check and a shorter window', async () => {
    const { code, stdout } = await vigil(['report', '--db', file, '--check', 'api', '--window', '1h', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Report;
    const expected = statsFromSnapshot(mergeSnapshots(apiSnapshots.map((snapshot) => snapshot.histogram)));
    expect(report.database).toBe(file);
    expect(report.window.durationMs).toBe(HOUR);
    expect(report.checks).toEqual([
      {
        check: 'api',
        uptime: { percent: 100, runs: 8, ok: 8, fromResults: 8, fromSnapshots: 0 },
        latency: { samples: 150, p50: expected.p50, p95: expected.p95, p99: expected.p99, max: expected.max },
        incidents: 0,
        openIncidents: 0,
      },
    ]);
    expect(report.incidents).toEqual([]);
  });

  it('bad input exits 3 with a message: unknown check, bad window, missing or foreign file', async () => {
    const unknown = await vigil(['report', '--db', file, '--check', 'nope']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/no stored results or snapshots for check "nope" .*\(stored: api, flaky\)/);
    const badWindow = await vigil(['report', '--db', file, '--window', 'a while']);
    expect(badWindow.code).toBe(3);
    expect(badWindow.stderr).toMatch(/--window: expected a duration/);
    const missing = await vigil(['report', '--db', 'nowhere.db']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/no database at .*nowhere\.db/);
    const flag = await vigil(['report', '--frobnicate']);
    expect(flag.code).toBe(3);
    expect(flag.stderr).toContain('Usage: vigil report');
  });

  it('is listed in the usage text', async () => {
    const { stdout } = await vigil(['help', 'report']);
    expect(stdout).toContain('vigil report [--db FILE]');
    expect(stdout).toContain('--window DUR');
  });

  it('reads what `vigil run` stored in its default store (SQLite at <data-dir>/vigil.db)', async () => {
    const server = await startTcpServer();
    const config = path.join(directory, 'monitor.yaml');
    await writeFile(config, `checks:\n  - id: web\n    type: tcp\n    host: 127.0.0.1\n    port: ${server.port}\n    interval: 100ms\n`);
    const capture = createCapturingIo({ cwd: directory });
    const running = main(['run', config, '--data-dir', 'state'], capture.io);
    await vi.waitFor(() => expect(capture.stderr.match(/web up ok/g)?.length ?? 0).toBeGreaterThanOrEqual(3), { timeout: 10_000 });
    capture.stop();
    expect(await running).toBe(0);
    await server.close();
    expect(capture.stderr).toContain(`storing results in ${path.join(directory, 'state', 'vigil.db')}`);
    const runs = capture.stderr.match(/web up ok/g)?.length ?? 0;
    const { code, stdout } = await vigil(['report', '--db', path.join('state', 'vigil.db'), '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Report;
    expect(report.checks).toHaveLength(1);
    expect(report.checks[0]).toMatchObject({ check: 'web', uptime: { percent: 100, runs, ok: runs }, latency: { samples: runs } });
    expect(report.checks[0]?.latency.p99).toBeGreaterThan(0);
  });
});
