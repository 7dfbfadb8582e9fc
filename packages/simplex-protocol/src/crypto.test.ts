import { describe, expect, it } from 'vitest';
import { cryptoBox, cryptoBoxOpen, generateX25519KeyPair, x25519 } from './crypto.js';
import { createBlockChains } from './transmission.js';

describe('crypto_box and the block cipher chain (doc §3.4, §5.4)', () => {
  it('cryptoBox with a raw X25519 secret opens with the peer secret; tag first, 16 bytes longer', () => {
    const alice = generateX25519KeyPair();
    const bob = generateX25519KeyPair();
    const nonce = Buffer.alloc(24, 9);
    const message = Buffer.from('hello NaCl secretbox');
    const boxed = cryptoBox(x25519(alice.privateKey, bob.publicKey), nonce, message);
    expect(boxed.length).toBe(message.length + 16);
    expect(cryptoBoxOpen(x25519(bob.privateKey, alice.publicKey), nonce, boxed)).toEqual(message);
  });

  it('a flipped bit, a wrong nonce or a short box do not open', () => {
    const key = Buffer.alloc(32, 1);
    const nonce = Buffer.alloc(24, 2);
    const boxed = cryptoBox(key, nonce, Buffer.from('payload'));
    const flipped = Buffer.from(boxed);
    flipped[20] = (flipped[20] as number) ^ 1;
    expect(cryptoBoxOpen(key, nonce, flipped)).toBeUndefined();
    expect(cryptoBoxOpen(key, Buffer.alloc(24, 3), boxed)).toBeUndefined();
    expect(cryptoBoxOpen(key, nonce, boxed.subarray(0, 10))).toBeUndefined();
  });

  it('the chain gives a fresh key per block, and the two sides interoperate in both directions', () => {
    const secret = Buffer.alloc(32, 5);
    const sessionId = Buffer.alloc(32, 6);
    const client = createBlockChains(secret, sessionId);
    const server = createBlockChains(secret, sessionId);
    const first = client.clientToServer.seal(Buffer.from('one'));
    const second = client.clientToServer.seal(Buffer.from('one'));
    expect(first.length).toBe(16_384);
    expect(first.equals(second)).toBe(false);
    expect(server.clientToServer.open(first).toString()).toBe('one');
    expect(server.clientToServer.open(second).toString()).toBe('one');
    expect(client.serverToClient.open(server.serverToClient.seal(Buffer.from('two'))).toString()).toBe('two');
    // Out of step (a block skipped) fails to decrypt: a probe_error, never garbage accepted.
    server.serverToClient.seal(Buffer.from('lost'));
    expect(() => client.serverToClient.open(server.serverToClient.seal(Buffer.from('three')))).toThrow(/failed to decrypt/);
  });
});
