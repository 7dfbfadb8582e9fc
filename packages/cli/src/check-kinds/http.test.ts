import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeSnapshot } from '@vigil/core';
import { findClosedPort, generateCertificate, startHttpServer, startHttpsServer, startSocksProxy } from '@vigil/test-utils';
import type { GeneratedCertificate, HttpServer, HttpsServer, SocksProxy } from '@vigil/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { createCapturingIo } from '../test-io.js';

async function vigil(args: string[]) {
  const capture = createCapturingIo();
  const code = await main(args, capture.io);
  return { code, stdout: capture.stdout, stderr: capture.stderr };
}

function json(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('vigil check http', () => {
  let server: HttpServer;
  let https: HttpsServer;
  let proxy: SocksProxy;
  let certificateAuthority: GeneratedCertificate;
  let closedPort: number;
  let directory: string;
  const seen: { method?: string; headers?: IncomingMessage['headers']; body?: string } = {};

  beforeAll(async () => {
    server = await startHttpServer(async (request: IncomingMessage, response: ServerResponse) => {
      let body = '';
      for await (const chunk of request) body += String(chunk);
      Object.assign(seen, { method: request.method, headers: request.headers, body });
      if (request.url === '/health') {
        response.writeHead(200, { 'content-type': 'application/json', 'x-version': '2.4.1' });
        response.end(JSON.stringify({ status: 'UP', checks: [{ name: 'db', ok: true }] }));
      } else if (request.url === '/error') {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end('database unavailable');
      } else if (request.url === '/slow') {
        setTimeout(() => response.end('slow'), 100);
      } else if (request.url === '/moved') {
        response.writeHead(301, { location: '/health' });
        response.end();
      } else {
        response.writeHead(404);
        response.end('not found');
      }
    });
    certificateAuthority = await generateCertificate({ certificateAuthority: true });
    https = await startHttpsServer((_request, response) => response.end('secure'), { certificate: await generateCertificate({ issuer: certificateAuthority }) });
    proxy = await startSocksProxy();
    closedPort = await findClosedPort();
    directory = await mkdtemp(path.join(tmpdir(), 'vigil-cli-http-'));
  });
  afterAll(async () => {
    await server.close();
    await https.close();
    await proxy.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('--count 50 --json: exit 0 with the summary shape, percentiles and a decodable HDR snapshot', async () => {
    const { code, stdout } = await vigil(['check', 'http', `${server.url}/health`, '--count', '50', '--interval', '0', '--json']);
    expect(code).toBe(0);
    const summary = json(stdout);
    expect(summary).toMatchObject({ check: 'http', target: `${server.url}/health`, status: 'up', reason: 'ok', samples: 50, ok: 50, failed: 0, lossPercent: 0, reasons: { ok: 50 } });
    expect(summary.details).toMatchObject({ statusCode: 200, method: 'GET' });
    for (const key of ['p50', 'p90', 'p95', 'p99', 'max', 'min', 'mean', 'jitter', 'durationMs']) expect(typeof summary[key], key).toBe('number');
    expect(Object.keys(summary.phases as object).sort()).toEqual(['connect', 'download', 'firstByte', 'total']);
    expect(decodeSnapshot(summary.snapshot as string).totalCount).toBe(50);
  });

  it('HTTP 500: exit 2 with assertion_failed saying what was seen; --expect-status 500 makes it OK', async () => {
    const down = await vigil(['check', 'http', `${server.url}/error`, '--json']);
    expect(down.code).toBe(2);
    expect(json(down.stdout)).toMatchObject({ status: 'down', reason: 'assertion_failed', message: `${server.url}/error: status: expected 2xx, got 500 Internal Server Error; body "database unavailable"` });
    expect((await vigil(['check', 'http', `${server.url}/error`, '--expect-status', '200,5xx'])).code).toBe(0);
  });

  it('--json-path, --expect-body and --expect-header: pass, and fail naming the assertion', async () => {
    const good = await vigil([
      'check',
      'http',
      `${server.url}/health`,
      '--json-path',
      '$.status == UP',
      '--json-path',
      'len($.checks) > 0',
      '--expect-body',
      '"db"',
      '--expect-header',
      'X-Version: 2.4.1',
      '--expect-header-regex',
      'content-type: ^application/json',
    ]);
    expect(good.code, good.stdout).toBe(0);
    const bad = await vigil(['check', 'http', `${server.url}/health`, '--json-path', '$.checks[0].ok == false', '--json']);
    expect(bad.code).toBe(2);
    expect(json(bad.stdout)).toMatchObject({ reason: 'assertion_failed', message: `${server.url}/health: JSON path $.checks[0].ok == false: got true` });
  });

  it('sends --method, --header and --body', async () => {
    const { code } = await vigil(['check', 'http', `${server.url}/health`, '-X', 'post', '-H', 'Content-Type: text/plain', '-H', 'X-Probe: cli', '--body', 'hello']);
    expect(code).toBe(0);
    expect(seen).toMatchObject({ method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain', 'x-probe': 'cli' } });
  });

  it('accepts a target without a scheme, follows redirects unless told not to', async () => {
    const target = `127.0.0.1:${server.port}/moved`;
    expect(json((await vigil(['check', 'http', target, '--json'])).stdout)).toMatchObject({ status: 'up', details: { statusCode: 200, finalUrl: `${server.url}/health` } });
    expect((await vigil(['check', 'http', target, '--redirect', 'none', '--expect-status', '301'])).code).toBe(0);
    expect(json((await vigil(['check', 'http', target, '--max-redirects', '0', '--json'])).stdout)).toMatchObject({ status: 'down', reason: 'assertion_failed' });
  });

  it('--degraded-above: a slow answer exits 1 (WARNING) with slow_response', async () => {
    const { code, stdout } = await vigil(['check', 'http', `${server.url}/slow`, '--degraded-above', '1ms']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^HTTP WARNING - http:\/\/127\.0\.0\.1:\d+\/slow: slow_response/);
  });

  it('HTTPS: --ca verifies, --insecure skips verification, a wrong --pin is identity_mismatch', async () => {
    const caFile = path.join(directory, 'ca.pem');
    await writeFile(caFile, certificateAuthority.certificatePem);
    const url = `https://127.0.0.1:${https.port}/`;
    expect(json((await vigil(['check', 'http', url, '--json'])).stdout)).toMatchObject({ status: 'down', reason: 'tls_error' });
    expect(json((await vigil(['check', 'http', url, '--ca', caFile, '--json'])).stdout)).toMatchObject({ status: 'up', details: { tls: { authorized: true } } });
    expect((await vigil(['check', 'http', url, '--insecure'])).code).toBe(0);
    expect(json((await vigil(['check', 'http', url, '--pin', 'ab'.repeat(32), '--json'])).stdout)).toMatchObject({ status: 'down', reason: 'identity_mismatch' });
  });

  it('--proxy through microsocks, and --keep-alive reuses one connection across --count runs', async () => {
    const proxied = await vigil(['check', 'http', `${server.url}/health`, '--proxy', proxy.url, '--json']);
    expect(json(proxied.stdout)).toMatchObject({ status: 'up', details: { proxy: proxy.url } });
    const before = server.connectionsAccepted;
    const kept = await vigil(['check', 'http', `${server.url}/health`, '--keep-alive', '--count', '5', '--interval', '0', '--json']);
    expect(json(kept.stdout)).toMatchObject({ status: 'up', samples: 5, ok: 5, details: { connection: 'reused' } });
    expect(server.connectionsAccepted - before).toBe(1);
  });

  it('a closed port exits 2 with connection_refused; bad input exits 3 naming the problem', async () => {
    expect(json((await vigil(['check', 'http', `http://127.0.0.1:${closedPort}/`, '--json'])).stdout)).toMatchObject({ status: 'down', reason: 'connection_refused' });
    const badStatus = await vigil(['check', 'http', server.url, '--expect-status', '999']);
    expect(badStatus.code).toBe(3);
    expect(badStatus.stderr).toMatch(/expect\.status\[0\]/);
    const badHeader = await vigil(['check', 'http', server.url, '--header', 'no colon']);
    expect(badHeader.code).toBe(3);
    expect(badHeader.stderr).toMatch(/--header: expected "Name: value"/);
    const badPath = await vigil(['check', 'http', server.url, '--json-path', '$.a >']);
    expect(badPath.code).toBe(3);
    expect(badPath.stderr).toMatch(/jsonPath\[0\]: expected a value after >/);
    const badScheme = await vigil(['check', 'http', 'ftp://127.0.0.1/']);
    expect(badScheme.code).toBe(3);
    expect(badScheme.stderr).toMatch(/url: expected an http:\/\/ or https:\/\/ URL/);
    const missingCa = await vigil(['check', 'http', server.url, '--ca', path.join(directory, 'missing.pem')]);
    expect(missingCa.code).toBe(3);
    expect(missingCa.stderr).toMatch(/--ca: cannot read/);
  });
});
