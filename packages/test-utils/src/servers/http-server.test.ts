import https from 'node:https';
import { describe, expect, it } from 'vitest';
import { startHttpServer, startHttpsServer } from './http-server.js';

describe('startHttpServer', () => {
  it('answers with the handler and counts requests', async () => {
    const server = await startHttpServer((request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(`you asked for ${request.url}`);
    });
    try {
      const response = await fetch(`${server.url}/health`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('you asked for /health');
      expect(server.requests).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('turns a throwing handler into a 500', async () => {
    const server = await startHttpServer(async () => {
      throw new Error('boom');
    });
    try {
      const response = await fetch(server.url);
      expect(response.status).toBe(500);
      expect(await response.text()).toContain('boom');
    } finally {
      await server.close();
    }
  });

  it('closes even with a keep-alive connection open', async () => {
    const server = await startHttpServer((_request, response) => response.end('ok'));
    await (await fetch(server.url)).text();
    await server.close();
    expect(server.connectionsOpen).toBe(0);
  });
});

describe('startHttpsServer', () => {
  it('serves HTTPS with its generated certificate', async () => {
    const server = await startHttpsServer((_request, response) => response.end('secure'));
    try {
      expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get(`${server.url}/`, { ca: server.certificate.certificatePem, agent: false }, (response) => {
            let text = '';
            response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
            response.on('end', () => resolve(text));
          })
          .on('error', reject);
      });
      expect(body).toBe('secure');
    } finally {
      await server.close();
    }
  });
});
