/**
 * Rate-limit simulation (reference §10): a rolling-hour call budget per IG account (Business Use
 * Case) and per app, reported as integer percentages in `X-App-Usage` and
 * `X-Business-Use-Case-Usage`; once a budget is spent, calls answer 80002 / 4 (configurable) with
 * `is_transient: true` until enough emulator time has passed.
 */
import { EmulatedGraphError, defaultMessageFor } from './errors.js';
import { HOUR_MS, type EmulatorState } from './state.js';

export interface UsageVerdict {
  error?: EmulatedGraphError;
  headers: Record<string, string>;
}

export class RateLimiter {
  private readonly accountCalls = new Map<string, number[]>();
  private readonly appCalls = new Map<string, number[]>();

  constructor(private readonly state: EmulatorState) {}

  /** Records a call (unless throttled) and returns the usage headers and, when over budget, the error. */
  admit(appId: string, accountId: string | undefined): UsageVerdict {
    const now = this.state.now();
    const limits = this.state.config.rateLimits;
    const app = prune(this.appCalls, appId, now);
    const account = accountId ? prune(this.accountCalls, accountId, now) : undefined;

    let error: EmulatedGraphError | undefined;
    if (account && account.length >= limits.callBudgetPerHour) {
      error = throttleError(limits.bucErrorCode);
    } else if (app.length >= limits.appCallBudgetPerHour) {
      error = throttleError(limits.appErrorCode);
    } else {
      app.push(now);
      account?.push(now);
    }

    const headers: Record<string, string> = {
      'X-App-Usage': JSON.stringify(usage(app.length, limits.appCallBudgetPerHour)),
    };
    if (accountId && account) {
      const regainMinutes =
        account.length >= limits.callBudgetPerHour ? Math.max(1, Math.ceil((account[0]! + HOUR_MS - now) / 60_000)) : 0;
      headers['X-Business-Use-Case-Usage'] = JSON.stringify({
        [accountId]: [
          {
            type: 'instagram',
            ...usage(account.length, limits.callBudgetPerHour),
            estimated_time_to_regain_access: regainMinutes,
          },
        ],
      });
    }
    return { error, headers };
  }

  reset(): void {
    this.accountCalls.clear();
    this.appCalls.clear();
  }

  /** Calls counted in the current window for an account (tests / admin state). */
  accountUsage(accountId: string): number {
    return prune(this.accountCalls, accountId, this.state.now()).length;
  }
}

function prune(map: Map<string, number[]>, key: string, now: number): number[] {
  let list = map.get(key);
  if (!list) {
    list = [];
    map.set(key, list);
  }
  while (list.length && list[0]! <= now - HOUR_MS) list.shift();
  return list;
}

function usage(calls: number, budget: number): { call_count: number; total_cputime: number; total_time: number } {
  const pct = budget > 0 ? Math.min(100, Math.floor((calls * 100) / budget)) : 100;
  return { call_count: pct, total_cputime: Math.floor(pct / 2), total_time: Math.floor((pct * 3) / 4) };
}

function throttleError(code: number): EmulatedGraphError {
  return new EmulatedGraphError({ code, message: defaultMessageFor(code), isTransient: true });
}
