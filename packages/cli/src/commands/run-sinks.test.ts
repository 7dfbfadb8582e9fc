import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type InfluxdbServer, type TcpServer, findClosedPort, startInfluxdb, startTcpServer } from '@vigil/test-utils';
import { createCapturingIo } from '../test-io.js';
import { runCommand } from './run.js';

/*
 * `vigil run` with the InfluxDB and Prometheus sinks from a config file, and the default on-disk
 * spool: a first run cannot write to InfluxDB (its database does not exist yet), so what it
 * could not write is spooled under <data-dir>/spool/<sink id> at stop; a second run replays it.
 */
describe('vigil run with influxdb and prometheus sinks', () => {
  let influx: InfluxdbServer | undefined;
  let target: TcpServer | undefined;
  let directory: string | undefined;
  afterAll(async () => {
    await target?.close();
    await influx?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  const waitFor = async <T>(probe: () => Promise<T | undefined>, what: string): Promise<T> => {
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      const value = await probe().catch(() => undefined);
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  it('spools what InfluxDB refuses, serves /metrics, and replays the spool on the next run', async () => {
    influx = await startInfluxdb();
    target = await startTcpServer();
    directory = await mkdtemp(path.join(tmpdir(), 'vigil-run-sinks-'));
    const metricsPort = await findClosedPort();
    const configFile = path.join(directory, 'vigil.yaml');
    await writeFile(
      configFile,
      [
        'checks:',
        `  - { id: web, type: tcp, host: 127.0.0.1, port: ${target.port}, interval: 200ms, splay: false }`,
        'sinks:',
        `  - { id: influx, type: influxdb, url: "${influx.url}", database: later }`,
        `  - { id: prom, type: prometheus, port: ${metricsPort}, spool: false }`,
        'monitor:',
        '  stopTimeout: 2s',
        '  sinkQueue: { flushIntervalMs: 100 }',
        '',
      ].join('\n'),
    );
    const dataDirectory = path.join(directory, 'data');
    const spoolDirectory = path.join(dataDirectory, 'spool', 'influx');

    // Run 1: InfluxDB answers 404 (no such database); Prometheus serves the results.
    const first = createCapturingIo();
    const firstRun = runCommand([configFile, '--data-dir', dataDirectory, '--log-level', 'error'], first.io);
    const exposition = await waitFor(async () => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return /vigil_check_results_total\{check="web",status="up",reason="ok"\} [3-9]/.test(text) && text.includes('vigil_monitor_sink_queue_depth{sink="influx"}') ? text : undefined;
    }, 'three results on /metrics');
    expect(exposition).toMatch(/vigil_monitor_sink_failed_writes_total\{sink="influx"\} [1-9]/);
    first.stop();
    expect(await firstRun).toBe(0);
    const segments = (await readdir(spoolDirectory)).filter((name) => name.endsWith('.jsonl'));
    expect(segments.length).toBeGreaterThan(0);
    const lines = (await Promise.all(segments.map((name) => readFile(path.join(spoolDirectory, name), 'utf8')))).join('').split('\n').filter(Boolean);
    // Results, plus the HDR snapshots the monitor closes at stop.
    const spooled = lines.filter((line) => (JSON.parse(line) as { type: string }).type === 'result').length;
    expect(spooled).toBeGreaterThanOrEqual(3);
    // No spool for the Prometheus sink (spool: false).
    expect(await readdir(path.join(dataDirectory, 'spool'))).toEqual(['influx']);

    // Run 2: the database exists now; the spooled records are replayed, then new ones follow.
    await influx.createDatabase('later');
    const secondStarted = Date.now();
    const second = createCapturingIo();
    const secondRun = runCommand([configFile, '--data-dir', dataDirectory, '--log-level', 'error'], second.io);
    const instance = influx;
    await waitFor(async () => ((await instance.count('later', 'vigil_result', 'duration_ms')) >= spooled + 2 ? true : undefined), 'the spooled results in InfluxDB');
    second.stop();
    expect(await secondRun).toBe(0);
    // Every result of the first run arrived: exactly the spooled ones are older than run 2.
    const [older] = await influx.query(`SELECT count(duration_ms) FROM vigil_result WHERE time < ${secondStarted}ms`, { database: 'later' });
    expect(older?.values[0]?.[1]).toBe(spooled);
    expect((await readdir(spoolDirectory)).filter((name) => name.endsWith('.jsonl'))).toEqual([]);
  }, 90_000);
});
