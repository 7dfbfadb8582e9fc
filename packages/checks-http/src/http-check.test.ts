import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { type CheckResult, VigilError, createDialer, createPluginRegistry, createRunHistogram, executeCheck } from '@vigil/core';
import {
  type GeneratedCertificate,
  cleanupAfterEach,
  createTestCheckContext,
  findClosedPort,
  generateCertificate,
  startHttpServer,
  startHttpsServer,
  startRecordingSocksProxy,
  startSilentServer,
  startSocksProxy,
  startTcpServer,
  startTlsServer,
  testCheck,
} from '@vigil/test-utils';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createHttpCheck, httpCheckPlugin } from './http-check.js';
import type { HttpCheckOptions } from './options.js';

const dayMs = 86_400_000;
const onionName = 'vigiltestccccccccccccccccccccccccccccccccccccccccccccccccccc.onion';
const cleanups = cleanupAfterEach();

function later<T extends { close(): Promise<void> } | { shutdown?(): Promise<void> }>(resource: T): T {
  cleanups.defer(async () => {
    if ('close' in resource) await resource.close();
    else await resource.shutdown?.();
  });
  return resource;
}

/** A handler that answers every request with `status`, `body` and `headers`. */
function reply(status: number, body = '', headers: Record<string, string | string[]> = {}) {
  return (_request: IncomingMessage, response: ServerResponse) => {
    const typed = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
    response.writeHead(status, typed ? headers : { 'content-type': 'text/plain', ...headers });
    response.end(body);
  };
}

function run(options: HttpCheckOptions, context = createTestCheckContext({ timeoutMs: 10_000 })): Promise<CheckResult> {
  const check = later(createHttpCheck(options));
  return check.run(context);
}

function execute(options: HttpCheckOptions, timeoutMs: number) {
  return executeCheck(later(createHttpCheck(options)), { checkId: 'http-test', timeoutMs, dialer: createDialer(), histogramFactory: createRunHistogram });
}

testCheck({
  plugin: httpCheckPlugin,
  async setup() {
    const server = await startHttpServer(reply(200, 'ok'));
    const silent = await startSilentServer();
    const closedPort = await findClosedPort();
    return {
      up: createHttpCheck({ url: `${server.url}/health` }),
      down: createHttpCheck({ url: `http://127.0.0.1:${closedPort}/` }),
      silent: createHttpCheck({ url: `http://127.0.0.1:${silent.port}/` }),
      invalidOptions: [
        {},
        { url: 'ftp://127.0.0.1/' },
        { url: 'not a url' },
        { url: 'http://127.0.0.1/', method: 'GET /' },
        { url: 'http://127.0.0.1/', headers: { 'x-bad': 'a\r\nx-injected: 1' } },
        { url: 'http://127.0.0.1/', expect: { status: ['2xy'] } },
        { url: 'http://127.0.0.1/', expect: { body: { jsonPath: ['$.a[ == 1'] } } },
        { url: 'http://127.0.0.1/', expect: { body: { matches: '(' } } },
        { url: 'http://127.0.0.1/', tls: { pinSha256: 'nope' } },
        { url: 'http://127.0.0.1/', proxy: 'http://127.0.0.1:8080' },
        { url: 'http://127.0.0.1/', randomCredentials: true },
        { url: 'http://127.0.0.1/', method: 'HEAD', expect: { body: { contains: 'x' } } },
        { url: 'http://127.0.0.1/', interval: '30s' },
      ],
      async teardown() {
        await server.close();
        await silent.close();
      },
    };
  },
});

let certificateAuthority: GeneratedCertificate;
let validLeaf: GeneratedCertificate;

beforeAll(async () => {
  certificateAuthority = await generateCertificate({ certificateAuthority: true });
  validLeaf = await generateCertificate({ issuer: certificateAuthority });
});

