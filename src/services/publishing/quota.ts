/**
 * The publishing quota (posts per rolling window): read live before a post's containers are made,
 * explained when media_publish refuses, and estimated free-at from the posts this server published.
 */
import type { Clock } from '../../clock.js';
import { AppError, describeError } from '../../errors.js';
import type { GraphHttp } from '../../instagram/http.js';
import { getPublishingLimit, type PublishingLimit } from '../../instagram/publishing.js';
import type { Logger } from '../../log.js';
import type { AccountRecord, Store } from '../../store/index.js';
import type { AccountService, Caller } from '../accounts.js';
import type { PublishingLimitView } from './types.js';

export class Quota {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly graph: GraphHttp;
  private readonly accounts: AccountService;

  constructor(deps: { store: Store; clock: Clock; logger: Logger; graph: GraphHttp; accounts: AccountService }) {
    ({ store: this.store, clock: this.clock, logger: this.logger, graph: this.graph, accounts: this.accounts } = deps);
  }

  async limitView(caller: Caller, account: AccountRecord, signal?: AbortSignal): Promise<PublishingLimitView> {
    const limit = await this.accounts.call(caller, account, (auth) => getPublishingLimit(this.graph, auth, signal));
    const remaining = limit.quotaTotal === null ? null : Math.max(0, limit.quotaTotal - limit.quotaUsage);
    return {
      account: { id: account.id, username: account.username },
      quotaUsage: limit.quotaUsage,
      quotaTotal: limit.quotaTotal,
      quotaDurationSec: limit.quotaDurationSec,
      remaining,
      freesAt: remaining === 0 ? (await this.estimateFreesAt(account, limit.quotaDurationSec)) : null,
    };
  }

  /** Before any container is created: a post that cannot be published today is refused at once. */
  async checkEarly(caller: Caller, account: AccountRecord): Promise<void> {
    let limit: PublishingLimit;
    try {
      limit = await this.accounts.call(caller, account, (auth) => getPublishingLimit(this.graph, auth));
    } catch (err) {
      if (err instanceof AppError) throw err;
      this.logger.warn('could not read the publishing limit; publishing anyway', { error: describeError(err).message });
      return;
    }
    if (limit.quotaTotal !== null && limit.quotaUsage >= limit.quotaTotal) throw (await this.exhausted(account, limit.quotaUsage, limit.quotaTotal, limit.quotaDurationSec));
  }

  /** media_publish answered 9/2207042: nothing went live; say how full the window is (`limit` read just now, if it could be) and when it frees up. */
  async refusal(account: AccountRecord, limit: PublishingLimit | null, refusal: string): Promise<AppError> {
    if (limit?.quotaTotal != null) return this.exhausted(account, limit.quotaUsage, limit.quotaTotal, limit.quotaDurationSec);
    return new AppError('quota_exhausted', `Instagram refused the publish: ${refusal} Nothing was published.`, 'Try again once a slot frees up in the rolling 24-hour window (instagram_get_publishing_limit shows the quota).');
  }

  private async exhausted(account: AccountRecord, usage: number, total: number, durationSec: number | null): Promise<AppError> {
    const freesAt = await this.estimateFreesAt(account, durationSec);
    const hours = Math.round((durationSec ?? 86_400) / 3600);
    const when = freesAt
      ? `A slot should free up around ${new Date(freesAt).toISOString()} (estimated from the posts this server published).`
      : `Slots free up as posts leave the rolling ${hours}-hour window; Instagram does not say exactly when.`;
    return new AppError(
      'quota_exhausted',
      `@${account.username} has used its publishing quota: ${usage} of ${total} posts in the last ${hours} hours. Nothing was published. ${when}`,
      'Publish later (check instagram_get_publishing_limit), or schedule the post.',
      { quota_usage: usage, quota_total: total, quota_duration_seconds: durationSec, frees_at: freesAt ? new Date(freesAt).toISOString() : null },
    );
  }

  private async estimateFreesAt(account: AccountRecord, durationSec: number | null): Promise<number | null> {
    const window = (durationSec ?? 86_400) * 1000;
    const now = this.clock.now();
    const inWindow = (await this.store.posts.listForAccount(account.owner, account.id, 500))
      .filter((p) => p.state === 'completed' && p.publishedAt !== null && p.publishedAt > now - window)
      .map((p) => p.publishedAt!)
      .sort((a, b) => a - b);
    return inWindow.length ? inWindow[0]! + window : null;
  }
}
