import { createSeededRandom } from '@vigil/test-utils';
import { describe, expect, it } from 'vitest';
import { parseUpdate, updateIdOf } from './updates.js';

const interestingStrings = ['', '/', '/status', '/status@vigil_test_bot', '/servers edge', '/silence web 2h', ' /help', '/ack\u0000x', '/' + 'a'.repeat(40), '🔥', '\ud800', 'a'.repeat(5_000), '__proto__', 'constructor'];
const interestingNumbers = [0, -1, 1, 42, -1001234567890, 2 ** 53, -(2 ** 53), 1.5, Number.NaN, Number.POSITIVE_INFINITY, 1e300];

function randomValue(random: () => number, depth: number): unknown {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const roll = random();
  if (depth > 4 || roll < 0.3) {
    return pick<unknown>([null, undefined, true, false, pick(interestingNumbers), pick(interestingStrings), Math.floor(random() * 1e6)]);
  }
  if (roll < 0.5) return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1));
  const keys = ['update_id', 'message', 'edited_message', 'chat', 'id', 'type', 'text', 'date', 'message_id', 'from', 'username', 'first_name', 'is_topic_message', 'message_thread_id', '__proto__', 'entities'];
  const object: Record<string, unknown> = {};
  for (let count = Math.floor(random() * 6); count > 0; count -= 1) object[pick(keys)] = randomValue(random, depth + 1);
  return object;
}

function validUpdate(): Record<string, unknown> {
  return {
    update_id: 1000,
    message: {
      message_id: 5,
      from: { id: 7, is_bot: false, first_name: 'Alice', username: 'alice' },
      chat: { id: -1005, type: 'supergroup', title: 'Ops', is_forum: true },
      date: 1_767_225_600,
      text: '/silence@vigil_test_bot web 2h',
      message_thread_id: 3,
      is_topic_message: true,
    },
  };
}

/** Replaces one value somewhere in a copy of `value` by a random one, or deletes a key. */
function mutate(value: unknown, random: () => number): unknown {
  if (typeof value !== 'object' || value === null) return randomValue(random, 3);
  const copy: Record<string, unknown> = Array.isArray(value) ? ({ ...value } as Record<string, unknown>) : { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const key = keys[Math.floor(random() * keys.length)];
  if (key === undefined) return copy;
  const roll = random();
  if (roll < 0.2) delete copy[key];
  else if (roll < 0.6) copy[key] = mutate(copy[key], random);
  else copy[key] = randomValue(random, 2);
  return copy;
}

describe('parseUpdate', () => {
  it('reads a command in a forum topic, addressed to this bot', () => {
    expect(parseUpdate(validUpdate(), 'Vigil_Test_Bot')).toEqual({
      kind: 'command',
      command: {
        updateId: 1000,
        chatId: -1005,
        chatType: 'supergroup',
        messageId: 5,
        threadId: 3,
        from: { id: 7, username: 'alice', name: 'Alice' },
        date: 1_767_225_600,
        command: 'silence',
        argumentText: 'web 2h',
        arguments: ['web', '2h'],
      },
    });
  });

  it('ignores commands for other bots, plain text, edits and other update kinds', () => {
    const forOther = validUpdate();
    (forOther.message as Record<string, unknown>).text = '/status@another_bot';
    expect(parseUpdate(forOther, 'vigil_test_bot')).toMatchObject({ kind: 'ignored', reason: 'command for @another_bot' });
    const plain = validUpdate();
    (plain.message as Record<string, unknown>).text = 'hello /status';
    expect(parseUpdate(plain)).toMatchObject({ kind: 'ignored', reason: 'not a command' });
    expect(parseUpdate({ update_id: 3, edited_message: {} })).toMatchObject({ kind: 'ignored', updateId: 3 });
    expect(parseUpdate({ update_id: 3, my_chat_member: {} })).toMatchObject({ kind: 'ignored' });
  });

  it('only trusts a topic id on topic messages', () => {
    const update = validUpdate();
    (update.message as Record<string, unknown>).is_topic_message = false;
    const parsed = parseUpdate(update);
    expect(parsed.kind === 'command' && parsed.command.threadId).toBeUndefined();
  });

  it('never throws on random JSON, and what it accepts is well-formed (fuzz, 10,000 cases)', () => {
    for (let seed = 1; seed <= 10_000; seed += 1) {
      const random = createSeededRandom(seed);
      const input = seed % 2 === 0 ? randomValue(random, 0) : mutate(mutate(validUpdate(), random), random);
      let parsed: ReturnType<typeof parseUpdate>;
      try {
        parsed = parseUpdate(input, 'vigil_test_bot');
        updateIdOf(input);
      } catch (error) {
        throw new Error(`seed ${seed} threw: ${String(error)}`);
      }
      expect(['command', 'ignored', 'invalid']).toContain(parsed.kind);
      if (parsed.kind === 'command') {
        const { command } = parsed;
        expect(Number.isSafeInteger(command.updateId) && command.updateId >= 0, `seed ${seed}`).toBe(true);
        expect(Number.isSafeInteger(command.chatId), `seed ${seed}`).toBe(true);
        expect(Number.isSafeInteger(command.messageId), `seed ${seed}`).toBe(true);
        expect(command.command, `seed ${seed}`).toMatch(/^[a-z0-9_]{1,32}$/);
        expect(command.threadId === undefined || Number.isSafeInteger(command.threadId), `seed ${seed}`).toBe(true);
      }
    }
  });

  it('never throws on JSON text cut at any point (the bot parses whole answers, but updates can be truncated objects)', () => {
    const text = JSON.stringify(validUpdate());
    for (let cut = 0; cut <= text.length; cut += 1) {
      let value: unknown;
      try {
        value = JSON.parse(`${text.slice(0, cut)}`);
      } catch {
        value = text.slice(0, cut);
      }
      expect(() => parseUpdate(value)).not.toThrow();
    }
  });
});
