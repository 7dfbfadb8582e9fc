import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it, vi } from 'vitest';
import { generateCertificate } from './certificates.js';
import { startTlsServer } from './tls-server.js';

function tlsConnect(options: tls.ConnectionOptions): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(options, () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('startTlsServer', () => {
  it('serves its certificate chain and records SNI, ALPN and version', async () => {
    const root = await generateCertificate({ certificateAuthority: true });
    const leaf = await generateCertificate({ issuer: root });
    const server = await startTlsServer({ certificate: leaf, alpn: ['smp/1'], banner: 'hi' });
    try {
      expect(server.url).toBe(`tls://127.0.0.1:${server.port}`);
      const socket = await tlsConnect({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca: root.certificatePem, ALPNProtocols: ['smp/1'] });
      expect(socket.authorized).toBe(true);
      const received = await new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString())));
      expect(received).toBe('hi');
      await vi.waitFor(() => expect(server.handshakes).toEqual([{ servername: 'localhost', alpnProtocol: 'smp/1', protocol: 'TLSv1.3', clientAuthorized: false }]));
      socket.destroy();
    } finally {
      await server.close();
    }
  });

  it('generates a localhost certificate when none is given, and counts failed handshakes', async () => {
    const server = await startTlsServer({ minVersion: 'TLSv1.3' });
    try {
      expect(server.certificate.commonName).toBe('localhost');
      await expect(tlsConnect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false, maxVersion: 'TLSv1.2' })).rejects.toThrow();
      const plain = net.connect({ host: '127.0.0.1', port: server.port });
      plain.on('error', () => {});
      plain.write('not a client hello\r\n');
      await vi.waitFor(() => expect(server.handshakeFailures).toBe(2));
      plain.destroy();
    } finally {
      await server.close();
    }
  });
});
