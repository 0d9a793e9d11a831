/**
 * Insights kept before Instagram drops them: a story's are captured in its last hour (they are gone
 * 24 hours after posting), and a post's at fixed ages (1 h, 24 h, 7 d) so its first week's growth can
 * be shown later. Run by the scheduler as a job; reading falls back to these for an expired story.
 */
import type { Clock } from '../clock.js';
import { describeError } from '../errors.js';
import type { GraphHttp } from '../instagram/http.js';
import { DEFAULT_MEDIA_METRICS, getMediaInsights } from '../instagram/insights.js';
import type { Logger } from '../log.js';
import type { PostRecord, Store } from '../store/index.js';
import type { AccountService } from './accounts.js';

const HOUR = 60 * 60 * 1000;
/** A story is captured once it has less than this left (the sweep runs every 15 minutes). */
export const STORY_CAPTURE_WINDOW_MS = 45 * 60 * 1000;
/** Ages at which a feed post or reel is captured, and how late a capture still counts as that age. */
export const POST_CAPTURE_AGES: ReadonlyArray<{ label: string; ageMs: number }> = [
  { label: '1h', ageMs: HOUR },
  { label: '24h', ageMs: 24 * HOUR },
  { label: '7d', ageMs: 7 * 24 * HOUR },
];
const LATE_LIMIT_MS = 12 * HOUR;

export class InsightsHistory {
  constructor(private readonly o: { store: Store; clock: Clock; logger: Logger; graph: GraphHttp; accounts: AccountService }) {}

  /** The captures due now (labels), for one post. */
  async dueLabels(post: PostRecord, now: number): Promise<string[]> {
    if (!post.mediaId || post.publishedAt === null) return [];
    const kept = await this.o.store.insightSnapshots.labelsOf(post.mediaId);
    if (post.kind === 'story') {
      const expiresAt = post.expiresAt ?? post.publishedAt + 24 * HOUR;
      return now < expiresAt && expiresAt - now <= STORY_CAPTURE_WINDOW_MS && !kept.has('before_expiry') ? ['before_expiry'] : [];
    }
    return POST_CAPTURE_AGES.filter((a) => !kept.has(a.label) && now >= post.publishedAt! + a.ageMs && now < post.publishedAt! + a.ageMs + LATE_LIMIT_MS).map((a) => a.label);
  }

  /** Captures every due snapshot; how many were kept. A failure is logged and tried again next time. */
  async captureDue(): Promise<number> {
    const now = this.o.clock.now();
    let kept = 0;
    for (const post of (await this.o.store.insightSnapshots.publishedSince(now - 8 * 24 * HOUR))) {
      const labels = await this.dueLabels(post, now);
      if (!labels.length) continue;
      const account = await this.o.store.accounts.get(post.owner, post.accountId);
      if (!account || account.status !== 'active') continue;
      try {
        const kind = post.kind === 'story' ? 'STORY' : post.kind === 'reel' || post.kind === 'video' ? 'REELS' : 'FEED';
        const mediaId = post.mediaId!;
        const result = await this.o.accounts.call({ owner: post.owner, agent: post.settings.agent ?? 'worker' }, account, (auth) =>
          getMediaInsights(this.o.graph, auth, mediaId, { metrics: [...DEFAULT_MEDIA_METRICS[kind]] }),
        );
        for (const label of labels) {
          if ((await this.o.store.insightSnapshots.record({ owner: post.owner, accountId: post.accountId, mediaId, postId: post.id, label, capturedAt: this.o.clock.now(), rows: result.rows }))) kept++;
        }
      } catch (err) {
        this.o.logger.warn('could not capture insights; trying again on the next sweep', { post: post.id, error: describeError(err).message });
      }
    }
    return kept;
  }
}
