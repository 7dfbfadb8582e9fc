import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { createCapturingIo } from '../test-io.js';

async function vigil(args: string[]) {
  const capture = createCapturingIo();
  const code = await main(args, capture.io);
  return { code, stdout: capture.stdout, stderr: capture.stderr };
}

function bind(socket: dgram.Socket): Promise<number> {
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve(socket.address().port)));
}

describe('vigil check udp', () => {
  const echo = dgram.createSocket('udp4');
  const silent = dgram.createSocket('udp4');
  let echoPort: number;
  let silentPort: number;
  let closedPort: number;
  beforeAll(async () => {
    echo.on('message', (message, remote) => echo.send(Buffer.concat([Buffer.from('PONG '), message]), remote.port, remote.address));
    echoPort = await bind(echo);
    silentPort = await bind(silent);
    const closed = dgram.createSocket('udp4');
    closedPort = await bind(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => echo.close(() => resolve()));
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('--json: a port that replies is up, with what it said', async () => {
    const { code, stdout } = await vigil(['check', 'udp', `127.0.0.1:${echoPort}`, '--send', 'PING', '--expect', '^PONG PING$', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ check: 'udp', status: 'up', reason: 'ok', samples: 1, ok: 1, details: { answer: 'replied', reply: 'PONG PING' } });
  });

  it('a closed port exits 2 with connection_refused (ICMP port unreachable)', async () => {
    const { code, stdout } = await vigil(['check', 'udp', `127.0.0.1:${closedPort}`, '--json']);
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'down', reason: 'connection_refused', details: { answer: 'refused' } });
  });

  it('a silent port exits 2 with timeout; with --silence up it is OK', async () => {
    const down = await vigil(['check', 'udp', `127.0.0.1:${silentPort}`, '--reply-timeout', '100ms', '--json']);
    expect(down.code).toBe(2);
    expect(JSON.parse(down.stdout)).toMatchObject({ status: 'down', reason: 'timeout', details: { answer: 'silent' } });
    const up = await vigil(['check', 'udp', `127.0.0.1:${silentPort}`, '--reply-timeout', '100ms', '--silence', 'up', '--json']);
    expect(up.code).toBe(0);
  });

  it('--count repeats the run and summarises the durations', async () => {
    const { code, stdout } = await vigil(['check', 'udp', `127.0.0.1:${echoPort}`, '--count', '5', '--interval', '0', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ samples: 5, ok: 5, lossPercent: 0 });
  });
});
