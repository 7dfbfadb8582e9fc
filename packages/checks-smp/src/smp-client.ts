import { randomBytes } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { KeyObject } from 'node:crypto';
import type { CheckContext, DialTimings } from '@vigil/core';
import {
  BLOCK_SIZE,
  type BlockCipherChain,
  type IdentityCache,
  ProbeFailure,
  type SimplexSessionFacts,
  type SimplexTransportPlan,
  type SmpResponse,
  type VersionRange,
  abortFailure,
  createBlockChains,
  decodeBatch,
  decodeSmpServerHello,
  decodeSmpTransmission,
  dialSimplex,
  encodeBatch,
  encodePublicKey,
  encodeSmpClientHello,
  encodeSmpTransmission,
  generateX25519KeyPair,
  identityFailure,
  negotiateHelloVersion,
  pad,
  parseServerHello,
  parseSmpResponse,
  smpVersions,
  tlsConnectionFacts,
  unpad,
  verifyServerIdentity,
  verifyTlsIdentity,
  x25519,
} from '@vigil/simplex-protocol';

/** A pushed MSG event (empty corrId). */
export interface MessageEvent {
  readonly entityId: Buffer;
  readonly messageId: Buffer;
  readonly encryptedBody: Buffer;
  /** Monotonic time it arrived. */
  readonly receivedAt: number;
}

interface PendingReply {
  readonly resolve: (response: SmpResponse) => void;
  readonly reject: (failure: ProbeFailure) => void;
  readonly step: string;
}

interface EventWaiter {
  readonly entityId: Buffer;
  readonly resolve: (event: MessageEvent) => void;
  readonly reject: (failure: ProbeFailure) => void;
  readonly step: string;
}

export interface SmpConnectOptions {
  readonly plan: SimplexTransportPlan;
  readonly versions: VersionRange;
  /** Send the X25519 key in the hello (block encryption from v11), as the official client does. */
  readonly sendClientKey: boolean;
  /** The check instance's cache of verified chains. */
  readonly identityCache?: IdentityCache;
}

/** Facts about the connection for results: the shared session facts and whether blocks are encrypted. */
export interface SmpSessionFacts extends SimplexSessionFacts {
  readonly blockEncryption: boolean;
}

/**
 * One SMP client connection: TLS, the hello exchange with identity pinning (doc §2.4, §3), then
 * transmissions routed by corrId, and MSG events for subscribed queues. Every failure is a
 * ProbeFailure naming its step; nothing here throws anything else.
 */
export class SmpClient {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<string, PendingReply>();
  private readonly events: MessageEvent[] = [];
  private readonly eventWaiters: EventWaiter[] = [];
  private helloWaiter: { resolve: (block: Buffer) => void; reject: (failure: ProbeFailure) => void } | undefined;
  private helloBlock: Buffer | undefined;
  private failure: ProbeFailure | undefined;
  private receive: BlockCipherChain | undefined;
  private send: BlockCipherChain | undefined;
  private version = 0;
  private sessionId: Buffer = Buffer.alloc(0);
  /** No reply has arrived since the client hello: a close now means the hello was refused. */
  private awaitingFirstReply = true;
  facts: SmpSessionFacts | undefined;

