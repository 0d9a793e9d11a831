/**
 * instagram_get_rate_limits: the emulator's usage headers, the live publishing quota, the hashtag
 * budget, and when access returns once throttled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advance } from './helpers.js';
import { startHarness, type Harness } from '../../helpers/harness.js';

describe('rate limits', () => {
  let h: Harness;
  let businessId: string;
  let fbIgId: string;
  beforeAll(async () => {
    // 1 % of either budget per call, so header percentages count calls exactly.
    h = await startHarness({ emulator: { rateLimits: { callBudgetPerHour: 100, appCallBudgetPerHour: 100 } } });
    await h.connectAccount('business');
    await h.connectAccount('facebook');
    businessId = h.emulator.users.instagramBusiness.id;
    fbIgId = h.emulator.users.facebookInstagram.id;
  });
  afterAll(() => h.close());

  /** One direct call to the emulator as the business account: the usage headers it answers. */
  async function directUsage(): Promise<{ app: { call_count: number }; account: { call_count: number } }> {
    const token = h.emulator.issueToken({ userId: businessId, loginType: 'instagram' });
    const res = await fetch(`${h.emulator.urls.instagramGraph}/v24.0/me?fields=id`, { headers: { authorization: `Bearer ${token}` } });
    await res.text();
    return {
      app: JSON.parse(res.headers.get('x-app-usage')!),
      account: JSON.parse(res.headers.get('x-business-use-case-usage')!)[businessId][0],
    };
  }

  it('reflects the usage headers of the emulator, the live publishing quota and the hashtag budget', async () => {
    for (let i = 0; i < 5; i++) await h.call('instagram_get_posts', { account: 'sandbox_bakery', limit: 1 });
    await h.call('instagram_search_hashtag', { account: 'sandbox_coffee', hashtag: 'espresso', limit: 1 });
    const all = await h.call('instagram_get_rate_limits', {});
    expect(all.isError).toBe(false);
    const coffee = all.data.accounts.find((a: { id: string }) => a.id === fbIgId);
    expect(coffee.hashtag_budget).toMatchObject({ used: 1, remaining: 29, searched: ['espresso'] });
    expect(coffee.publishing).toEqual({ quota_usage: 0, quota_total: 100, remaining: 100, window_hours: 24 });
    expect(all.data.summary).toMatch(/29\/30 new hashtags left/);

    // Only the business account: the tool makes exactly one call (content_publishing_limit).
    const out = await h.call('instagram_get_rate_limits', { account: 'sandbox_bakery' });
    const business = out.data.accounts[0];
    const after = await directUsage();
    expect(business.usage).toEqual([
      expect.objectContaining({ type: 'instagram', call_count_pct: after.account.call_count - 1, estimated_time_to_regain_access_min: 0 }),
    ]);
    expect(business.usage[0].call_count_pct).toBeGreaterThan(5);
    expect(out.data.app.call_count_pct).toBe(after.app.call_count - 1);
    expect(out.data.highest_usage_pct).toBe(Math.max(out.data.app.call_count_pct, out.data.app.total_time_pct, business.usage[0].call_count_pct, business.usage[0].total_time_pct));
    expect(business.publishing).toEqual({ quota_usage: 0, quota_total: 100, remaining: 100, window_hours: 24 });
    expect(business.hashtag_budget).toMatchObject({ available: false, reason: expect.stringMatching(/Facebook Login/) });
    expect(out.data.throttled).toBe(false);
    expect(out.data.access_returns_at).toBeNull();
    expect(out.data.summary).toMatch(/@sandbox_bakery: \d+% of the account's call budget, 0\/100 posts in 24 h/);
  });

  it('shows the throttle and when access returns', async () => {
    h.emulator.setQuotaTotal(25);
    h.emulator.setRateLimits({ callBudgetPerHour: (await directUsage()).account.call_count + 1, appCallBudgetPerHour: 10_000 });
    let throttled = false;
    for (let i = 0; i < 5 && !throttled; i++) {
      const out = await h.call('instagram_get_posts', { account: 'sandbox_bakery', limit: 1 });
      throttled = out.isError && out.data.error.code === 'instagram_rate_limited';
    }
    expect(throttled).toBe(true);
    const out = await h.call('instagram_get_rate_limits', { account: 'sandbox_bakery' });
    expect(out.isError).toBe(false);
    const business = out.data.accounts[0];
    expect(business.usage[0].call_count_pct).toBe(100);
    expect(business.usage[0].estimated_time_to_regain_access_min).toBeGreaterThan(0);
    expect(out.data.throttled).toBe(true);
    expect(Date.parse(out.data.access_returns_at)).toBeGreaterThan(h.clock.now());
    expect(business.blocked_until).toBe(out.data.access_returns_at);
    expect(business.publishing.error).toMatch(/Rate limited/);
    expect(out.data.summary).toMatch(/^THROTTLED until/);

    advance(h, 61 * 60_000);
    const later = await h.call('instagram_get_rate_limits', { account: 'sandbox_bakery' });
    expect(later.data.throttled).toBe(false);
    expect(later.data.accounts[0].publishing).toMatchObject({ quota_total: 25 });
  });
});
