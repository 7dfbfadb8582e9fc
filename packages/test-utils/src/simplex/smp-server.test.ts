// The SMP test relay checked against the protocol doc directly (not through the check): the
// hello layout and ALPN rule (§2.2, §3.2), closing on a wrong key hash (§3), and the server
// syntax cases of simplexmq's serverSyntaxTests listed in §7.1.
import { randomBytes } from 'node:crypto';
import tls, { type TLSSocket } from 'node:tls';
import {
  BLOCK_SIZE,
  ascii,
  decodeBatch,
  decodeSmpServerHello,
  decodeSmpTransmission,
  ed25519KeyPairFromSeed,
  encodeBatch,
  encodeNew,
  encodePublicKey,
  encodeRecipientSecures,
  encodeSend,
  encodeSmpClientHello,
  encodeSmpTransmission,
  generateX25519KeyPair,
  pad,
  sha256,
  unpad,
} from '@vigil/simplex-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmpTestServer, startSmpTestServer } from './smp-server.js';

/** A bare client: reads whole blocks, sends padded blocks (no block encryption: no client key). */
class RawClient {
  private buffered = Buffer.alloc(0);
  private waiters: Array<(block: Buffer | undefined) => void> = [];
  closed = false;

  constructor(readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= BLOCK_SIZE && this.waiters.length > 0) {
        const block = this.buffered.subarray(0, BLOCK_SIZE);
        this.buffered = this.buffered.subarray(BLOCK_SIZE);
        this.waiters.shift()?.(block);
      }
    });
    socket.on('close', () => {
      this.closed = true;
      for (const waiter of this.waiters.splice(0)) waiter(undefined);
    });
    socket.on('error', () => {});
  }

  static connect(port: number, alpn: string[] | undefined): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(alpn ? { ALPNProtocols: alpn } : {}) });
      socket.once('secureConnect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  nextBlock(): Promise<Buffer | undefined> {
    if (this.buffered.length >= BLOCK_SIZE) {
      const block = this.buffered.subarray(0, BLOCK_SIZE);
      this.buffered = this.buffered.subarray(BLOCK_SIZE);
      return Promise.resolve(block);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  send(content: Buffer): void {
    this.socket.write(pad(content, BLOCK_SIZE));
  }
}

describe('SMP test relay, at the protocol level', () => {
  let server: SmpTestServer;
  beforeAll(async () => {
    server = await startSmpTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  async function handshake(version = 18): Promise<{ client: RawClient; sessionId: Buffer }> {
    const client = await RawClient.connect(server.port, ['smp/1']);
    const hello = decodeSmpServerHello(unpad((await client.nextBlock()) as Buffer));
    client.send(encodeSmpClientHello({ version, keyHash: server.identity.keyHash }));
    return { client, sessionId: hello.sessionId };
  }

  async function exchange(client: RawClient, sessionId: Buffer, fields: { entityId?: Buffer; command: Buffer; signer?: ReturnType<typeof ed25519KeyPairFromSeed>['privateKey'] }, version = 18): Promise<string> {
    const corrId = randomBytes(24);
    client.send(
      encodeBatch([
        encodeSmpTransmission(version, { sessionId, corrId, entityId: fields.entityId ?? Buffer.alloc(0), command: fields.command, ...(fields.signer ? { signer: fields.signer } : {}) }),
      ]),
    );
    const block = await client.nextBlock();
    expect(block, 'a reply block').toBeDefined();
    const [bytes] = decodeBatch(unpad(block as Buffer));
    const reply = decodeSmpTransmission(version, bytes as Buffer, sessionId);
    expect(reply.corrId).toEqual(corrId);
    return reply.command.toString('latin1');
  }

  it('§3.2: the hello offers 6-18 with ALPN, carries tls-unique, the 2-certificate chain whose second hashes to the key hash', async () => {
    const client = await RawClient.connect(server.port, ['smp/1']);
    const hello = decodeSmpServerHello(unpad((await client.nextBlock()) as Buffer));
    expect(hello.versions).toEqual({ min: 6, max: 18 });
    expect(hello.sessionId).toEqual(client.socket.getFinished());
    expect(hello.certificates).toHaveLength(2);
    expect(sha256(hello.certificates?.[1] as Buffer)).toEqual(server.identity.keyHash);
    expect(hello.signedKey?.algorithm).toBe('ed25519');
    client.socket.destroy();
  });

  it('§2.2: without ALPN the relay offers only the legacy range 6-6 (and no chain in the hello)', async () => {
    const client = await RawClient.connect(server.port, undefined);
    const hello = decodeSmpServerHello(unpad((await client.nextBlock()) as Buffer));
    expect(hello.versions).toEqual({ min: 6, max: 6 });
    expect(hello.certificates).toBeUndefined();
    client.socket.destroy();
  });

  it('§3: a client hello with another key hash is answered by closing the connection', async () => {
    const client = await RawClient.connect(server.port, ['smp/1']);
    await client.nextBlock();
    client.send(encodeSmpClientHello({ version: 18, keyHash: Buffer.alloc(32, 9), clientKey: encodePublicKey(generateX25519KeyPair().publicKey) }));
    expect(await client.nextBlock()).toBeUndefined();
    expect(server.hellos.at(-1)).toMatchObject({ keyHashMatched: false, sentKey: true });
  });

  it('§7.1 serverSyntaxTests: PING, unknown commands, missing or extra auth and entities', async () => {
    const { client, sessionId } = await handshake();
    const recipient = ed25519KeyPairFromSeed(Buffer.alloc(32, 1));
    const dh = generateX25519KeyPair();
    const newQueue = encodeNew(18, { recipientKey: encodePublicKey(recipient.publicKey), dhKey: encodePublicKey(dh.publicKey) });
    expect(await exchange(client, sessionId, { command: ascii('PING') })).toBe('PONG');
    expect(await exchange(client, sessionId, { command: ascii('HELLO') })).toBe('ERR CMD UNKNOWN');
    expect(await exchange(client, sessionId, { command: ascii('PING'), entityId: Buffer.alloc(24, 1) })).toBe('ERR CMD HAS_AUTH');
    expect(await exchange(client, sessionId, { command: newQueue })).toBe('ERR CMD NO_AUTH');
    expect(await exchange(client, sessionId, { command: newQueue, signer: recipient.privateKey, entityId: Buffer.alloc(24, 1) })).toBe('ERR CMD HAS_AUTH');
    expect(await exchange(client, sessionId, { command: encodeSend(ascii('hi')) })).toBe('ERR CMD NO_ENTITY');
    const unknownQueue = await exchange(client, sessionId, {
      command: encodeRecipientSecures(encodePublicKey(recipient.publicKey)),
      entityId: Buffer.alloc(24, 2),
      signer: recipient.privateKey,
    });
    expect(unknownQueue).toBe('ERR AUTH');
    expect(await exchange(client, sessionId, { command: newQueue, signer: recipient.privateKey })).toMatch(/^IDS /);
    client.socket.destroy();
  });

  it('§4.1 v6: the session id travels in every transmission, and a wrong one is ERR SESSION', async () => {
    const { client, sessionId } = await handshake(6);
    expect(await exchange(client, sessionId, { command: ascii('PING') }, 6)).toBe('PONG');
    const corrId = randomBytes(24);
    client.send(encodeBatch([encodeSmpTransmission(6, { sessionId: Buffer.alloc(32, 7), corrId, entityId: Buffer.alloc(0), command: ascii('PING') })]));
    const [bytes] = decodeBatch(unpad((await client.nextBlock()) as Buffer));
    expect(decodeSmpTransmission(6, bytes as Buffer, sessionId).command.toString()).toBe('ERR SESSION');
    client.socket.destroy();
  });
});
