// End-to-end fuzzing of the SMP check: a test relay sends mutated hellos and mutated reply
// blocks; every run must settle with a result (never a throw or a hang), and unreadable input
// must be a probe_error naming the step, not an `up`.
import { reasonCodes } from '@vigil/core';
import { type SmpTestServer, createSeededIntegers, createTestCheckContext, generateSimplexIdentity, settlesWithin, startSmpTestServer } from '@vigil/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmpCheck } from './smp-check.js';

/** A few random byte edits inside the first `span` bytes (where the content is), or a truncation. */
function mutator(seed: number, span: number): (block: Buffer) => Buffer {
  const next = createSeededIntegers(seed);
  return (block) => {
    const copy = Buffer.from(block);
    if (next() % 5 === 0) return copy.subarray(0, next() % copy.length);
    const edits = 1 + (next() % 3);
    for (let edit = 0; edit < edits; edit += 1) copy[next() % Math.min(span, copy.length)] = next() & 0xff;
    return copy;
  };
}

// Hello outcomes a mutation may legitimately produce, besides probe_error: a changed version
// range, session id, certificate or key are all things the check must classify, not crash on.
const helloReasons = new Set(['probe_error', 'incompatible_version', 'session_mismatch', 'identity_mismatch', 'certificate_expired', 'unresponsive', 'ok']);

describe('SMP check fuzzing (mutated server bytes)', () => {
  let identity: Awaited<ReturnType<typeof generateSimplexIdentity>>;
  const servers: SmpTestServer[] = [];
  beforeAll(async () => {
    identity = await generateSimplexIdentity();
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  it('mutated hellos: every run settles with a classified result', async () => {
    for (let seed = 1; seed <= 24; seed += 1) {
      const server = await startSmpTestServer({ identity, mutateHello: mutator(seed, 900) });
      servers.push(server);
      const outcome = await settlesWithin(createSmpCheck({ server: server.address, protocolTimeoutMs: 200 }).run(createTestCheckContext({ timeoutMs: 5_000 })), 8_000);
      expect(outcome.settled, `seed ${seed} hung`).toBe(true);
      if (!outcome.settled) continue;
      expect(outcome.error, `seed ${seed} threw`).toBeUndefined();
      const result = outcome.value;
      expect(reasonCodes).toContain(result?.reason);
      expect(helloReasons.has(result?.reason ?? ''), `seed ${seed}: ${result?.reason} ${result?.message}`).toBe(true);
      await server.close();
    }
  });

  it('mutated reply blocks: a tampered encrypted block never passes; every run settles as probe_error, unresponsive or (plain, harmless edit) ok', async () => {
    for (let seed = 1; seed <= 14; seed += 1) {
      const versions = seed % 2 === 0 ? { min: 6, max: 18 } : { min: 6, max: 10 };
      const server = await startSmpTestServer({ identity, versions, mutateBlock: mutator(seed * 31, 64) });
      servers.push(server);
      const outcome = await settlesWithin(createSmpCheck({ server: server.address, protocolTimeoutMs: 200 }).run(createTestCheckContext({ timeoutMs: 5_000 })), 8_000);
      expect(outcome.settled, `seed ${seed} hung`).toBe(true);
      if (!outcome.settled) continue;
      expect(outcome.error).toBeUndefined();
      // A mutation that leaves a plain reply readable can still be a PONG; nothing else passes.
      expect(['probe_error', 'unresponsive', 'ok'], `seed ${seed}: ${outcome.value?.message}`).toContain(outcome.value?.reason);
      if (outcome.value?.reason === 'ok') expect(versions.max).toBe(10);
      await server.close();
    }
  });
});
