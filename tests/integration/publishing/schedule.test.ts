/** The status-polling schedule: fast for images, sparse for long videos (pure function, no clock). */
import { describe, expect, it } from 'vitest';
import { pollAtMs } from '../../../src/services/publishing/index.js';

/** Reads needed, and detection delay, for a container that turns FINISHED `finishMs` after the first read. */
function simulate(finishMs: number): { reads: number; delayMs: number } {
  for (let n = 0; ; n++) {
    const at = pollAtMs(n);
    if (at >= finishMs) return { reads: n + 1, delayMs: at - finishMs };
  }
}

describe('pollAtMs', () => {
  it('reads at once, then 250 ms, 500 ms, 1 s, then every 2 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => pollAtMs(n))).toEqual([0, 250, 500, 1000, 2000, 4000, 6000]);
  });

  it('reads video from 2 s on, every 2 s, at under one read per 2 s of processing', () => {
    expect([0, 1, 2, 3].map((n) => pollAtMs(n, 'video'))).toEqual([2000, 4000, 6000, 8000]);
    for (const seconds of [2, 5, 10, 30, 60, 120]) {
      let reads = 0;
      for (let n = 0; pollAtMs(n, 'video') < seconds * 1000; n++) reads = n + 1;
      // Reads before FINISHED plus the one that sees it.
      expect(reads + 1, `${seconds} s`).toBeLessThanOrEqual(seconds / 2 + 1);
    }
  });

  it('is strictly increasing and its steps never exceed 5 s', () => {
    for (let n = 1; n < 400; n++) {
      const step = pollAtMs(n) - pollAtMs(n - 1);
      expect(step).toBeGreaterThan(0);
      expect(step).toBeLessThanOrEqual(5000);
    }
  });

  it('an image that is ready at once costs one read; one ready within a second costs at most four', () => {
    expect(simulate(0)).toEqual({ reads: 1, delayMs: 0 });
    expect(simulate(900).reads).toBeLessThanOrEqual(4);
    expect(simulate(900).delayMs).toBeLessThanOrEqual(100);
  });

  it('long videos cost at most one read per 2 s of processing (from 60 s on)', () => {
    for (const seconds of [60, 90, 120, 300, 600, 1200]) {
      const { reads } = simulate(seconds * 1000);
      expect(reads, `${seconds} s`).toBeLessThanOrEqual(seconds / 2);
    }
  });

  it('sees FINISHED within 2 s up to 30 s of processing, 3 s up to 5 min, 5 s after', () => {
    for (let ms = 1; ms <= 30_000; ms += 97) expect(simulate(ms).delayMs).toBeLessThanOrEqual(2000);
    for (let ms = 30_001; ms <= 300_000; ms += 997) expect(simulate(ms).delayMs).toBeLessThanOrEqual(3000);
    for (let ms = 300_001; ms <= 900_000; ms += 4999) expect(simulate(ms).delayMs).toBeLessThanOrEqual(5000);
  });
});
