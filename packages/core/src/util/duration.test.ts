import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors/vigil-error.js';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('parses numbers as milliseconds and unit strings', () => {
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1_500);
  });

  it('names the field in errors', () => {
    expect(() => parseDuration(-5, 'checks[1].interval')).toThrow(/checks\[1\]\.interval/);
    try {
      parseDuration('soon', 'defaults.timeout');
      expect.unreachable();
    } catch (error) {
      expect(VigilError.hasCode(error, 'VIGIL_ERR_CONFIG')).toBe(true);
      expect((error as VigilError).path).toBe('defaults.timeout');
    }
  });

  it('formats compactly', () => {
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(12.345)).toBe('12.3ms');
  });
});
