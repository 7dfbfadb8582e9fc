// verifyServerIdentity (doc §1.2, §2.4) on generated chains: which certificate is the identity,
// which chain lengths pass, and every way a chain or the hello's signed key can be wrong.
import { createHash } from 'node:crypto';
import { IdentityCache, encodePublicKey, generateX25519KeyPair, parseSignedServerKey, verifyServerIdentity } from '@vigil/simplex-protocol';
import { type GeneratedCertificate, encodeSignedServerKey, generateCertificate } from '@vigil/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';

const now = Date.now();
const dayMs = 86_400_000;

function sha256(der: Buffer): Buffer {
  return createHash('sha256').update(der).digest();
}

function verify(chain: GeneratedCertificate[], options: { keyHash?: Buffer; signedBy?: GeneratedCertificate; allowed?: number[]; tlsLeaf?: Buffer; cache?: IdentityCache; at?: number } = {}) {
  const certificates = chain.map((certificate) => certificate.certificateDer);
  const signer = options.signedBy ?? (chain[0] as GeneratedCertificate);
  const signedKey = parseSignedServerKey(encodeSignedServerKey(encodePublicKey(generateX25519KeyPair().publicKey), signer.privateKey, signer.keyType as 'ed25519' | 'ed448'));
  return verifyServerIdentity({
    certificates,
    keyHash: options.keyHash ?? sha256(certificates[1] ?? Buffer.alloc(0)),
    tlsLeaf: options.tlsLeaf ?? (certificates[0] as Buffer),
    signedKey,
    allowedChainLengths: options.allowed ?? [2, 3, 4],
    now: options.at ?? now,
    ...(options.cache ? { cache: options.cache } : {}),
  });
}

describe('verifyServerIdentity', () => {
  let root: GeneratedCertificate;
  let leaf: GeneratedCertificate;
  let ed448Root: GeneratedCertificate;
  let ed448Leaf: GeneratedCertificate;
  beforeAll(async () => {
    root = await generateCertificate({ keyType: 'ed25519', certificateAuthority: true });
    leaf = await generateCertificate({ keyType: 'ed25519', issuer: root, altNames: [] });
    ed448Root = await generateCertificate({ keyType: 'ed448', certificateAuthority: true });
    ed448Leaf = await generateCertificate({ keyType: 'ed448', issuer: ed448Root, altNames: [] });
  });

  it('accepts the normal 2-certificate chain (Ed25519 and Ed448); chain[1] is the identity', () => {
    const ed25519 = verify([leaf, root]);
    expect(ed25519.ok).toBe(true);
    if (ed25519.ok) expect(ed25519.identity).toMatchObject({ chainLength: 2, signatureAlgorithm: 'ed25519' });
    expect(verify([ed448Leaf, ed448Root]).ok).toBe(true);
  });

  it('accepts a 3-certificate chain: the identity is chain[1], the anchor chain[2]', async () => {
    const operator = await generateCertificate({ keyType: 'ed25519', certificateAuthority: true, issuer: root, commonName: 'operator' });
    const operatedLeaf = await generateCertificate({ keyType: 'ed25519', issuer: operator, altNames: [] });
    const result = verify([operatedLeaf, operator, root], { keyHash: sha256(operator.certificateDer) });
    expect(result.ok).toBe(true);
    // The key hash of the root is not the identity of a 3-certificate chain.
    expect(verify([operatedLeaf, operator, root], { keyHash: sha256(root.certificateDer) })).toMatchObject({ ok: false, problem: { kind: 'key_hash_mismatch' } });
  });

  it('rejects 1 certificate, more than 4, and more than 2 where XFTP allows exactly 2', () => {
    expect(verify([leaf], { keyHash: Buffer.alloc(32) })).toMatchObject({ ok: false, problem: { kind: 'chain_length' } });
    expect(verify([leaf, root, root, root, root])).toMatchObject({ ok: false, problem: { kind: 'chain_length' } });
    expect(verify([leaf, root, root], { allowed: [2] })).toMatchObject({ ok: false, problem: { kind: 'chain_length' } });
  });

  it('rejects another key hash, naming the one the server has', () => {
    const result = verify([leaf, root], { keyHash: Buffer.alloc(32, 1) });
    expect(result).toMatchObject({ ok: false, problem: { kind: 'key_hash_mismatch', actualKeyHash: `${sha256(root.certificateDer).toString('base64url')}=` } });
  });

  it('rejects a leaf not signed by the identity, a non-CA issuer, a hello leaf that is not the TLS leaf', async () => {
    const stranger = await generateCertificate({ keyType: 'ed25519', certificateAuthority: true });
    const strangersLeaf = await generateCertificate({ keyType: 'ed25519', issuer: stranger, altNames: [] });
    expect(verify([strangersLeaf, root])).toMatchObject({ ok: false, problem: { kind: 'chain_invalid' } });
    const notCa = await generateCertificate({ keyType: 'ed25519', altNames: [] });
    const underNotCa = await generateCertificate({ keyType: 'ed25519', issuer: notCa, altNames: [] });
    expect(verify([underNotCa, notCa])).toMatchObject({ ok: false, problem: { kind: 'chain_invalid' } });
    expect(verify([leaf, root], { tlsLeaf: strangersLeaf.certificateDer })).toMatchObject({ ok: false, problem: { kind: 'leaf_mismatch' } });
  });

  it('rejects a certificate outside its validity as expired', async () => {
    const old = await generateCertificate({ keyType: 'ed25519', issuer: root, altNames: [], notBefore: new Date(now - 10 * dayMs), notAfter: new Date(now - dayMs) });
    expect(verify([old, root])).toMatchObject({ ok: false, problem: { kind: 'expired' } });
  });

  it('rejects a hello key signed by anything but the TLS leaf key (even the identity CA)', () => {
    expect(verify([leaf, root], { signedBy: root })).toMatchObject({ ok: false, problem: { kind: 'signature_invalid' } });
    expect(verify([leaf, root], { signedBy: ed448Leaf })).toMatchObject({ ok: false, problem: { kind: 'signature_invalid' } });
  });

  it('a cache skips re-verifying a known chain, but never the per-connection key signature, another chain or an expired one', async () => {
    const cache = new IdentityCache();
    expect(verify([leaf, root], { cache }).ok).toBe(true);
    expect(verify([leaf, root], { cache }).ok).toBe(true);
    expect(verify([leaf, root], { cache, signedBy: root })).toMatchObject({ ok: false, problem: { kind: 'signature_invalid' } });
    const stranger = await generateCertificate({ keyType: 'ed25519', certificateAuthority: true });
    const strangersLeaf = await generateCertificate({ keyType: 'ed25519', issuer: stranger, altNames: [] });
    expect(verify([strangersLeaf, root], { cache })).toMatchObject({ ok: false, problem: { kind: 'chain_invalid' } });
    expect(verify([leaf, root], { cache, at: leaf.notAfter.getTime() + dayMs })).toMatchObject({ ok: false, problem: { kind: 'expired' } });
  });
});
