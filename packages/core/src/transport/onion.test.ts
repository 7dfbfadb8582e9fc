import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors/vigil-error.js';
import { chooseHost, isOnionHost } from './onion.js';

const onionName = 'vigilxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion';

describe('isOnionHost', () => {
  it('recognises .onion names in any case, with a trailing dot', () => {
    expect(isOnionHost(onionName)).toBe(true);
    expect(isOnionHost('ABC.ONION.')).toBe(true);
    expect(isOnionHost('example.org')).toBe(false);
    expect(isOnionHost('onion')).toBe(false);
    expect(isOnionHost('.onion')).toBe(false);
    expect(isOnionHost('notonion.org')).toBe(false);
  });
});

describe('chooseHost', () => {
  const hosts = ['smp.example.org', onionName];

  it('prefer: the onion host through a proxy, else the first public host', () => {
    expect(chooseHost(hosts, { onion: 'prefer', proxied: true })).toBe(onionName);
    expect(chooseHost(hosts, { onion: 'prefer', proxied: false })).toBe('smp.example.org');
    expect(chooseHost(['a.example', 'b.example'], { onion: 'prefer', proxied: true })).toBe('a.example');
  });

  it('never skips onion hosts; require takes only them', () => {
    expect(chooseHost([onionName, 'smp.example.org'], { onion: 'never', proxied: true })).toBe('smp.example.org');
    expect(chooseHost(hosts, { onion: 'require', proxied: true })).toBe(onionName);
  });

  it('throws a config error when no host fits', () => {
    const failing: Array<[string[], Parameters<typeof chooseHost>[1]]> = [
      [['smp.example.org'], { onion: 'require', proxied: true }],
      [[onionName], { onion: 'never', proxied: true }],
      [[onionName], { onion: 'prefer', proxied: false }],
      [[], { onion: 'prefer', proxied: true }],
    ];
    for (const [list, options] of failing) {
      try {
        chooseHost(list, options);
        expect.unreachable();
      } catch (error) {
        expect(VigilError.hasCode(error, 'VIGIL_ERR_CONFIG')).toBe(true);
        expect((error as VigilError).reason).toBe('config_error');
      }
    }
  });
});
