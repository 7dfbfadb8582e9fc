// Encoders checked byte for byte against the vectors in the SimpleX protocol doc
// (shared/docs/simplex-protocol.md §3.3, §4.2, §4.3, §5.2).
import { describe, expect, it } from 'vitest';
import { ascii, decodeBatch, encodeBatch, pad, unpad } from './encoding.js';
import { ed25519KeyPairFromSeed, encodePublicKey, sha256, verifySignature, x25519KeyPairFromPrivate } from './crypto.js';
import { encodeSmpClientHello, encodeXftpClientHello } from './handshake.js';
import { encodeNew, encodePing } from './smp-commands.js';
import { decodeSmpTransmission, decodeXftpTransmission, encodeSmpTransmission, encodeXftpTransmission } from './transmission.js';
import { parseServerAddress } from './address.js';

/** Bytes first..last inclusive, e.g. range(1, 0x18) = 01 02 … 18. */
function range(first: number, last: number): Buffer {
  return Buffer.from(Array.from({ length: last - first + 1 }, (_, index) => first + index));
}

const testKeyHashText = 'LcJUMfVhwD8yxjAiSaDzzGF3-kLG4Uh0Fl_ZIjrRwjI=';

describe('doc vectors', () => {
  it('§3.3: the v18 client hello without a key is 37 bytes: version, keyHash, proxyServer F, clientService 0', () => {
    const { keyHash } = parseServerAddress(`smp://${testKeyHashText}@localhost:5001`, 'smp');
    expect(keyHash.toString('hex')).toBe('2dc25431f561c03f32c6302249a0f3cc6177fa42c6e14874165fd9223ad1c232');
    const hello = encodeSmpClientHello({ version: 18, keyHash });
    expect(hello.toString('hex')).toBe('0012202dc25431f561c03f32c6302249a0f3cc6177fa42c6e14874165fd9223ad1c2324630');
    expect(hello.length).toBe(37);
  });

  it('§3.3: older versions drop the trailers they did not have; v >= 7 carries the client key', () => {
    const keyHash = Buffer.alloc(32, 7);
    const clientKey = encodePublicKey(x25519KeyPairFromPrivate(range(1, 0x20)).publicKey);
    expect(encodeSmpClientHello({ version: 6, keyHash, clientKey }).length).toBe(2 + 33);
    expect(encodeSmpClientHello({ version: 13, keyHash, clientKey }).length).toBe(2 + 33 + 45);
    expect(encodeSmpClientHello({ version: 15, keyHash, clientKey }).subarray(-1).toString()).toBe('F');
    expect(encodeSmpClientHello({ version: 16, keyHash, clientKey }).subarray(-2).toString()).toBe('F0');
  });

  it('§4.2: the PING block for corrId 01..18 hashes to e5e49b09…', () => {
    const transmission = encodeSmpTransmission(18, { sessionId: range(0x65, 0x84), corrId: range(1, 0x18), entityId: Buffer.alloc(0), command: encodePing() });
    const content = encodeBatch([transmission]);
    expect(content.toString('hex')).toBe(`01001f0018${range(1, 0x18).toString('hex')}0050494e47`);
    const block = pad(content, 16_384);
    expect(block.subarray(0, 2).toString('hex')).toBe('0022');
    expect(block.length).toBe(16_384);
    expect(block.subarray(36).every((byte) => byte === 0x23)).toBe(true);
    expect(sha256(block).toString('hex')).toBe('e5e49b093696bed2853e50a8a8610e0582fb22ec9a32df9806e5204ff66fe355');
  });

  it('§4.2: the expected PONG reply decodes with the same corrId', () => {
    const reply = Buffer.from(`01001f0018${range(1, 0x18).toString('hex')}00504f4e47`, 'hex');
    const [transmission] = decodeBatch(reply);
    const decoded = decodeSmpTransmission(18, transmission as Buffer, range(0x65, 0x84));
    expect(decoded.corrId).toEqual(range(1, 0x18));
    expect(decoded.entityId.length).toBe(0);
    expect(decoded.command.toString()).toBe('PONG');
  });

  it('§5.2: the signed NEW (v >= 17, seeds 01..20) has the documented command, signature and transmission', () => {
    const recipient = ed25519KeyPairFromSeed(range(1, 0x20));
    const dh = x25519KeyPairFromPrivate(range(1, 0x20));
    const command = encodeNew(17, { recipientKey: encodePublicKey(recipient.publicKey), dhKey: encodePublicKey(dh.publicKey) });
    expect(command.toString('hex')).toBe(
      '4e4557202c302a300506032b657003210079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad0496642c302a300506032b656e03210007a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c3053314d3030',
    );
    expect(command.length).toBe(100);
    const sessionId = range(0x65, 0x84);
    const corrId = range(1, 0x18);
    const transmission = encodeSmpTransmission(17, { sessionId, corrId, entityId: Buffer.alloc(0), command, signer: recipient.privateKey });
    const signature =
      'dfb7461c187d3b409efe54b6ec8ac1c3bd8168fd37c68dc69afd254010ec5afecd94676246008d4b8684db25941531c66070f538da788baa896d263b1e7ccd0c';
    expect(transmission.length).toBe(192);
    expect(transmission.toString('hex')).toBe(`40${signature}3018${corrId.toString('hex')}00${command.toString('hex')}`);
    const signedBytes = Buffer.concat([Buffer.from([0x20]), sessionId, Buffer.from([0x18]), corrId, Buffer.from([0]), command]);
    expect(verifySignature(recipient.publicKey, signedBytes, Buffer.from(signature, 'hex'))).toBe(true);
    const decoded = decodeSmpTransmission(17, transmission, sessionId);
    expect(decoded.signedBytes).toEqual(signedBytes);
    expect(decoded.authorization.toString('hex')).toBe(signature);
  });

  it('§5.2: NEW per version: v15-16 drop the notifier slot, v9-14 send S T, v6-8 an optional A password', () => {
    const keys = { recipientKey: Buffer.alloc(44, 1), dhKey: Buffer.alloc(44, 2) };
    const tail = (version: number, password?: string): string =>
      encodeNew(version, { ...keys, ...(password === undefined ? {} : { password }) })
        .subarray(4 + 45 + 45)
        .toString('latin1');
    expect(tail(17)).toBe('0S1M00');
    expect(tail(16)).toBe('0S1M0');
    expect(tail(15)).toBe('0S1M0');
    expect(tail(9)).toBe('0ST');
    expect(tail(8)).toBe('S');
    expect(tail(8, 'pw')).toBe('A\x02pwS');
    expect(tail(18, 'secret')).toBe('1\x06secretS1M00');
  });

  it('§4.3: the XFTP PING block (sessionId C9..E8, corrId "abc") hashes to 4e33ba3f…', () => {
    const sessionId = range(0xc9, 0xe8);
    const transmission = encodeXftpTransmission({ sessionId, corrId: ascii('abc'), entityId: Buffer.alloc(0), command: ascii('PING') });
    const block = pad(encodeBatch([transmission]), 16_384);
    expect(block.subarray(0, 2).toString('hex')).toBe('002e');
    expect(block.subarray(2, 2 + 0x2e).toString('hex')).toBe(`01002b0020${sessionId.toString('hex')}036162630050494e47`);
    expect(sha256(block).toString('hex')).toBe('4e33ba3f809adcd3ab83770c996f827e551d4cd4eaae96a5afa5c6fe737dd614');
    const decoded = decodeXftpTransmission(decodeBatch(unpad(block))[0] as Buffer);
    expect(decoded.sessionId).toEqual(sessionId);
    expect(decoded.corrId.toString()).toBe('abc');
  });

  it('§4.3: the XFTP client handshake is w16(version) ‖ sstr(keyHash)', () => {
    expect(encodeXftpClientHello({ version: 3, keyHash: range(1, 32) }).toString('hex')).toBe(`000320${range(1, 32).toString('hex')}`);
  });
});