describe('plain HTTP', () => {
  it('reports a 200 as up with connect, firstByte, download and total phases, on a fresh connection each run', async () => {
    const server = later(await startHttpServer(reply(200, 'fine')));
    const check = later(createHttpCheck({ url: `${server.url}/health` }));
    expect(check.target).toBe(`${server.url}/health`);
    const context = createTestCheckContext({ timeoutMs: 10_000 });
    const first = await check.run(context);
    expect(first).toMatchObject({
      status: 'up',
      reason: 'ok',
      message: `${server.url}/health: 200 OK`,
      details: { url: `${server.url}/health`, method: 'GET', statusCode: 200, statusText: 'OK', bodyBytes: 4, remoteAddress: '127.0.0.1', contentType: 'text/plain' },
    });
    expect(Object.keys(first.phases ?? {}).sort()).toEqual(['connect', 'download', 'firstByte', 'total']);
    expect(first.phases?.total).toBe(first.durationMs);
    expect(context.recorded.map((metric) => [metric.name, metric.value])).toEqual([
      ['http_status_code', 200],
      ['http_response_body_bytes', 4],
    ]);
    await check.run(createTestCheckContext({ timeoutMs: 10_000 }));
    expect(server.connectionsAccepted).toBe(2);
    await vi.waitFor(() => expect(server.connectionsOpen).toBe(0));
  });

  it('adds a dns phase for host names', async () => {
    const server = later(await startHttpServer(reply(200)));
    const result = await run({ url: `http://localhost:${server.port}/`, family: 4 });
    expect(result.status).toBe('up');
    expect(result.phases?.dns).toBeGreaterThanOrEqual(0);
  });

  it('reports a closed port as down / connection_refused', async () => {
    const port = await findClosedPort();
    const result = await run({ url: `http://127.0.0.1:${port}/` });
    expect(result).toMatchObject({ status: 'down', reason: 'connection_refused', details: { phase: 'connect', code: 'ECONNREFUSED' } });
    expect(result.message).toBe(`http://127.0.0.1:${port}/: dial 127.0.0.1:${port}: connection refused (ECONNREFUSED)`);
  });

  it('times out against a server that accepts and never answers, and closes the connection', async () => {
    const server = later(await startSilentServer());
    const { record } = await execute({ url: `http://127.0.0.1:${server.port}/` }, 500);
    expect(record).toMatchObject({ status: 'down', reason: 'timeout', checkType: 'http', details: { phase: 'response' } });
    expect(record.message).toMatch(/timed out waiting for the response headers \(after \d+ ms\)/);
    expect(record.durationMs).toBeGreaterThanOrEqual(450);
    await vi.waitFor(() => expect(server.connectionsOpen).toBe(0));
  });

  it('times out while the body is still arriving, and says how much came', async () => {
    const server = later(
      await startHttpServer((_request, response) => {
        response.writeHead(200, { 'content-length': '100' });
        response.write('partial');
      }),
    );
    const { record } = await execute({ url: server.url }, 500);
    expect(record).toMatchObject({ status: 'down', reason: 'timeout', details: { phase: 'body', statusCode: 200 } });
    expect(record.message).toContain('timed out reading the body (after 7 bytes of HTTP 200)');
  });

  it('recovers on the next run after a run timed out waiting for the response', async () => {
    let requests = 0;
    const server = later(
      await startHttpServer((_request, response) => {
        requests += 1;
        // The first request is never answered.
        if (requests > 1) response.end('late but fine');
      }),
    );
    const check = later(createHttpCheck({ url: server.url }));
    const first = await executeCheck(check, { checkId: 'recover', timeoutMs: 300, dialer: createDialer(), histogramFactory: createRunHistogram });
    expect(first.record).toMatchObject({ status: 'down', reason: 'timeout' });
    const second = await check.run(createTestCheckContext({ timeoutMs: 10_000 }));
    expect(second).toMatchObject({ status: 'up', details: { statusCode: 200 } });
    expect(second.phases?.connect).toBeGreaterThanOrEqual(0);
    expect(server.connectionsAccepted).toBe(2);
  });

  it('gives two overlapping runs of one instance a connection each', async () => {
    const server = later(await startHttpServer((_request, response) => void setTimeout(() => response.end('ok'), 50)));
    const check = later(createHttpCheck({ url: server.url }));
    const results = await Promise.all([check.run(createTestCheckContext({ timeoutMs: 10_000 })), check.run(createTestCheckContext({ timeoutMs: 10_000 }))]);
    expect(results.map((result) => result.status)).toEqual(['up', 'up']);
    for (const result of results) expect(result.phases?.connect).toBeGreaterThanOrEqual(0);
    expect(server.connectionsAccepted).toBe(2);
  });

  it('reports an aborted run as unknown / aborted', async () => {
    const server = later(await startSilentServer());
    const controller = new AbortController();
    const pending = run({ url: `http://127.0.0.1:${server.port}/` }, createTestCheckContext({ signal: controller.signal }));
    await vi.waitFor(() => expect(server.bytesReceived).toBeGreaterThan(0));
    controller.abort();
    expect(await pending).toMatchObject({ status: 'unknown', reason: 'aborted' });
  });

  it('sends method, headers, query and a JSON body', async () => {
    let seen: { method?: string; url?: string; headers?: IncomingMessage['headers']; body?: string } = {};
    const server = later(
      await startHttpServer(async (request, response) => {
        let body = '';
        for await (const chunk of request) body += String(chunk);
        seen = { method: request.method, url: request.url, headers: request.headers, body };
        response.end('ok');
      }),
    );
    const result = await run({
      url: `${server.url}/items?page=1`,
      method: 'post',
      headers: { 'X-Request-Id': 'abc', Accept: 'application/json' },
      query: { tag: ['a', 'b'], limit: 10 },
      body: { name: 'probe', count: 2 },
    });
    expect(result.status).toBe('up');
    expect(seen).toMatchObject({
      method: 'POST',
      url: '/items?page=1&tag=a&tag=b&limit=10',
      body: '{"name":"probe","count":2}',
      headers: { 'x-request-id': 'abc', accept: 'application/json', 'content-type': 'application/json', connection: 'close' },
    });
    expect(seen.headers?.['user-agent']).toMatch(/^Vigil\//);
  });

  it('sends a text body as is and keeps a content-type it was given', async () => {
    let seen: { body?: string; contentType?: string } = {};
    const server = later(
      await startHttpServer(async (request, response) => {
        let body = '';
        for await (const chunk of request) body += String(chunk);
        seen = { body, contentType: request.headers['content-type'] };
        response.end();
      }),
    );
    await run({ url: server.url, method: 'PUT', headers: { 'content-type': 'text/csv' }, body: 'a,b\n1,2\n' });
    expect(seen).toEqual({ body: 'a,b\n1,2\n', contentType: 'text/csv' });
  });

  it('sends HEAD and accepts the body-less answer', async () => {
    const server = later(await startHttpServer(reply(200, 'ignored by HEAD')));
    const result = await run({ url: server.url, method: 'HEAD' });
    expect(result).toMatchObject({ status: 'up', details: { bodyBytes: 0 } });
  });

  it('skips 1xx interim responses', async () => {
    const server = later(
      await startHttpServer((_request, response) => {
        response.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
        response.end('after hints');
      }),
    );
    const result = await run({ url: server.url, expect: { body: { contains: 'after hints' } } });
    expect(result).toMatchObject({ status: 'up', details: { statusCode: 200 } });
  });
});

describe('status assertions', () => {
  it('reports HTTP 500 as assertion_failed, quoting the status and the start of the body', async () => {
    const server = later(await startHttpServer(reply(500, 'database unavailable')));
    const result = await run({ url: server.url });
    expect(result).toMatchObject({ status: 'down', reason: 'assertion_failed', details: { statusCode: 500, bodyExcerpt: 'database unavailable' } });
    expect(result.message).toBe(`${server.url}/: status: expected 2xx, got 500 Internal Server Error; body "database unavailable"`);
  });

  it.each([
    { status: 404, expected: [404], outcome: 'up' },
    { status: 404, expected: ['4xx'], outcome: 'up' },
    { status: 204, expected: ['200-204'], outcome: 'up' },
    { status: 205, expected: ['200-204', 301], outcome: 'down' },
    { status: 503, expected: 503, outcome: 'up' },
    { status: 200, expected: ['5xx'], outcome: 'down' },
  ])('status $status against $expected is $outcome', async ({ status, expected, outcome }) => {
    const server = later(await startHttpServer(reply(status)));
    const result = await run({ url: server.url, expect: { status: expected } });
    expect(result.status).toBe(outcome);
  });
});

describe('header assertions', () => {
  it('checks equality (case-insensitive names), regular expressions and absence, naming what was seen', async () => {
    const server = later(await startHttpServer(reply(200, '{}', { 'Content-Type': 'application/json; charset=utf-8', 'X-Version': '2.4.1', 'Set-Cookie': 'session=s3cr3t-cookie' })));
    const good = await run({
      url: server.url,
      expect: { headers: { 'content-type': { matches: '^application/json' }, 'X-VERSION': '2.4.1', 'x-debug': { exists: false }, 'set-cookie': { exists: true } } },
    });
    expect(good.status).toBe('up');
    const bad = await run({ url: server.url, expect: { headers: { 'x-version': '3.0.0', 'content-type': { matches: '^text/html' }, 'x-missing': { exists: true } } } });
    expect(bad).toMatchObject({ status: 'down', reason: 'assertion_failed' });
    expect(bad.message).toBe(`${server.url}/: header x-version: expected "3.0.0", got "2.4.1" (and 2 more failed assertions)`);
    expect(bad.details?.failures).toEqual([
      'header x-version: expected "3.0.0", got "2.4.1"',
      'header content-type: expected to match /^text\\/html/, got "application/json; charset=utf-8"',
      'header x-missing: expected to be present, but the response has no such header',
    ]);
  });

  it('never quotes cookie values', async () => {
    const server = later(await startHttpServer(reply(200, '', { 'Set-Cookie': 'session=s3cr3t-cookie' })));
    const result = await run({ url: server.url, expect: { headers: { 'set-cookie': { matches: '^lang=' } } } });
    expect(result.status).toBe('down');
    expect(result.message).toContain('header set-cookie: expected to match /^lang=/, got [redacted]');
    expect(JSON.stringify(result)).not.toContain('s3cr3t');
  });
});

describe('body assertions', () => {
  it('finds text across chunk boundaries without holding the body, and reports what is missing', async () => {
    const server = later(
      await startHttpServer(async (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        for (const piece of ['<html><body>status: all sys', 'tems operat', 'ional</body>', '</html>']) {
          response.write(piece);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        response.end();
      }),
    );
    const good = await run({ url: server.url, expect: { body: { contains: ['all systems operational', '</html>'], notContains: 'error' } } });
    expect(good.status).toBe('up');
    const bad = await run({ url: server.url, expect: { body: { contains: 'degraded mode', notContains: ['systems'] } } });
    expect(bad).toMatchObject({ status: 'down', reason: 'assertion_failed' });
    expect(bad.details?.failures).toEqual([
      'body: expected to contain "degraded mode", it does not (57 bytes; starts "<html><body>status: all systems operational</body></html>")',
      'body: expected not to contain "systems", it does (57 bytes)',
    ]);
  });

  it('matches regular expressions against the whole body', async () => {
    const server = later(await startHttpServer(reply(200, 'version=2.4.1\nuptime=99')));
    expect((await run({ url: server.url, expect: { body: { matches: ['^version=2\\.', /uptime=\d+/g] } } })).status).toBe('up');
    const bad = await run({ url: server.url, expect: { body: { matches: '^version=3' } } });
    expect(bad.message).toBe(`${server.url}/: body: expected to match /^version=3/, got "version=2.4.1\\nuptime=99"`);
  });

  it('evaluates JSON path conditions (equals, compares, length, regex, existence) and reports a mismatch with the value seen', async () => {
    const document = { data: [{ status: 'UP', latencyMs: 12, region: 'eu-west' }], version: '2.4.1', items: [1, 2, 3], degraded: false };
    const server = later(await startHttpServer(reply(200, JSON.stringify(document), { 'content-type': 'application/json' })));
    const good = await run({
      url: server.url,
      expect: {
        body: {
          jsonPath: [
            '$.data[0].status == UP',
            '$.data[0].latencyMs < 100',
            'len($.items) >= 3',
            '$.data[-1].region =~ ^eu-',
            '$.degraded == false',
            '!$.error',
            { path: '$.version', equals: '2.4.1' },
            { path: 'items', length: true, greaterThan: 2 },
          ],
        },
      },
    });
    expect(good.status, good.message).toBe('up');
    const bad = await run({ url: server.url, expect: { body: { jsonPath: ['$.data[0].status == "DOWN"', '$.data[1].status == UP', { path: '$.data[0].latencyMs', greaterThan: 50 }] } } });
    expect(bad).toMatchObject({ status: 'down', reason: 'assertion_failed' });
    expect(bad.details?.failures).toEqual([
      'JSON path $.data[0].status == "DOWN": got "UP"',
      'JSON path $.data[1].status == "UP": missing ($.data has 1 items, no index 1)',
      'JSON path $.data[0].latencyMs > 50: got 12',
    ]);
    expect(bad.message).toBe(`${server.url}/: JSON path $.data[0].status == "DOWN": got "UP" (and 2 more failed assertions)`);
  });

  it('reports a body that is not JSON when JSON paths are asked', async () => {
    const server = later(await startHttpServer(reply(200, '<html>maintenance</html>')));
    const result = await run({ url: server.url, expect: { body: { jsonPath: ['$.status == ok'] } } });
    expect(result).toMatchObject({ status: 'down', reason: 'assertion_failed' });
    expect(result.message).toMatch(/JSON path: the body is not JSON \(.+\); got "<html>maintenance<\/html>"/);
  });

  it('decodes gzip bodies and non-UTF-8 charsets for assertions', async () => {
    const compressed = gzipSync(Buffer.from('{"status":"ok","city":"Zürich"}'));
    const server = later(
      await startHttpServer((request, response) => {
        if (request.url === '/latin1') {
          response.writeHead(200, { 'content-type': 'text/plain; charset=iso-8859-1' });
          response.end(Buffer.from('Grüße', 'latin1'));
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        response.end(compressed);
      }),
    );
    const gzip = await run({ url: server.url, headers: { 'accept-encoding': 'gzip' }, expect: { body: { contains: 'Zürich', jsonPath: ['$.status == ok'] } } });
    expect(gzip.status, gzip.message).toBe('up');
    expect(gzip.details?.bodyBytes).toBe(compressed.length);
    const latin1 = await run({ url: `${server.url}/latin1`, expect: { body: { contains: 'Grüße' } } });
    expect(latin1.status, latin1.message).toBe('up');
  });

  it('stops reading a huge body at maxBodyBytes and fails, without downloading or buffering it', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let written = 0;
    const server = later(
      await startHttpServer((_request, response) => {
        // An endless body (a 1 GB download, as far as the client can tell), written as fast as the socket drains.
        response.writeHead(200, { 'content-type': 'text/plain' });
        const pump = (): void => {
          while (!response.destroyed && written < 2 ** 30) {
            written += chunk.length;
            if (!response.write(chunk)) {
              response.once('drain', pump);
              return;
            }
          }
        };
        response.on('close', () => response.removeAllListeners('drain'));
        pump();
      }),
    );
    for (const expectBody of [undefined, { contains: 'needle' }, { matches: 'needle' }]) {
      const result = await run({ url: server.url, maxBodyBytes: 1_000_000, ...(expectBody ? { expect: { body: expectBody } } : {}) });
      expect(result).toMatchObject({ status: 'down', reason: 'assertion_failed' });
      expect(result.message).toMatch(/body: larger than maxBodyBytes \(1000000\); stopped reading at \d+ bytes/);
      expect(result.details?.bodyBytes as number).toBeGreaterThan(1_000_000);
      expect(result.details?.bodyBytes as number).toBeLessThan(1_000_000 + 2 * chunk.length);
    }
    // The server could write only what fits in socket buffers before the client closed.
    expect(written).toBeLessThan(64 * 1024 * 1024);
    await vi.waitFor(() => expect(server.connectionsOpen).toBe(0));
  });

  it('fails at once when the declared content-length passes the limit', async () => {
    const server = later(
      await startHttpServer((_request, response) => {
        response.writeHead(200, { 'content-length': String(2 ** 30) });
        response.write('x');
      }),
    );
    const result = await run({ url: server.url, maxBodyBytes: 1_024 });
    expect(result).toMatchObject({ status: 'down', reason: 'assertion_failed', details: { bodyBytes: 2 ** 30 } });
  });

  it('does not hold a HEAD response to the length it declares for GET', async () => {
    const server = later(
      await startHttpServer((_request, response) => {
        response.writeHead(200, { 'content-length': String(2 ** 30) });
        response.end();
      }),
    );
    expect(await run({ url: server.url, method: 'HEAD', maxBodyBytes: 1_024 })).toMatchObject({ status: 'up', details: { bodyBytes: 0 } });
  });

  it('limits what a compressed body may expand to', async () => {
    const bomb = gzipSync(Buffer.alloc(10_000_000));
    const server = later(await startHttpServer(reply(200, '', {})));
    server.close();
    const bombServer = later(
      await startHttpServer((_request, response) => {
        response.writeHead(200, { 'content-encoding': 'gzip' });
        response.end(bomb);
      }),
    );
    const result = await run({ url: bombServer.url, maxBodyBytes: 100_000, expect: { body: { contains: 'x' } } });
    expect(result).toMatchObject({ status: 'down', reason: 'assertion_failed' });
    expect(result.message).toContain('the gzip-decoded body is larger than maxBodyBytes (100000)');
  });
});

describe('response time', () => {
  it('reports a response slower than degradedAboveMs as degraded / slow_response', async () => {
    const server = later(await startHttpServer((_request, response) => void setTimeout(() => response.end('slow'), 150)));
    const slow = await run({ url: server.url, expect: { degradedAboveMs: 1 } });
    expect(slow).toMatchObject({ status: 'degraded', reason: 'slow_response' });
    expect(slow.message).toMatch(/took \d+ ms \(degraded above 1 ms\)/);
    expect((await run({ url: server.url, expect: { degradedAboveMs: 120_000 } })).status).toBe('up');
  });
});

describe('redirects', () => {
  async function redirectServer() {
    const requests: { method: string | undefined; url: string | undefined; authorization: string | undefined; body: string }[] = [];
    const other = later(
      await startHttpServer((request, response) => {
        requests.push({ method: request.method, url: `other${request.url}`, authorization: request.headers.authorization, body: '' });
        response.end('other origin');
      }),
    );
    const server = later(
      await startHttpServer(async (request, response) => {
        let body = '';
        for await (const chunk of request) body += String(chunk);
        requests.push({ method: request.method, url: request.url, authorization: request.headers.authorization, body });
        const path = request.url ?? '/';
        if (path === '/final') response.end('arrived');
        else if (path.startsWith('/hop/')) {
          const left = Number(path.slice(5));
          response.writeHead(302, { location: left > 0 ? `/hop/${left - 1}` : '/final' });
          response.end('moved');
        } else if (path === '/see-other') {
          response.writeHead(303, { location: '/final' });
          response.end();
        } else if (path === '/temporary') {
          response.writeHead(307, { location: 'final' });
          response.end();
        } else if (path === '/away') {
          response.writeHead(301, { location: `${other.url}/landing?token=hunter2` });
          response.end();
        } else if (path === '/broken') {
          response.writeHead(302, { location: 'http://[invalid' });
          response.end();
        } else if (path === '/gopher') {
          response.writeHead(302, { location: 'gopher://127.0.0.1/' });
          response.end();
        } else response.end('root');
      }),
    );
    return { server, other, requests };
  }

  it('follows redirects up to maxRedirects, with a redirect phase and the hops in details', async () => {
    const { server } = await redirectServer();
    const result = await run({ url: `${server.url}/hop/2`, expect: { body: { contains: 'arrived' } } });
    expect(result).toMatchObject({
      status: 'up',
      details: {
        statusCode: 200,
        finalUrl: `${server.url}/final`,
        redirects: [
          { status: 302, location: `${server.url}/hop/1` },
          { status: 302, location: `${server.url}/hop/0` },
          { status: 302, location: `${server.url}/final` },
        ],
      },
    });
    expect(result.phases?.redirect).toBeGreaterThan(0);
    expect(result.phases?.connect).toBeGreaterThanOrEqual(0);
    const tooMany = await run({ url: `${server.url}/hop/5`, maxRedirects: 2 });
    expect(tooMany).toMatchObject({ status: 'down', reason: 'assertion_failed' });
    expect(tooMany.message).toBe(`${server.url}/hop/5: redirect: more than 2 redirects; the last went to ${server.url}/hop/2`);
  });

  it('turns a POST into a GET after 303 and keeps method and body after 307', async () => {
    const { server, requests } = await redirectServer();
    await run({ url: `${server.url}/see-other`, method: 'POST', body: 'payload' });
    await run({ url: `${server.url}/temporary`, method: 'POST', body: 'payload' });
    expect(requests.map(({ method, url, body }) => `${method} ${url} ${body}`)).toEqual([
      'POST /see-other payload',
      'GET /final ',
      'POST /temporary payload',
      'POST /final payload',
    ]);
  });

  it('drops the authorization header when a redirect leaves the origin, and redacts secret query values', async () => {
    const { server, requests } = await redirectServer();
    const result = await run({ url: `${server.url}/away`, headers: { authorization: 'Bearer origin-only-token' } });
    expect(result.status).toBe('up');
    expect(requests.map((request) => [request.url, request.authorization])).toEqual([
      ['/away', 'Bearer origin-only-token'],
      ['other/landing?token=hunter2', undefined],
    ]);
    expect(JSON.stringify(result)).not.toMatch(/hunter2|origin-only-token/);
    expect(result.details?.redirects).toEqual([{ status: 301, location: expect.stringMatching(/\/landing\?token=\[redacted\]$/) }]);
  });

  it('with redirect: none, the 3xx is the response; with redirect: error, it fails', async () => {
    const { server } = await redirectServer();
    const none = await run({ url: `${server.url}/hop/0`, redirect: 'none' });
    expect(none).toMatchObject({ status: 'down', reason: 'assertion_failed', details: { statusCode: 302 } });
    expect((await run({ url: `${server.url}/hop/0`, redirect: 'none', expect: { status: '3xx' } })).status).toBe('up');
    const error = await run({ url: `${server.url}/hop/0`, redirect: 'error' });
    expect(error).toMatchObject({ status: 'down', reason: 'assertion_failed' });
    expect(error.message).toBe(`${server.url}/hop/0: redirect: expected none (redirect: error), got 302 to ${server.url}/final`);
  });

  it('reports a Location that cannot be followed as protocol_error', async () => {
    const { server } = await redirectServer();
    expect(await run({ url: `${server.url}/broken` })).toMatchObject({ status: 'down', reason: 'protocol_error' });
    const gopher = await run({ url: `${server.url}/gopher` });
    expect(gopher).toMatchObject({ status: 'down', reason: 'protocol_error' });
    expect(gopher.message).toContain('unsupported scheme "gopher"');
  });
});

describe('malformed and broken servers', () => {
  it.each([
    { name: 'a reply that is not HTTP', banner: 'SSH-2.0-OpenSSH_9.2\r\n', reason: 'protocol_error' },
    { name: 'a broken status line', banner: 'HTTP/1.1 abc\r\n\r\n', reason: 'protocol_error' },
    { name: 'a body shorter than its content-length', banner: 'HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\nshort', reason: 'connection_reset' },
    { name: 'a close without any reply', banner: '', reason: 'connection_reset' },
  ])('reports $name as $reason', async ({ banner, reason }) => {
    const server = later(
      await startTcpServer({
        onConnection: (socket: Socket) => {
          socket.once('data', () => socket.end(banner));
        },
      }),
    );
    const result = await run({ url: `http://127.0.0.1:${server.port}/` });
    expect(result, JSON.stringify(result)).toMatchObject({ status: 'down', reason });
    expect(result.message).not.toBe('');
  });

  it('reports oversized response headers as protocol_error', async () => {
    const server = later(await startTcpServer({ onConnection: (socket: Socket) => socket.once('data', () => socket.end(`HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(70_000)}\r\n\r\n`)) }));
    const result = await run({ url: `http://127.0.0.1:${server.port}/` });
    expect(result).toMatchObject({ status: 'down', reason: 'protocol_error' });
  });
});

describe('HTTPS', () => {
  it('reports TLS facts, phases and the days until expiry for a verified chain', async () => {
    const server = later(await startHttpsServer(reply(200, 'secure'), { certificate: validLeaf }));
    const context = createTestCheckContext({ timeoutMs: 10_000 });
    const result = await run({ url: `https://localhost:${server.port}/`, family: 4, tls: { ca: certificateAuthority.certificatePem } }, context);
    expect(result).toMatchObject({
      status: 'up',
      details: { tls: { protocol: 'TLSv1.3', authorized: true, servername: 'localhost', chainLength: 2, fingerprintSha256: validLeaf.fingerprintSha256 } },
    });
    expect(Object.keys(result.phases ?? {}).sort()).toEqual(['connect', 'dns', 'download', 'firstByte', 'tls', 'total']);
    const days = (result.details as { tls: { daysUntilExpiry: number } }).tls.daysUntilExpiry;
    expect(days).toBeGreaterThanOrEqual(29);
    expect(context.recorded.find((metric) => metric.name === 'tls_certificate_days_until_expiry')?.value).toBe(days);
  });

  it('reports an untrusted certificate, and a handshake with a plain HTTP server, as tls_error', async () => {
    const server = later(await startHttpsServer(reply(200), { certificate: validLeaf }));
    expect(await run({ url: `https://127.0.0.1:${server.port}/` })).toMatchObject({ status: 'down', reason: 'tls_error', details: { phase: 'tls' } });
    expect((await run({ url: `https://127.0.0.1:${server.port}/`, tls: { verify: false } })).status).toBe('up');
    const plain = later(await startHttpServer(reply(200)));
    expect(await run({ url: `https://127.0.0.1:${plain.port}/` })).toMatchObject({ status: 'down', reason: 'tls_error' });
  });

  it('reports a TLS version below minVersion as tls_error', async () => {
    const server = later(await startTlsServer({ certificate: validLeaf, maxVersion: 'TLSv1.2' }));
    const result = await run({ url: `https://localhost:${server.port}/`, family: 4, tls: { ca: certificateAuthority.certificatePem, minVersion: 'TLSv1.3' } });
    expect(result).toMatchObject({ status: 'down', reason: 'tls_error' });
  });

  it('reports an expired certificate as certificate_expired, verified or not', async () => {
    const expired = await generateCertificate({ issuer: certificateAuthority, notBefore: new Date(Date.now() - 40 * dayMs), notAfter: new Date(Date.now() - dayMs) });
    const server = later(await startHttpsServer(reply(200), { certificate: expired }));
    const verified = await run({ url: `https://127.0.0.1:${server.port}/`, tls: { ca: certificateAuthority.certificatePem } });
    expect(verified).toMatchObject({ status: 'down', reason: 'certificate_expired' });
    const unverified = await run({ url: `https://127.0.0.1:${server.port}/`, tls: { verify: false } });
    expect(unverified).toMatchObject({ status: 'down', reason: 'certificate_expired', details: { statusCode: 200 } });
    expect(unverified.message).toMatch(/the certificate expired on/);
  });

  it.each([
    { days: 10, options: {}, status: 'degraded' },
    { days: 2, options: {}, status: 'down' },
    { days: 10, options: { expiryWarnDays: 7, expiryCriticalDays: 1 }, status: 'up' },
  ])('reports a certificate expiring in $days days with $options as $status', async ({ days, options, status }) => {
    const leaf = await generateCertificate({ issuer: certificateAuthority, notBefore: new Date(Date.now() - 30 * dayMs), notAfter: new Date(Date.now() + days * dayMs) });
    const server = later(await startHttpsServer(reply(200), { certificate: leaf }));
    const result = await run({ url: `https://127.0.0.1:${server.port}/`, tls: { ca: certificateAuthority.certificatePem, ...options } });
    expect(result.status).toBe(status);
    expect(result.reason).toBe(status === 'up' ? 'ok' : 'certificate_expiring');
  });

  it('accepts a matching pin and rejects a wrong one with identity_mismatch', async () => {
    const selfSigned = await generateCertificate();
    const server = later(await startHttpsServer(reply(200), { certificate: selfSigned }));
    const pinned = await run({ url: `https://127.0.0.1:${server.port}/`, tls: { pinSha256: selfSigned.fingerprintSha256 } });
    expect(pinned).toMatchObject({ status: 'up', details: { tls: { pinned: true, authorized: false } } });
    const wrong = await run({ url: `https://127.0.0.1:${server.port}/`, tls: { pinSha256: ['ab'.repeat(32)] } });
    expect(wrong).toMatchObject({ status: 'down', reason: 'identity_mismatch', details: { phase: 'tls', fingerprintSha256: selfSigned.fingerprintSha256 } });
  });

  it('times out against a silent TLS server during the handshake', async () => {
    const server = later(await startSilentServer({ tls: true }));
    const { record } = await execute({ url: `https://127.0.0.1:${server.port}/` }, 500);
    expect(record).toMatchObject({ status: 'down', reason: 'timeout', details: { phase: 'tls' } });
    expect(record.message).toMatch(/timed out during the TLS handshake/);
  });
});

describe('keep-alive', () => {
  it('reuses one connection across runs, with connect and TLS phases only on the first, and closes it on shutdown', async () => {
    const server = later(await startHttpsServer(reply(200, 'again'), { certificate: validLeaf }));
    const check = createHttpCheck({ url: `https://127.0.0.1:${server.port}/`, connection: 'keep-alive', tls: { ca: certificateAuthority.certificatePem } });
    const first = await check.run(createTestCheckContext({ timeoutMs: 10_000 }));
    const second = await check.run(createTestCheckContext({ timeoutMs: 10_000 }));
    expect(first).toMatchObject({ status: 'up', details: { connection: 'new' } });
    expect(first.phases?.tls).toBeGreaterThan(0);
    expect(second).toMatchObject({ status: 'up', details: { connection: 'reused', remoteAddress: '127.0.0.1', tls: { authorized: true } } });
    expect(Object.keys(second.phases ?? {}).sort()).toEqual(['download', 'firstByte', 'total']);
    expect(server.connectionsAccepted).toBe(1);
    await check.shutdown?.();
    await vi.waitFor(() => expect(server.connectionsOpen).toBe(0));
    expect(await check.run(createTestCheckContext())).toMatchObject({ status: 'unknown', reason: 'aborted' });
  });

  it('opens a new connection when the server closed the idle one', async () => {
    const sockets = new Set<Socket>();
    const server = later(
      await startHttpServer((request, response) => {
        sockets.add(request.socket);
        response.end('ok');
      }),
    );
    const check = later(createHttpCheck({ url: server.url, connection: 'keep-alive' }));
    expect((await check.run(createTestCheckContext({ timeoutMs: 10_000 }))).details).toMatchObject({ connection: 'new' });
    // The server drops its idle connections (an idle timeout, or a restart).
    for (const socket of sockets) socket.end();
    await vi.waitFor(() => expect(server.connectionsOpen).toBe(0));
    const result = await check.run(createTestCheckContext({ timeoutMs: 10_000 }));
    expect(result).toMatchObject({ status: 'up', details: { connection: 'new' } });
    expect(server.connectionsAccepted).toBe(2);
  });

  it('retries once on a new connection when a reused one closes before answering', async () => {
    const served = new WeakSet<Socket>();
    const server = later(
      await startHttpServer((request, response) => {
        // The race a keep-alive client meets: the server closes an idle connection just as a request arrives on it.
        if (served.has(request.socket)) {
          request.socket.destroy();
          return;
        }
        served.add(request.socket);
        response.end('ok');
      }),
    );
    const check = later(createHttpCheck({ url: server.url, connection: 'keep-alive' }));
    expect((await check.run(createTestCheckContext({ timeoutMs: 10_000 }))).status).toBe('up');
    const second = await check.run(createTestCheckContext({ timeoutMs: 10_000 }));
    expect(second).toMatchObject({ status: 'up', details: { connection: 'new' } });
    expect(server.connectionsAccepted).toBe(2);
    expect(server.requests).toBe(3);
  });
});

describe('SOCKS5 proxies', () => {
  it('connects through microsocks with a proxy phase', async () => {
    const server = later(await startHttpServer(reply(200, 'via proxy')));
    const proxy = later(await startSocksProxy());
    const result = await run({ url: server.url, proxy: proxy.url, expect: { body: { contains: 'via proxy' } } });
    expect(result).toMatchObject({ status: 'up', details: { proxy: proxy.url, remoteAddress: '127.0.0.1' } });
    expect(Object.keys(result.phases ?? {}).sort()).toEqual(['connect', 'download', 'firstByte', 'proxy', 'total']);
  });

  it('speaks HTTPS through microsocks with authentication, never showing the password', async () => {
    const server = later(await startHttpsServer(reply(200), { certificate: validLeaf }));
    const proxy = later(await startSocksProxy({ username: 'vigil', password: 'tor-horse-battery' }));
    const result = await run({ url: `https://127.0.0.1:${server.port}/`, proxy: `socks5h://vigil:tor-horse-battery@127.0.0.1:${proxy.port}`, tls: { ca: certificateAuthority.certificatePem } });
    expect(result).toMatchObject({ status: 'up', details: { tls: { authorized: true } } });
    expect(result.phases?.proxy).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(result)).not.toContain('tor-horse-battery');
  });

  it('reports a proxy that refuses the destination as proxy_error with the reply code', async () => {
    const proxy = later(await startSocksProxy());
    const port = await findClosedPort();
    const result = await run({ url: `http://127.0.0.1:${port}/`, proxy: proxy.url });
    expect(result).toMatchObject({ status: 'down', reason: 'proxy_error', details: { phase: 'proxy', socksReply: 5 } });
  });

  it('reaches a .onion URL through a proxy that resolves it, with random credentials', async () => {
    let host: string | undefined;
    const server = later(
      await startHttpServer((request, response) => {
        host = request.headers.host;
        response.end('hidden service');
      }),
    );
    const proxy = later(await startRecordingSocksProxy({ route: (name) => (name === onionName ? { host: '127.0.0.1', port: server.port } : { reply: 0x04 }) }));
    const result = await run({ url: `http://${onionName}/`, proxy: proxy.url, randomCredentials: true, onion: 'require', expect: { body: { contains: 'hidden' } } });
    expect(result.status, result.message).toBe('up');
    expect(host).toBe(onionName);
    expect(proxy.requests[0]).toMatchObject({ host: onionName, port: 80, addressType: 3 });
    expect(proxy.requests[0]?.username).toMatch(/^[0-9a-f]{16}$/);
  });

  it('reports a .onion URL without a proxy as config_error, and onion: require refuses other hosts', async () => {
    const result = await run({ url: `http://${onionName}/` });
    expect(result).toMatchObject({ status: 'unknown', reason: 'config_error' });
    expect(result.message).toMatch(/SOCKS5 proxy/);
    const proxy = later(await startRecordingSocksProxy());
    expect(await run({ url: 'http://127.0.0.1:1/', proxy: proxy.url, onion: 'require' })).toMatchObject({ status: 'unknown', reason: 'config_error' });
    expect(proxy.requests).toHaveLength(0);
  });
});

describe('secrets', () => {
  it('turns URL credentials into Basic auth and never shows them or other secrets', async () => {
    let authorization: string | undefined;
    const server = later(
      await startHttpServer((request, response) => {
        authorization = request.headers.authorization;
        response.writeHead(500);
        response.end('no');
      }),
    );
    const check = later(createHttpCheck({ url: `http://admin:pa55-word@127.0.0.1:${server.port}/status?api_key=k3y-value&page=2`, headers: { 'x-api-key': 'header-secret-value' } }));
    expect(check.target).toBe(`http://127.0.0.1:${server.port}/status?api_key=[redacted]&page=2`);
    const result = await check.run(createTestCheckContext({ timeoutMs: 10_000 }));
    expect(authorization).toBe(`Basic ${Buffer.from('admin:pa55-word').toString('base64')}`);
    expect(result.status).toBe('down');
    expect(JSON.stringify(result)).not.toMatch(/pa55-word|k3y-value|header-secret-value|YWRtaW46cGE1NS13b3Jk/);
  });

  it('redacts secrets that a server echoes back into a body excerpt', async () => {
    const server = later(await startHttpServer((request, response) => {
      response.writeHead(401);
      response.end(`denied for ${request.headers.authorization ?? ''}`);
    }));
    const result = await run({ url: server.url, headers: { authorization: 'Bearer sk-live-0123456789' } });
    expect(result).toMatchObject({ status: 'down', reason: 'assertion_failed' });
    expect(JSON.stringify(result)).not.toContain('sk-live-0123456789');
  });
});

describe('options', () => {
  function configError(create: () => unknown): VigilError {
    try {
      create();
    } catch (error) {
      expect(VigilError.hasCode(error, 'VIGIL_ERR_CONFIG'), String(error)).toBe(true);
      return error as VigilError;
    }
    throw new Error('expected a config error');
  }

  it('rejects invalid options with VIGIL_ERR_CONFIG naming the field', () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'url'],
      [{ url: 'ftp://x/' }, 'url'],
      [{ url: 'http://x/', method: 'GE T' }, 'method'],
      [{ url: 'http://x/', method: 'CONNECT' }, 'method'],
      [{ url: 'http://x/', maxRedirects: 50 }, 'maxRedirects'],
      [{ url: 'http://x/', connection: 'pooled' }, 'connection'],
      [{ url: 'http://x/', expect: { status: [600] } }, 'expect.status[0]'],
      [{ url: 'http://x/', expect: { body: { jsonPath: [{ path: '$.a', equals: 1, greaterThan: 2 }] } } }, 'expect.body.jsonPath[0]'],
      [{ url: 'http://x/', expect: { body: { jsonPath: ['$.a > high'] } } }, 'expect.body.jsonPath[0]'],
      [{ url: 'http://x/', expect: { headers: { 'x-a': { exists: false, equals: 'b' } } } }, 'expect.headers.x-a'],
      [{ url: 'http://x/', tls: { expiryWarnDays: 2, expiryCriticalDays: 5 } }, 'tls.expiryCriticalDays'],
    ];
    for (const [options, path] of cases) {
      const error = configError(() => createHttpCheck(options as never));
      expect(error.path, JSON.stringify(options)).toBe(path);
      expect(error.message).toMatch(/^\[checks-http\] invalid options: /);
    }
  });

  it('never repeats a password in a config error', () => {
    const error = configError(() => createHttpCheck({ url: 'http://user:hunter2@x/', proxy: 'http://user:hunter3@127.0.0.1:8080' }));
    expect(error.message).not.toMatch(/hunter2|hunter3/);
    expect(JSON.stringify(error.details)).not.toMatch(/hunter2|hunter3/);
  });

  it('freezes the check and registers as the http plugin, which re-parses parsed options', () => {
    const check = createHttpCheck({ url: 'https://example.test/', proxy: 'socks5h://127.0.0.1:9050', randomCredentials: true });
    expect(Object.isFrozen(check)).toBe(true);
    expect(check.meta).toEqual({ name: '@vigil/checks-http', kind: 'check', type: 'http', coreRange: '^0.1.0' });
    const registry = createPluginRegistry([httpCheckPlugin]);
    const created = registry.create(
      'check',
      'http',
      { url: 'http://[::1]:8080/x', expect: { status: ['2xx', 301], body: { matches: /x/g, jsonPath: ['$.a == 1', { path: '$.b', exists: false }] } } },
      'checks[0]',
    );
    expect(created.target).toBe('http://[::1]:8080/x');
  });
});
