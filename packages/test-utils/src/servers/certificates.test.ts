import { X509Certificate, createPrivateKey } from 'node:crypto';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { generateCertificate } from './certificates.js';
import { startTlsServer } from './tls-server.js';

describe('generateCertificate', () => {
  it.each(['ec', 'rsa', 'ed25519', 'ed448'] as const)('makes a valid self-signed %s certificate', async (keyType) => {
    const certificate = await generateCertificate({ keyType, commonName: 'vigil.test', altNames: ['vigil.test', '127.0.0.1', '::1'] });
    const parsed = new X509Certificate(certificate.certificatePem);
    expect(parsed.subject).toContain('CN=vigil.test');
    expect(parsed.subjectAltName).toBe('DNS:vigil.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(parsed.ca).toBe(false);
    expect(parsed.checkIssued(parsed)).toBe(true);
    expect(parsed.verify(parsed.publicKey)).toBe(true);
    expect(parsed.checkPrivateKey(createPrivateKey(certificate.privateKeyPem))).toBe(true);
    expect(certificate.fingerprintSha256).toBe(parsed.fingerprint256);
    expect(Buffer.compare(certificate.certificateDer, parsed.raw)).toBe(0);
    expect(certificate.keyType).toBe(keyType);
  });

  it('signs a leaf with a CA and returns the chain, leaf first', async () => {
    const root = await generateCertificate({ certificateAuthority: true, keyType: 'ed448' });
    const leaf = await generateCertificate({ issuer: root, keyType: 'ed25519' });
    const parsedRoot = new X509Certificate(root.certificatePem);
    const parsedLeaf = new X509Certificate(leaf.certificatePem);
    expect(parsedRoot.ca).toBe(true);
    expect(parsedLeaf.checkIssued(parsedRoot)).toBe(true);
    expect(parsedLeaf.verify(parsedRoot.publicKey)).toBe(true);
    expect(parsedLeaf.verify(parsedLeaf.publicKey)).toBe(false);
    expect(parsedLeaf.issuer).toBe(parsedRoot.subject);
    expect(leaf.chainPem).toBe(`${leaf.certificatePem}${root.certificatePem}`);
    expect(leaf.issuer).toBe(root);
  });

  it('honours validity dates, including expired ones and dates after 2049', async () => {
    const notBefore = new Date('2020-01-01T00:00:00Z');
    const expired = await generateCertificate({ notBefore, notAfter: new Date('2021-06-30T12:00:00Z') });
    const parsed = new X509Certificate(expired.certificatePem);
    expect(new Date(parsed.validFrom).toISOString()).toBe('2020-01-01T00:00:00.000Z');
    expect(new Date(parsed.validTo).toISOString()).toBe('2021-06-30T12:00:00.000Z');
    const longLived = await generateCertificate({ notAfter: new Date('2125-01-01T00:00:00Z') });
    expect(new Date(new X509Certificate(longLived.certificatePem).validTo).toISOString()).toBe('2125-01-01T00:00:00.000Z');
  });

  it('makes self-signed certificates that verify as their own trust anchor', async () => {
    const certificate = await generateCertificate({ keyType: 'ed25519' });
    const server = await startTlsServer({ certificate });
    try {
      const authorized = await new Promise<boolean>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca: certificate.certificatePem }, () => {
          resolve(socket.authorized);
          socket.destroy();
        });
        socket.once('error', reject);
      });
      expect(authorized).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('gives every certificate its own serial number and key', async () => {
    const [first, second] = await Promise.all([generateCertificate(), generateCertificate()]);
    expect(new X509Certificate(first.certificatePem).serialNumber).not.toBe(new X509Certificate(second.certificatePem).serialNumber);
    expect(first.fingerprintSha256).not.toBe(second.fingerprintSha256);
  });
});
