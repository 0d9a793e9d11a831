/**
 * The clock's timer primitive: virtual timers fire in due order only when time is moved past them
 * (never by themselves), `every` repeats on top of it, cancel works; system timers are real, unref'd
 * timeouts.
 */
import { describe, expect, it } from 'vitest';
import { every, systemClock, VirtualClock } from '../../src/clock.js';
import { AdjustableClock } from '../../src/emulator/emulator.js';

const nextMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('VirtualClock timers', () => {
  it('fire in due order when time moves past them, each seeing its own due time, and not before', async () => {
    const clock = new VirtualClock(1_000);
    const fired: Array<[string, number]> = [];
    clock.setTimer(300, () => fired.push(['c', clock.now()]));
    clock.setTimer(100, () => fired.push(['a', clock.now()]));
    clock.setTimer(200, () => fired.push(['b1', clock.now()]));
    clock.setTimer(200, () => fired.push(['b2', clock.now()]));

    // Left alone, time does not move and nothing fires.
    for (let i = 0; i < 5; i++) await nextMacrotask();
    expect(clock.now()).toBe(1_000);
    expect(fired).toEqual([]);

    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([['a', 1_100]]);
    clock.set(1_250);
    expect(fired).toEqual([['a', 1_100], ['b1', 1_200], ['b2', 1_200]]);
    expect(clock.now()).toBe(1_250);
    await clock.sleep(1_000);
    expect(fired.at(-1)).toEqual(['c', 1_300]);
    expect(clock.now()).toBe(2_250);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('cancel stops a timer; a timer due now fires on the next macrotask without moving time', async () => {
    const clock = new VirtualClock(0);
    const fired: string[] = [];
    const cancelled = clock.setTimer(10, () => fired.push('cancelled'));
    clock.setTimer(20, () => fired.push('kept'));
    cancelled.cancel();
    clock.advance(30);
    expect(fired).toEqual(['kept']);

    clock.setTimer(0, () => fired.push('now'));
    expect(fired).toEqual(['kept']);
    await nextMacrotask();
    expect(fired).toEqual(['kept', 'now']);
    expect(clock.now()).toBe(30);
  });

  it('every() repeats once per interval crossed, and stops when cancelled', () => {
    const clock = new VirtualClock(0);
    const at: number[] = [];
    const ticker = every(clock, 60_000, () => at.push(clock.now()));
    clock.advance(59_999);
    expect(at).toEqual([]);
    clock.advance(3 * 60_000);
    expect(at).toEqual([60_000, 120_000, 180_000]);
    ticker.cancel();
    clock.advance(10 * 60_000);
    expect(at).toHaveLength(3);
    expect(clock.pendingTimers()).toBe(0);
    expect(() => every(clock, 0, () => {})).toThrow(RangeError);
  });

  it('a callback that throws does not stop later timers or the time move', () => {
    const clock = new VirtualClock(0);
    const fired: number[] = [];
    clock.setTimer(1, () => {
      throw new Error('boom');
    });
    clock.setTimer(2, () => fired.push(clock.now()));
    expect(() => clock.advance(5)).toThrow('boom');
    expect(fired).toEqual([2]);
    expect(clock.now()).toBe(5);
  });
});

describe('systemClock timers', () => {
  it('are real timeouts that fire, can be cancelled, and never hold the process open', async () => {
    const unrefd: boolean[] = [];
    const realSetTimeout = globalThis.setTimeout;
    // Observe the timeout the clock creates (hasRef() tells whether it keeps the event loop alive).
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      const t = realSetTimeout(...args);
      queueMicrotask(() => unrefd.push(!t.hasRef()));
      return t;
    }) as typeof setTimeout;
    let fired: Promise<number>;
    let cancelledFired = false;
    try {
      const start = Date.now();
      fired = new Promise((resolve) => systemClock.setTimer(5, () => resolve(Date.now() - start)));
      const cancelled = systemClock.setTimer(1, () => (cancelledFired = true));
      cancelled.cancel();
    } finally {
      globalThis.setTimeout = realSetTimeout;
    }
    expect(await fired).toBeGreaterThanOrEqual(4);
    // A later real timeout than the cancelled one: had it not been cancelled, it would have fired by now.
    await new Promise((resolve) => realSetTimeout(resolve, 5));
    expect(cancelledFired).toBe(false);
    expect(unrefd).toEqual([true, true]);
  });
});

describe('AdjustableClock timers (the standalone emulator)', () => {
  it('fire early when the clock is pushed past them', async () => {
    const clock = new AdjustableClock(systemClock);
    const fired = new Promise<number>((resolve) => clock.setTimer(3_600_000, () => resolve(clock.now())));
    const due = clock.now() + 3_600_000;
    clock.advance(3_600_000);
    expect(await fired).toBeGreaterThanOrEqual(due);
  });
});
