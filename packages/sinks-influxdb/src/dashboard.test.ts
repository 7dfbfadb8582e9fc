import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SinkRecord } from '@vigil/core';
import { type InfluxdbServer, sampleAlertRecord, sampleResultRecord, sampleSnapshotRecord, startInfluxdb } from '@vigil/test-utils';
import { createInfluxdbSink } from './influxdb-sink.js';

/*
 * The Grafana dashboard shipped in dashboards/ is only useful if its InfluxQL runs against what
 * the sink writes. Every query in it (panels, the check variable, the annotation) is expanded
 * the way Grafana expands its macros and run against a real influxd holding real sink output.
 */

interface Target {
  readonly query: string;
  readonly resultFormat?: string;
}
interface Dashboard {
  readonly __inputs: readonly { readonly name: string; readonly pluginId: string }[];
  readonly panels: readonly { readonly title: string; readonly targets: readonly Target[] }[];
  readonly templating: { readonly list: readonly { readonly name: string; readonly query: string }[] };
  readonly annotations: { readonly list: readonly { readonly query: string }[] };
}

const dashboardUrl = new URL('../dashboards/grafana-dashboard.json', import.meta.url);

function expand(query: string, check = '.*'): string {
  // Grafana's InfluxQL macros: the time range, the bucket width and the (multi-value, All = .*) variable.
  return query
    .replaceAll('$timeFilter', `time >= '2025-12-31T00:00:00Z' AND time <= '2026-01-02T00:00:00Z'`)
    .replaceAll('$__interval', '5m')
    .replaceAll('$check', check);
}

describe('the Grafana dashboard', () => {
  let influx: InfluxdbServer;
  let dashboard: Dashboard;
  beforeAll(async () => {
    dashboard = JSON.parse(await readFile(dashboardUrl, 'utf8')) as Dashboard;
    influx = await startInfluxdb();
    await influx.createDatabase('grafana');
    const sink = createInfluxdbSink({ url: influx.url, database: 'grafana' });
    const batch: SinkRecord[] = [];
    for (let index = 0; index < 120; index += 1) {
      const failing = index % 7 === 0;
      batch.push(
        sampleResultRecord({
          checkId: index % 2 === 0 ? 'web' : 'relay',
          status: failing ? 'down' : 'up',
          reason: failing ? 'timeout' : 'ok',
          timestamp: Date.UTC(2026, 0, 1, 0, 0, 0) + index * 30_000,
        }),
      );
    }
    for (let minute = 0; minute < 60; minute += 1) batch.push(sampleSnapshotRecord([2, 3, 5, 8 + minute], { start: Date.UTC(2026, 0, 1, 0, minute) }));
    batch.push(sampleAlertRecord({ at: Date.UTC(2026, 0, 1, 0, 30) }));
    expect(await sink.write(batch, { signal: AbortSignal.timeout(30_000) })).toEqual({ kind: 'success' });
    await sink.shutdown();
  });
  afterAll(async () => {
    await influx?.close();
  });

  it('is an importable dashboard asking for one InfluxDB data source', () => {
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_INFLUXDB', pluginId: 'influxdb' })]);
    expect(dashboard.panels.map((panel) => panel.title)).toEqual(
      expect.arrayContaining(['Uptime', 'Latency percentiles (p50, p95, p99, p99.9)', 'Results by reason', 'Checks']),
    );
  });

  it('runs every panel query against what the sink wrote, with data in each', async () => {
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const series = await influx.query(expand(target.query), { database: 'grafana' });
        expect(series.length, `${panel.title}: ${target.query}`).toBeGreaterThan(0);
        expect(series.some((entry) => entry.values.some((row) => row.slice(1).some((value) => value !== null))), panel.title).toBe(true);
      }
    }
  });

  it('computes the per-check table and the check variable as expected', async () => {
    const table = dashboard.panels.find((panel) => panel.title === 'Checks')?.targets[0];
    const rows = await influx.query(expand(table?.query ?? '', 'web'), { database: 'grafana' });
    expect(rows).toHaveLength(1);
    const row = Object.fromEntries(rows[0]?.columns.map((column, index) => [column, rows[0]?.values[0]?.[index]]) ?? []);
    // 60 runs of "web" (even indexes); every 7th index fails: 0, 14, 28, ... 112 -> 9 of them.
    expect(row).toMatchObject({ runs: 60, 'uptime %': ((60 - 9) / 60) * 100 });
    const variable = dashboard.templating.list.find((entry) => entry.name === 'check');
    const values = await influx.query(variable?.query ?? '', { database: 'grafana' });
    expect(values[0]?.values.map((value) => value[1])).toEqual(['relay', 'web']);
    const annotation = await influx.query(expand(dashboard.annotations.list[0]?.query ?? ''), { database: 'grafana' });
    expect(annotation[0]?.values).toHaveLength(1);
  });
});
