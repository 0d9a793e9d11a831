/** Reading by area: posts, insights, best times, performance reports, comments, discovery and the API budget, built together. */
import { PerformanceReports } from '../analytics/performance.js';
import { BestTimesReader } from './bestTimes.js';
import { CommentReader } from './comments.js';
import { DiscoveryReader } from './discovery.js';
import type { ReadingOptions } from './graphCall.js';
import { InsightsReader } from './insights.js';
import { RateLimitReader } from './limits.js';
import { PostReader } from './posts.js';

export interface ReadingServices {
  posts: PostReader;
  insights: InsightsReader;
  bestTimes: BestTimesReader;
  reports: PerformanceReports;
  comments: CommentReader;
  discovery: DiscoveryReader;
  rateLimits: RateLimitReader;
}

export function createReading(o: ReadingOptions): ReadingServices {
  const discovery = new DiscoveryReader(o);
  return {
    posts: new PostReader(o),
    insights: new InsightsReader(o),
    bestTimes: new BestTimesReader(o),
    reports: new PerformanceReports(o),
    comments: new CommentReader(o),
    discovery,
    rateLimits: new RateLimitReader(o, discovery),
  };
}

export type { ReadingOptions } from './graphCall.js';
