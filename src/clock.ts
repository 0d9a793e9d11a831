/**
 * Time source for every time-dependent rule (token refresh, polling, expiry), injected so tests
 * never sleep for real.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms` of this clock's time; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `fn` once, `ms` of this clock's time from now. A timer never keeps the process alive and
   * never moves time itself: on a VirtualClock it fires only when something moves time past it.
   */
  setTimer(ms: number, fn: () => void): Timer;
}

export interface Timer {
  /** Stops the timer from firing (no-op once it has fired). */
  cancel(): void;
}

/** Calls `fn` every `ms` of the clock's time until cancelled (re-armed before each call). */
export function every(clock: Clock, ms: number, fn: () => void): Timer {
  if (!(ms >= 1)) throw new RangeError(`every(): interval must be at least 1 ms, got ${ms}`);
  let current: Timer;
  let cancelled = false;
  const arm = () => {
    current = clock.setTimer(ms, () => {
      if (cancelled) return;
      arm();
      fn();
    });
  };
  arm();
  return {
    cancel() {
      cancelled = true;
      current.cancel();
    },
  };
}

/** setTimeout's largest delay; longer ones would fire after 1 ms. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortError(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
  setTimer(ms, fn) {
    const timer = setTimeout(fn, Math.min(MAX_TIMEOUT_MS, Math.max(0, ms)));
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

/**
 * A clock whose time only moves when told to, or when something sleeps on it: `sleep(ms)` jumps the
 * clock forward by `ms` and resolves on the next macrotask. Shared by a test's server and emulator it
 * makes "wait 60 s for the video to process" take microseconds while keeping the order of events.
 * Timers fire synchronously, in due order, while time moves past them (`advance`, `set`, `sleep`),
 * each seeing `now()` at its own due time; a timer due now fires on the next macrotask.
 */
export class VirtualClock implements Clock {
  private current: number;
  private timers: Array<{ due: number; fn: () => void }> = [];

  constructor(start: number = Date.UTC(2026, 10, 24, 12, 0, 0)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.moveTo(this.current + Math.max(0, ms));
  }

  set(epochMs: number): void {
    this.moveTo(epochMs);
  }

  setTimer(ms: number, fn: () => void): Timer {
    const timer = { due: this.current + Math.max(0, ms), fn };
    // Sorted by due time, then creation order (equal due times fire in the order they were set).
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.due > timer.due) i--;
    this.timers.splice(i, 0, timer);
    if (timer.due <= this.current) setImmediate(() => this.moveTo(this.current));
    return {
      cancel: () => {
        const at = this.timers.indexOf(timer);
        if (at >= 0) this.timers.splice(at, 1);
      },
    };
  }

  /** Timers not yet fired or cancelled. */
  pendingTimers(): number {
    return this.timers.length;
  }

  /** When the earliest pending timer is due, if any (a driver can move time event by event). */
  nextTimerAt(): number | undefined {
    return this.timers[0]?.due;
  }

  private moveTo(target: number): void {
    const errors: unknown[] = [];
    let fired = false;
    while (this.timers.length > 0 && this.timers[0]!.due <= target) {
      fired = true;
      const timer = this.timers.shift()!;
      this.current = Math.max(this.current, timer.due);
      try {
        timer.fn();
      } catch (err) {
        errors.push(err);
      }
    }
    // A timer that moved time further itself (advance inside a callback) keeps that later time.
    if (!fired || this.current <= target) this.current = target;
    if (errors.length > 0) throw errors[0];
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      setImmediate(() => {
        if (signal?.aborted) return reject(abortError(signal));
        this.advance(ms);
        resolve();
      });
    });
  }
}

/** ISO-8601 in the Graph API's own format: `2024-05-01T10:00:00+0000`. */
export function graphTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, '+0000');
}
