import { parseDuration } from '@vigil/core';
import { parseHostPort } from './target.js';
import type { CheckKindCommand } from './types.js';

/** `vigil check udp <host:port>`: send a datagram; replied, refused or silent. */
export const udpCheckCommand: CheckKindCommand = {
  type: 'udp',
  usage: 'vigil check udp <host:port> [--send TEXT | --send-hex HEX] [--expect REGEX] [--reply-timeout 1s] [--silence down|up] [--family 4|6]',
  summary: 'UDP datagram: did the port reply (and match), refuse (ICMP port unreachable) or stay silent',
  flags: {
    send: { type: 'string' },
    'send-hex': { type: 'string' },
    expect: { type: 'string' },
    'reply-timeout': { type: 'string' },
    silence: { type: 'string' },
    family: { type: 'string' },
  },
  toOptions(target, flags) {
    const { host, port } = parseHostPort(target);
    const options: Record<string, unknown> = { host, port };
    if (typeof flags.send === 'string') options.send = flags.send;
    if (typeof flags['send-hex'] === 'string') options.sendHex = flags['send-hex'];
    if (typeof flags.expect === 'string') options.expect = flags.expect;
    if (typeof flags['reply-timeout'] === 'string') options.replyTimeoutMs = parseDuration(flags['reply-timeout'], 'reply-timeout');
    if (typeof flags.silence === 'string') options.silence = flags.silence;
    if (typeof flags.family === 'string') options.family = Number(flags.family);
    return options;
  },
};
