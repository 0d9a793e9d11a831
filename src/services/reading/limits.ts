/**
 * The API budget: Meta's usage percentages per app and account (from the usage headers of the calls
 * made so far), the live publishing quota, the hashtag budget, and when access returns if throttled.
 */
import type { Clock } from '../../clock.js';
import { getPublishingLimit } from '../../instagram/publishing.js';
import type { AccountRecord } from '../../store/index.js';
import type { Caller } from '../accounts.js';
import type { DiscoveryReader, HashtagBudget } from './discovery.js';
import { GraphCalls, type ReadingOptions } from './graphCall.js';

/** Percentages of Meta's budgets, as its usage headers report them. */
export interface UsagePct {
  callCountPct: number;
  totalTimePct: number;
  totalCputimePct: number;
  /** When the header was seen, epoch ms. */
  observedAt: number;
}

export interface PublishingQuota {
  quotaUsage: number;
  quotaTotal: number | null;
  remaining: number | null;
  windowHours: number | null;
}

export interface AccountLimits {
  id: string;
  username: string;
  loginType: AccountRecord['loginType'];
  usage: Array<UsagePct & { type: string; estimatedTimeToRegainAccessMin: number }>;
  /** Epoch ms until which Instagram refuses this account's calls. */
  blockedUntil: number | null;
  publishing: PublishingQuota | { error: string };
  hashtagBudget: HashtagBudget | { available: false; reason: string };
}

export interface RateLimits {
  app: UsagePct | null;
  accounts: AccountLimits[];
  throttled: boolean;
  /** When calls go through again, epoch ms; null when not throttled. */
  accessReturnsAt: number | null;
  highestUsagePct: number;
}

export class RateLimitReader {
  private readonly calls: GraphCalls;
  private readonly clock: Clock;

  constructor(
    o: ReadingOptions,
    private readonly discovery: DiscoveryReader,
  ) {
    this.calls = new GraphCalls(o.accounts, o.graph);
    this.clock = o.clock;
  }

  async read(who: Caller, args: { account?: string }, signal?: AbortSignal): Promise<RateLimits> {
    const targets = args.account ? [await this.calls.resolve(who, args.account)] : (await this.calls.connected(who));
    const publishing = new Map<string, PublishingQuota | { error: string }>();
    for (const account of targets) {
      try {
        const limit = await this.calls.call(who, account, (auth) => getPublishingLimit(this.calls.graph, auth, signal));
        publishing.set(account.id, {
          quotaUsage: limit.quotaUsage,
          quotaTotal: limit.quotaTotal,
          remaining: limit.quotaTotal === null ? null : Math.max(0, limit.quotaTotal - limit.quotaUsage),
          windowHours: limit.quotaDurationSec === null ? null : Math.round(limit.quotaDurationSec / 3600),
        });
      } catch (err) {
        if (signal?.aborted) throw err;
        publishing.set(account.id, { error: err instanceof Error ? err.message : String(err) });
      }
    }
    // Read after the live calls so their usage headers are included.
    const usage = this.calls.graph.usage();
    const now = this.clock.now();
    const app = usage.app ? { callCountPct: usage.app.callCount, totalTimePct: usage.app.totalTime, totalCputimePct: usage.app.totalCputime, observedAt: usage.app.at } : null;
    let highest = app ? Math.max(app.callCountPct, app.totalTimePct, app.totalCputimePct) : 0;
    let returnsAt = usage.blockedUntil['app'] ?? 0;
    const accounts: AccountLimits[] = [];
    for (const account of targets) {
      const entries = usage.accounts[account.id] ?? [];
      for (const e of entries) highest = Math.max(highest, e.callCount, e.totalTime, e.totalCputime);
      const blocked = usage.blockedUntil[account.id];
      if (blocked && blocked > returnsAt) returnsAt = blocked;
      accounts.push({
        id: account.id,
        username: account.username,
        loginType: account.loginType,
        usage: entries.map((e) => ({
          type: e.type,
          callCountPct: e.callCount,
          totalTimePct: e.totalTime,
          totalCputimePct: e.totalCputime,
          estimatedTimeToRegainAccessMin: e.estimatedTimeToRegainAccessMin,
          observedAt: e.at,
        })),
        blockedUntil: blocked ? blocked : null,
        publishing: publishing.get(account.id) ?? { error: 'not checked' },
        hashtagBudget:
          account.loginType === 'facebook'
            ? await this.discovery.hashtagBudget(who, account)
            : { available: false, reason: 'Hashtag search needs Facebook Login (instagram_authenticate with login_type "facebook").' },
      });
    }
    const throttled = returnsAt > now;
    return { app, accounts, throttled, accessReturnsAt: throttled ? returnsAt : null, highestUsagePct: highest };
  }
}
