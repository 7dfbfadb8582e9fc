/** Flap detection settings: the last `window` evaluations, start above `high` %, stop below `low` %. */
export interface FlapSettings {
  readonly window: number;
  readonly high: number;
  readonly low: number;
}

/** Defaults: Nagios' 21 evaluations; thresholds a little less eager than Nagios' 20/5 because checks here often run every few seconds. */
export const defaultFlapSettings: FlapSettings = Object.freeze({ window: 21, high: 30, low: 15 });

/**
 * The recent pass/fail history of one series and its weighted percent state change, the way
 * Nagios computes it: each change between consecutive evaluations counts, the oldest with weight
 * 0.8 rising linearly to 1.2 for the newest, and the sum is divided by the `window - 1` possible
 * changes. A history shorter than the window is treated as if padded with no changes at its
 * old end, so a series that just started cannot look like it flaps.
 */
export class FlapHistory {
  private readonly outcomes: boolean[] = [];

  constructor(private readonly window: number) {}

  /** Appends one evaluation (true = breaching) and forgets the oldest beyond the window. */
  push(breaching: boolean): void {
    this.outcomes.push(breaching);
    if (this.outcomes.length > this.window) this.outcomes.shift();
  }

  /** The weighted percent state change, 0 to 100. */
  percent(): number {
    const slots = this.window - 1;
    if (slots < 1 || this.outcomes.length < 2) return 0;
    // Pair i (1-based, oldest first over a full window) weighs 0.8 + 0.4 * (i - 1) / (slots - 1).
    const offset = slots - (this.outcomes.length - 1);
    let weighted = 0;
    for (let index = 1; index < this.outcomes.length; index += 1) {
      if (this.outcomes[index] === this.outcomes[index - 1]) continue;
      const position = offset + index - 1;
      weighted += slots === 1 ? 1 : 0.8 + (0.4 * position) / (slots - 1);
    }
    return (weighted / slots) * 100;
  }
}