  private constructor(
    private readonly socket: TLSSocket,
    private readonly context: CheckContext,
    private readonly protocolTimeoutMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.onClosed());
    socket.on('close', () => this.onClosed());
    context.signal.addEventListener('abort', this.onAbort);
  }

  /** Connects, verifies the server and completes the handshake. */
  static async connect(context: CheckContext, options: SmpConnectOptions): Promise<SmpClient> {
    const dialed = await dialSimplex(context, options.plan, 'smp/1');
    const client = new SmpClient(dialed.socket, context, options.plan.protocolTimeoutMs);
    try {
      await client.handshake(options, dialed.timings, dialed.remoteAddress);
      return client;
    } catch (error) {
      client.close();
      throw error;
    }
  }

  private readonly onAbort = (): void => {
    // The run's timeout, or the monitor stopping: name the step that was waiting.
    this.fail(abortFailure(this.context.signal, this.currentStep()));
  };

  private async handshake(options: SmpConnectOptions, timings: DialTimings, remoteAddress: string | undefined): Promise<void> {
    const { socket, context } = this;
    const started = context.clock.monotonicNow();
    const hello = parseServerHello(await this.readHelloBlock(), decodeSmpServerHello);
    const now = context.clock.now();
    // First the chain TLS presented (the official client's TLS hook), then the session id, then the hello's own chain and key.
    const tlsIdentity = verifyTlsIdentity({ socket, keyHash: options.plan.address.keyHash, allowedChainLengths: [2, 3, 4], now, identityCache: options.identityCache });
    const tlsUnique = socket.getFinished();
    if (!tlsUnique || !tlsUnique.equals(hello.sessionId)) {
      throw new ProbeFailure('session_mismatch', 'hello', 'hello: the session id is not this TLS session\'s tls-unique (a TLS-terminating middlebox?)', {
        sessionIdLength: hello.sessionId.length,
      });
    }
    let identity = tlsIdentity.identity;
    if (hello.certificates !== undefined) {
      const helloIdentity = verifyServerIdentity({
        certificates: hello.certificates,
        keyHash: options.plan.address.keyHash,
        tlsLeaf: tlsIdentity.tlsLeaf,
        signedKey: hello.signedKey,
        allowedChainLengths: [2, 3, 4],
        now,
        ...(options.identityCache ? { cache: options.identityCache } : {}),
      });
      if (!helloIdentity.ok) throw identityFailure(helloIdentity.problem, 'hello identity');
      identity = helloIdentity.identity;
    }
    const version = negotiateHelloVersion('SMP', hello.versions, options.versions);
    const clientKeys = options.sendClientKey && version >= smpVersions.impliedSessionId ? generateX25519KeyPair() : undefined;
    const clientHello = encodeSmpClientHello({
      version,
      keyHash: options.plan.address.keyHash,
      ...(clientKeys ? { clientKey: encodePublicKey(clientKeys.publicKey) } : {}),
    });
    socket.write(pad(clientHello, BLOCK_SIZE));
    this.version = version;
    this.sessionId = hello.sessionId;
    let blockEncryption = false;
    if (clientKeys && identity.serverKey && version >= smpVersions.blockEncryption) {
      const chains = createBlockChains(x25519(clientKeys.privateKey, identity.serverKey), hello.sessionId);
      this.receive = chains.serverToClient;
      this.send = chains.clientToServer;
      blockEncryption = true;
    }
    this.facts = {
      version,
      serverVersions: hello.versions,
      identity,
      blockEncryption,
      ...tlsConnectionFacts(socket),
      timings,
      handshakeMs: context.clock.monotonicNow() - started,
      remoteAddress,
    };
    // Blocks that arrived with the hello (none in practice) are commands now.
    this.processBuffered();
  }

  private readHelloBlock(): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.helloBlock) return Promise.resolve(this.helloBlock);
    return this.withTimeout('hello', (resolve, reject) => {
      this.helloWaiter = { resolve, reject };
    });
  }

  /** Runs `register` and fails with `unresponsive` when nothing settles it within the protocol timeout. */
  private withTimeout<T>(step: string, register: (resolve: (value: T) => void, reject: (failure: ProbeFailure) => void) => void, timeoutMs = this.protocolTimeoutMs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.context.clock.setTimeout(() => {
        reject(new ProbeFailure('unresponsive', step, `${step}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      register(
        (value) => {
          this.context.clock.clearTimeout(timer);
          resolve(value);
        },
        (failure) => {
          this.context.clock.clearTimeout(timer);
          reject(failure);
        },
      );
    });
  }

  /** Sends one command and waits for the reply with its corrId. */
  command(step: string, entityId: Buffer, command: Buffer, signer?: KeyObject): Promise<SmpResponse> {
    if (this.failure) return Promise.reject(this.failure);
    const corrId = randomBytes(24);
    const transmission = encodeSmpTransmission(this.version, { sessionId: this.sessionId, corrId, entityId, command, ...(signer ? { signer } : {}) });
    const content = encodeBatch([transmission]);
    const promise = this.withTimeout<SmpResponse>(step, (resolve, reject) => {
      this.pending.set(corrId.toString('hex'), { resolve, reject, step });
    });
    this.socket.write(this.send ? this.send.seal(content) : pad(content, BLOCK_SIZE));
    return promise.finally(() => this.pending.delete(corrId.toString('hex')));
  }

  /** Waits for the next MSG event of a queue. */
  nextMessage(step: string, entityId: Buffer, timeoutMs: number): Promise<MessageEvent> {
    const index = this.events.findIndex((event) => event.entityId.equals(entityId));
    if (index >= 0) return Promise.resolve(this.events.splice(index, 1)[0] as MessageEvent);
    if (this.failure) return Promise.reject(this.failure);
    let waiter: EventWaiter | undefined;
    return this.withTimeout<MessageEvent>(
      step,
      (resolve, reject) => {
        waiter = { entityId, resolve, reject, step };
        this.eventWaiters.push(waiter);
      },
      timeoutMs,
    ).finally(() => {
      const position = waiter ? this.eventWaiters.indexOf(waiter) : -1;
      if (position >= 0) this.eventWaiters.splice(position, 1);
    });
  }

  private onData(chunk: Buffer): void {
    if (this.failure) return;
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    if (this.version === 0) {
      if (this.buffered.length < BLOCK_SIZE || this.helloBlock) return;
      this.helloBlock = this.buffered.subarray(0, BLOCK_SIZE);
      this.buffered = this.buffered.subarray(BLOCK_SIZE);
      this.helloWaiter?.resolve(this.helloBlock);
      return;
    }
    this.processBuffered();
  }

  private processBuffered(): void {
    while (this.buffered.length >= BLOCK_SIZE && !this.failure) {
      const block = this.buffered.subarray(0, BLOCK_SIZE);
      this.buffered = this.buffered.subarray(BLOCK_SIZE);
      try {
        this.onBlock(block);
      } catch (error) {
        const detail = (error as Error).message.replace(/^\[[a-z-]+\] /, '');
        this.fail(new ProbeFailure('probe_error', this.currentStep(), `${this.currentStep()}: unreadable block from the server (${detail})`));
      }
    }
  }

  private onBlock(block: Buffer): void {
    const content = this.receive ? this.receive.open(block) : unpad(block);
    this.awaitingFirstReply = false;
    for (const bytes of decodeBatch(content)) {
      const transmission = decodeSmpTransmission(this.version, bytes, this.sessionId);
      const response = parseSmpResponse(this.version, transmission.command);
      if (transmission.corrId.length === 0) {
        if (response.type === 'MSG') this.onEvent({ entityId: transmission.entityId, messageId: response.messageId, encryptedBody: response.encryptedBody, receivedAt: this.context.clock.monotonicNow() });
        continue;
      }
      const pending = this.pending.get(transmission.corrId.toString('hex'));
      pending?.resolve(response);
    }
  }

  private onEvent(event: MessageEvent): void {
    const waiter = this.eventWaiters.find((candidate) => candidate.entityId.equals(event.entityId));
    if (waiter) waiter.resolve(event);
    else this.events.push(event);
  }

  private currentStep(): string {
    const first = this.pending.values().next();
    if (!first.done) return first.value.step;
    return this.eventWaiters[0]?.step ?? (this.version === 0 ? 'hello' : 'read');
  }

  private onClosed(): void {
    if (this.failure) return;
    const step = this.currentStep();
    if (this.version === 0) {
      const got = this.buffered.length > 0 ? `after ${this.buffered.length} of the hello's ${BLOCK_SIZE} bytes (a truncated block)` : 'before its hello';
      this.fail(new ProbeFailure('probe_error', 'hello', `hello: the server closed the connection ${got}`));
    } else if (this.buffered.length > 0) {
      this.fail(new ProbeFailure('probe_error', step, `${step}: the server closed the connection after ${this.buffered.length} bytes of a ${BLOCK_SIZE}-byte block (a truncated block)`));
    } else if (this.awaitingFirstReply) {
      this.fail(
        new ProbeFailure('incompatible_version', step, `${step}: the server closed the connection right after our hello: it refused SMP version ${this.version} or our key hash`, {
          version: this.version,
        }),
      );
    } else {
      this.fail(new ProbeFailure('probe_error', step, `${step}: the server closed the connection`));
    }
  }

  private fail(failure: ProbeFailure): void {
    if (this.failure) return;
    this.failure = failure;
    this.helloWaiter?.reject(failure);
    for (const pending of this.pending.values()) pending.reject(failure);
    for (const waiter of this.eventWaiters) waiter.reject(failure);
    this.socket.destroy();
  }

  /** Ends the connection: gracefully when it is healthy (TLS close_notify), at once otherwise. */
  close(): void {
    this.context.signal.removeEventListener('abort', this.onAbort);
    if (this.failure || this.socket.destroyed) {
      this.socket.destroy();
      return;
    }
    this.failure = new ProbeFailure('probe_error', 'closed', 'the connection was closed');
    this.socket.once('finish', () => this.socket.destroy());
    this.socket.end();
  }
}
