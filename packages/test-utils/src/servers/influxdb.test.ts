import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { type InfluxdbServer, startInfluxdb } from './influxdb.js';

describe('startInfluxdb (Debian influxd 1.x)', () => {
  const servers: InfluxdbServer[] = [];
  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  it('starts on a free loopback port, keeps data across a crash and a restart, and cleans up', async () => {
    const server = await startInfluxdb();
    servers.push(server);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await server.createDatabase('harness');
    const write = await fetch(`${server.url}/write?db=harness&precision=ms`, { method: 'POST', body: 'm,t=a v=1 1000\nm,t=b v=2 2000' });
    expect(write.status).toBe(204);
    expect(await server.count('harness', 'm', 'v')).toBe(2);
    const port = server.port;
    await server.stop('SIGKILL');
    expect(server.running).toBe(false);
    await expect(fetch(`${server.url}/ping`)).rejects.toThrow();
    await server.restart();
    expect(server.port).toBe(port);
    expect(await server.count('harness', 'm', 'v')).toBe(2);
    await server.close();
    expect(existsSync(server.dataDirectory)).toBe(false);
  });

  it('with auth, refuses anonymous queries and accepts the admin', async () => {
    const server = await startInfluxdb({ auth: true });
    servers.push(server);
    const anonymous = await fetch(`${server.url}/query?q=SHOW%20DATABASES`);
    expect(anonymous.status).toBe(401);
    await server.createDatabase('secured');
    expect((await server.query('SHOW DATABASES')).flatMap((series) => series.values.map((row) => row[0]))).toContain('secured');
  });

  it('says how to install influxd when it is missing', async () => {
    await expect(startInfluxdb({ command: 'vigil-no-such-influxd' })).rejects.toThrow(/not installed.*apt-get install influxdb/);
  });
});
