import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors/vigil-error.js';
import { fillLinkTemplate } from './link-template.js';
import { alertLabels, compileMatchers, formatMatcher, matchesAll, parseMatcher, parseMatchers } from './matchers.js';

describe('parseMatcher', () => {
  it.each([
    ['checkId=web', { name: 'checkId', operator: '=', value: 'web' }],
    ['severity!=info', { name: 'severity', operator: '!=', value: 'info' }],
    ['env=~"prod|staging"', { name: 'env', operator: '=~', value: 'prod|staging' }],
    ['ruleId!~latency.*', { name: 'ruleId', operator: '!~', value: 'latency.*' }],
    [' region = "eu=1,\\"west\\"" ', { name: 'region', operator: '=', value: 'eu=1,"west"' }],
    ['url=a=b', { name: 'url', operator: '=', value: 'a=b' }],
  ])('reads %s', (text, expected) => {
    expect(parseMatcher(text)).toEqual(expected);
  });

  it.each(['web', '=web', 'env~prod', 'env=~"(unclosed"', 'env="open', '9x=1'])('rejects %s with a config error', (text) => {
    expect(() => parseMatcher(text)).toThrow(VigilError);
    expect(() => parseMatcher(text)).toThrow(/invalid matcher/);
  });

  it('round-trips through formatMatcher', () => {
    for (const text of ['checkId=web', 'env=~"prod|eu"', 'tag="with space"', 'empty=""']) {
      const matcher = parseMatcher(text);
      expect(parseMatcher(formatMatcher(matcher))).toEqual(matcher);
    }
  });
});

describe('parseMatchers', () => {
  it('splits at commas outside quotes and accepts braces', () => {
    expect(parseMatchers('{checkId=web, env=~"prod,eu|x"}')).toEqual([
      { name: 'checkId', operator: '=', value: 'web' },
      { name: 'env', operator: '=~', value: 'prod,eu|x' },
    ]);
    expect(parseMatchers('')).toEqual([]);
    expect(() => parseMatchers('{checkId=web')).toThrow(/closing brace/);
  });
});

describe('compiled matchers', () => {
  const labels = alertLabels({ alertId: 'down/web', ruleId: 'down', checkId: 'web', severity: 'critical', state: 'firing', tags: { env: 'prod', checkId: 'spoofed' } });

  it('see built-in fields over tags of the same name', () => {
    expect(labels.checkId).toBe('web');
    expect(matchesAll(compileMatchers(['checkId=web', 'env=prod']), labels)).toBe(true);
  });

  it('anchor regular expressions at both ends, like Alertmanager', () => {
    expect(matchesAll(compileMatchers(['env=~pro']), labels)).toBe(false);
    expect(matchesAll(compileMatchers(['env=~pro.*']), labels)).toBe(true);
    expect(matchesAll(compileMatchers(['env!~pro.*']), labels)).toBe(false);
  });

  it('read a missing label as empty, and never reach Object.prototype', () => {
    expect(matchesAll(compileMatchers(['team!=ops']), labels)).toBe(true);
    expect(matchesAll(compileMatchers(['team=""']), labels)).toBe(true);
    expect(matchesAll(compileMatchers(['constructor=~.+']), labels)).toBe(false);
  });

  it('need every matcher; an empty list matches everything', () => {
    expect(matchesAll(compileMatchers(['checkId=web', 'severity=warning']), labels)).toBe(false);
    expect(matchesAll([], labels)).toBe(true);
  });
});

describe('fillLinkTemplate', () => {
  const event = { checkId: 'web 1', ruleId: 'down', alertId: 'down/web 1', severity: 'critical', state: 'firing', tags: { env: 'prod', 'region name': 'eu=1,"west"' } } as const;

  it('fills built-in fields and tags, URL-encoded', () => {
    expect(fillLinkTemplate('https://status.example/{checkId}?rule={ruleId}&env={env}&r={tags.region name}', event)).toBe(
      'https://status.example/web%201?rule=down&env=prod&r=eu%3D1%2C%22west%22',
    );
  });

  it('turns unknown placeholders into nothing instead of leaking braces or prototype members', () => {
    expect(fillLinkTemplate('x/{nope}/{constructor}/{tags.toString}', event)).toBe('x///');
  });
});
