import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseOptions } from '../config/parse-options.js';
import {
  dialOptionsShape,
  escapedTextSchema,
  hexBytesSchema,
  portSchema,
  proxyFromOptions,
  randomCredentialsNeedProxyRule,
  regexOptionSchema,
  sendOrSendHexRule,
  tlsOptionsRules,
  tlsOptionsShape,
} from './options.js';
import { parseRedactedOptions } from './parse-check-options.js';

const exampleSchema = z
  .strictObject({
    port: portSchema.optional(),
    send: escapedTextSchema.optional(),
    sendHex: hexBytesSchema.optional(),
    expect: regexOptionSchema.optional(),
    tls: z.strictObject(tlsOptionsShape).check(...tlsOptionsRules).optional(),
    ...dialOptionsShape,
  })
  .check(sendOrSendHexRule, randomCredentialsNeedProxyRule);

/** The issue lines of a config error. */
function issues(input: unknown): string[] {
  try {
    parseOptions(exampleSchema, input, { source: 'example' });
  } catch (error) {
    return (error as { details: { issues: string[] } }).details.issues;
  }
  return [];
}

describe('shared check options', () => {
  it('applies the defaults every dialing check shares', () => {
    const parsed = parseOptions(exampleSchema, { tls: {} }, { source: 'example' });
    expect(parsed.onion).toBe('prefer');
    expect(parsed.randomCredentials).toBe(false);
    expect(parsed.tls).toEqual({ verify: true, expiryWarnDays: 14, expiryCriticalDays: 3 });
  });

  it('names the bad field and what was expected', () => {
    expect(issues({ port: 0 })[0]).toMatch(/^port: /);
    expect(issues({ send: 'bad \\q escape' })[0]).toMatch(/^send: unknown escape/);
    expect(issues({ sendHex: 'xyz' })[0]).toMatch(/^sendHex: expected hex bytes/);
    expect(issues({ expect: '(' })[0]).toMatch(/^expect: not a valid regular expression/);
    expect(issues({ proxy: 'http://proxy.test:1' })[0]).toMatch(/^proxy: /);
    expect(issues({ send: 'a', sendHex: '00' })).toEqual(['sendHex: use send or sendHex, not both, got "00"']);
    expect(issues({ randomCredentials: true })).toEqual(['randomCredentials: randomCredentials needs a proxy, got true']);
    expect(issues({ tls: { expiryWarnDays: 2, expiryCriticalDays: 5 } })[0]).toMatch(/^tls\.expiryCriticalDays: expiryCriticalDays must not exceed expiryWarnDays/);
    expect(issues({ tls: { cert: 'PEM' } })[0]).toMatch(/^tls\.key: cert and key go together/);
    expect(issues({ tls: { pinSha256: 'abc' } })[0]).toMatch(/^tls\.pinSha256: /);
  });

  it('accepts a RegExp as well as a source string', () => {
    expect(regexOptionSchema.parse(/a/g)).toEqual(/a/g);
    expect(regexOptionSchema.parse('^a+$')).toBe('^a+$');
  });
});

describe('proxyFromOptions', () => {
  it('parses a proxy URL and adds randomCredentials only when asked for', () => {
    expect(proxyFromOptions({ randomCredentials: false })).toBeUndefined();
    expect(proxyFromOptions({ proxy: 'socks5h://127.0.0.1:9050', randomCredentials: false })).toEqual({ host: '127.0.0.1', port: 9050 });
    expect(proxyFromOptions({ proxy: { host: 'tor', port: 9050 }, randomCredentials: true })).toEqual({ host: 'tor', port: 9050, randomCredentials: true });
  });
});

describe('parseRedactedOptions', () => {
  it('removes credentials from the message and the issues of a config error', () => {
    const schema = z.strictObject({ url: z.string().refine(() => false, 'always wrong') });
    let caught: unknown;
    try {
      parseRedactedOptions(schema, { url: 'http://user:hunter2@example.test/' }, { source: 'example' });
    } catch (error) {
      caught = error;
    }
    const error = caught as { code: string; path: string; message: string; details: { issues: string[] } };
    expect(error.code).toBe('VIGIL_ERR_CONFIG');
    expect(error.path).toBe('url');
    expect(error.message).not.toContain('hunter2');
    expect(error.details.issues.join('\n')).not.toContain('hunter2');
  });
});
