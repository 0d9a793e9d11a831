/**
 * Time source for every time-dependent rule (token refresh, polling, expiry), injected so tests
 * never sleep for real.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms` of this clock's time; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

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
};

/**
 * A clock whose time only moves when told to, or when something sleeps on it: `sleep(ms)` jumps the
 * clock forward by `ms` and resolves on the next macrotask. Shared by a test's server and emulator it
 * makes "wait 60 s for the video to process" take microseconds while keeping the order of events.
 */
export class VirtualClock implements Clock {
  private current: number;

  constructor(start: number = Date.UTC(2026, 10, 24, 12, 0, 0)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += Math.max(0, ms);
  }

  set(epochMs: number): void {
    this.current = epochMs;
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
