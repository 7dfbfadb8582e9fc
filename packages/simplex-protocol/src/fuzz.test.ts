// Property-style fuzzing of the parsers that read what a server sends: random bytes and
// mutations of valid messages must either parse or fail with a VIGIL_ERR_PROTOCOL error whose
// reason is probe_error — never another exception, never a hang. A seeded generator keeps
// failures reproducible; each loop is bounded by a count and stays well under a second.
import { VigilError } from '@vigil/core';
import { createSeededIntegers } from '@vigil/test-utils';
import { describe, expect, it } from 'vitest';
import { generateKeyPairSync, sign } from 'node:crypto';
import { decodeBatch, encodeBatch, largeString, pad, shortString, unpad, word16 } from './encoding.js';
import { encodePublicKey, generateX25519KeyPair } from './crypto.js';
import { decodeSmpServerHello, decodeXftpServerHello, parseSignedServerKey } from './handshake.js';
import { parseReceivedMessage, parseSmpResponse } from './smp-commands.js';
import { decodeSmpTransmission, decodeXftpTransmission, encodeSmpTransmission } from './transmission.js';
import { parseXftpResponse } from './xftp-commands.js';

function randomBuffer(next: () => number, maxLength: number): Buffer {
  const length = next() % (maxLength + 1);
  const bytes = Buffer.alloc(length);
  for (let index = 0; index < length; index += 1) bytes[index] = next() & 0xff;
  return bytes;
}

/** Flips, inserts, deletes or truncates a few bytes. */
function mutate(next: () => number, input: Buffer): Buffer {
  let bytes = Buffer.from(input);
  const edits = 1 + (next() % 4);
  for (let edit = 0; edit < edits; edit += 1) {
    const position = bytes.length === 0 ? 0 : next() % bytes.length;
    switch (next() % 4) {
      case 0:
        if (bytes.length > 0) bytes[position] = next() & 0xff;
        break;
      case 1:
        bytes = Buffer.concat([bytes.subarray(0, position), Buffer.from([next() & 0xff]), bytes.subarray(position)]);
        break;
      case 2:
        bytes = Buffer.concat([bytes.subarray(0, position), bytes.subarray(position + 1)]);
        break;
      default:
        bytes = bytes.subarray(0, position);
    }
  }
  return bytes;
}

/** Runs `parse` and asserts it returned or threw the protocol error. */
function expectParsesOrProbeError(parse: () => unknown, input: Buffer, seed: number): void {
  try {
    parse();
  } catch (error) {
    const ok = VigilError.isInstance(error) && error.code === 'VIGIL_ERR_PROTOCOL' && error.reason === 'probe_error';
    expect(ok, `seed ${seed}, input ${input.subarray(0, 64).toString('hex')}: ${String(error)}`).toBe(true);
  }
}

function validServerHello(): Buffer {
  const { privateKey } = generateKeyPairSync('ed25519');
  const x25519Der = encodePublicKey(generateX25519KeyPair().publicKey);
  const object = Buffer.concat([Buffer.from([0x30, 0x2c]), x25519Der]);
  const signature = sign(null, object, privateKey);
  const signedKey = Buffer.concat([Buffer.from([0x30, 0x78]), object, Buffer.from('300506032b6570', 'hex'), Buffer.from([0x03, 0x41, 0x00]), signature]);
  const certificate = Buffer.alloc(300, 0x30);
  return Buffer.concat([word16(6), word16(18), shortString(Buffer.alloc(32, 7)), Buffer.from([2]), largeString(certificate), largeString(certificate), largeString(signedKey)]);
}

const iterations = 1_500;

describe('parser fuzzing: random and mutated input is parsed or a probe_error', () => {
  it('server hellos (SMP and XFTP) and signed keys', () => {
    const valid = validServerHello();
    expect(decodeSmpServerHello(valid).signedKey?.algorithm).toBe('ed25519');
    for (let seed = 1; seed <= iterations; seed += 1) {
      const next = createSeededIntegers(seed);
      const input = seed % 2 === 0 ? randomBuffer(next, 600) : mutate(next, valid);
      expectParsesOrProbeError(() => decodeSmpServerHello(input), input, seed);
      expectParsesOrProbeError(() => decodeXftpServerHello(input), input, seed);
      expectParsesOrProbeError(() => parseSignedServerKey(input), input, seed);
      expectParsesOrProbeError(() => decodeSmpServerHello(unpad(pad(input.subarray(0, 16_382), 16_384))), input, seed);
    }
  });

  it('blocks, batches, transmissions and responses', () => {
    const sessionId = Buffer.alloc(32, 1);
    const valid = encodeBatch([
      encodeSmpTransmission(18, { sessionId, corrId: Buffer.alloc(24, 2), entityId: Buffer.alloc(24, 3), command: Buffer.from('MSG \x18aaaaaaaaaaaaaaaaaaaaaaaabody') }),
      encodeSmpTransmission(18, { sessionId, corrId: Buffer.alloc(24, 4), entityId: Buffer.alloc(0), command: Buffer.from('PONG') }),
    ]);
    for (let seed = 1; seed <= iterations; seed += 1) {
      const next = createSeededIntegers(seed * 7_919);
      const input = seed % 3 === 0 ? randomBuffer(next, 400) : mutate(next, valid);
      expectParsesOrProbeError(() => unpad(input), input, seed);
      expectParsesOrProbeError(
        () => {
          for (const transmission of decodeBatch(input)) {
            for (const version of [6, 7, 16, 18]) {
              const decoded = decodeSmpTransmission(version, transmission, sessionId);
              expectParsesOrProbeError(() => parseSmpResponse(version, decoded.command), decoded.command, seed);
            }
            const xftp = decodeXftpTransmission(transmission);
            expectParsesOrProbeError(() => parseXftpResponse(xftp.command), xftp.command, seed);
          }
        },
        input,
        seed,
      );
      expectParsesOrProbeError(() => parseReceivedMessage(input), input, seed);
      for (const version of [8, 9, 15, 17]) expectParsesOrProbeError(() => parseSmpResponse(version, Buffer.concat([Buffer.from('IDS '), input])), input, seed);
      expectParsesOrProbeError(() => parseXftpResponse(Buffer.concat([Buffer.from('SIDS '), input])), input, seed);
      expectParsesOrProbeError(() => parseXftpResponse(Buffer.concat([Buffer.from('FILE '), input])), input, seed);
    }
  });
});
