import { describe, expect, it } from 'vitest';
import { FlapHistory } from './flap-detector.js';

function percentOf(outcomes: readonly boolean[], window = 21): number {
  const history = new FlapHistory(window);
  for (const outcome of outcomes) history.push(outcome);
  return history.percent();
}

describe('FlapHistory', () => {
  it('is 0 for a steady series and 100 for one that changes every time over a full window', () => {
    expect(percentOf(Array.from({ length: 30 }, () => true))).toBe(0);
    expect(percentOf(Array.from({ length: 21 }, (_, index) => index % 2 === 0))).toBeCloseTo(100, 9);
  });

  it('weighs a recent change more than an old one (0.8 oldest to 1.2 newest, over 20 slots)', () => {
    const oldChange = [true, ...Array.from({ length: 20 }, () => false)];
    const newChange = [...Array.from({ length: 20 }, () => false), true];
    expect(percentOf(oldChange)).toBeCloseTo((0.8 / 20) * 100, 9);
    expect(percentOf(newChange)).toBeCloseTo((1.2 / 20) * 100, 9);
  });

  it('forgets evaluations older than the window', () => {
    const history = new FlapHistory(5);
    for (const outcome of [true, false, true, false, true]) history.push(outcome);
    expect(history.percent()).toBeCloseTo(100, 9);
    for (let index = 0; index < 5; index += 1) history.push(true);
    expect(history.percent()).toBe(0);
  });

  it('does not let a short history look like flapping (missing slots count as no change)', () => {
    expect(percentOf([true, false])).toBeCloseTo((1.2 / 20) * 100, 9);
  });
});
