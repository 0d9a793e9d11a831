/**
 * instagram_performance_report through the MCP client against the emulator (virtual clock): a seeded
 * account with 90 days of posts. The expectations are computed here from the emulator's own state and
 * its Graph answers (read directly over HTTP), never from the service; the PNG charts decode.
 */
import { existsSync } from 'node:fs';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedHistory } from '../../../src/emulator/history.js';
import { DAY_MS } from '../../../src/emulator/state.js';
import { startHarness, type Harness } from '../../helpers/harness.js';

interface Counts {
  reach: number;
  likes: number;
  comments: number;
  saved: number;
  shares: number;
}

describe('instagram_performance_report', () => {
  let h: Harness;
  let businessId: string;
  let token: string;

  /** The emulator's own answer for one media's insights (what Instagram would say). */
  async function emulatorCounts(mediaId: string): Promise<Counts> {
    const url = `${h.emulator.urls.instagramGraph}/v24.0/${mediaId}/insights?metric=reach,likes,comments,saved,shares&access_token=${token}`;
    const body = (await (await fetch(url)).json()) as { data: Array<{ name: string; values: Array<{ value: number }> }> };
    const get = (name: string) => body.data.find((d) => d.name === name)!.values[0]!.value;
    return { reach: get('reach'), likes: get('likes'), comments: get('comments'), saved: get('saved'), shares: get('shares') };
  }

  beforeAll(async () => {
    h = await startHarness();
    businessId = h.emulator.users.instagramBusiness.id;
    seedHistory(h.emulator.state, businessId, { days: 90, perDay: 1 });
    token = h.emulator.issueToken({ userId: businessId, loginType: 'instagram', lifetime: 'long' });
    await h.connectAccount('business');
  });
  afterAll(() => h.close());

  it('answers rows that match the emulator, and PNG charts as image blocks written to disk', async () => {
    const result = (await h.client.callTool({ name: 'instagram_performance_report', arguments: { account: 'sandbox_bakery', period: '30d', time_zone: 'UTC' } }, undefined, { timeout: 120_000 })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const data = result.structuredContent as any;
    const report = data.accounts[0];
    expect(report.account.username).toBe('sandbox_bakery');

    // The posts of the period, from the emulator's state; each one's rate from the emulator's own insights.
    const now = h.clock.now();
    const inPeriod = h.emulator.state.feedMedia(businessId).filter((m) => m.timestamp >= now - 30 * DAY_MS && m.timestamp < now);
    const previous = h.emulator.state.feedMedia(businessId).filter((m) => m.timestamp >= now - 60 * DAY_MS && m.timestamp < now - 30 * DAY_MS);
    expect(report.posts_total).toBe(inPeriod.length);
    const expected = await Promise.all(
      inPeriod.map(async (m) => {
        const c = await emulatorCounts(m.id);
        return { id: m.id, interactions: c.likes + c.comments + c.saved + c.shares, reach: c.reach, rate: (c.likes + c.comments + c.saved + c.shares) / c.reach };
      }),
    );
    for (const row of report.posts) {
      const e = expected.find((x) => x.id === row.id)!;
      expect(row.interactions).toBe(e.interactions);
      expect(row.reach).toBe(e.reach);
      expect(row.engagement_rate).toBeCloseTo(e.rate, 4);
    }
    const best = [...expected].sort((a, b) => b.rate - a.rate);
    expect(report.top_posts[0].id).toBe(best[0]!.id);
    expect(report.bottom_posts[0].id).toBe(best[best.length - 1]!.id);
    const sum = (xs: Array<{ interactions: number }>) => xs.reduce((t, x) => t + x.interactions, 0);
    expect(report.totals.interactions.current).toBe(sum(expected));
    expect(report.totals.engagement_rate.current).toBeCloseTo(sum(expected) / expected.reduce((t, x) => t + x.reach, 0), 4);
    expect(report.totals.posts).toMatchObject({ current: inPeriod.length, previous: previous.length });

    // Top posts' format share counts what the emulator says those posts are.
    const topFormats = report.top_posts.map((p: any) => {
      const m = h.emulator.state.media.get(p.id)!;
      return m.productType === 'REELS' ? 'REEL' : m.mediaType === 'CAROUSEL_ALBUM' ? 'CAROUSEL' : 'IMAGE';
    });
    const share = topFormats.filter((f: string) => f === report.common.top.format.value).length / topFormats.length;
    expect(report.common.top.format.share).toBeCloseTo(share, 4);

    // Daily reach over the period: the emulator's time series for the same days.
    const since = Math.floor((now - 30 * DAY_MS) / 1000);
    const series = (await (
      await fetch(`${h.emulator.urls.instagramGraph}/v24.0/${businessId}/insights?metric=reach&period=day&metric_type=time_series&since=${since}&until=${Math.floor(now / 1000)}&access_token=${token}`)
    ).json()) as { data: Array<{ values: Array<{ value: number; end_time: string }> }> };
    const reachByDay = new Map(series.data[0]!.values.map((v) => [new Date(Date.parse(v.end_time) - 12 * 3_600_000).toISOString().slice(0, 10), v.value]));
    const reported = report.daily.filter((d: any) => d.reach !== null);
    expect(reported.length).toBeGreaterThanOrEqual(29);
    for (const d of reported) expect(d.reach).toBe(reachByDay.get(d.date));
    // Followers gained: the sum of the emulator's follower_count days.
    expect(report.followers.gained).toBe(report.daily.reduce((t: number, d: any) => t + (d.new_followers ?? 0), 0));
    expect(report.followers.gained).toBeGreaterThan(0);

    // Best hours from online_followers: 7 weekdays × 24 hours, the busiest first.
    expect(report.online_grid).toHaveLength(7);
    expect(report.best_hours).toHaveLength(5);
    expect(report.best_hours[0].online_followers).toBe(Math.max(...report.online_grid.flat().filter((v: number | null) => v !== null)));

    // Charts: image blocks that decode as PNG, and the same files on disk, named in the text.
    const images = (result.content ?? []).filter((c) => c.type === 'image');
    expect(images.length).toBe(4);
    expect(data.charts.map((c: any) => c.name)).toEqual(['sandbox_bakery_reach_views', 'sandbox_bakery_followers', 'sandbox_bakery_best_hours', 'sandbox_bakery_top_posts']);
    for (const [i, image] of images.entries()) {
      if (image.type !== 'image') continue;
      expect(image.mimeType).toBe('image/png');
      const meta = await sharp(Buffer.from(image.data, 'base64')).metadata();
      expect(meta.format).toBe('png');
      expect(meta.width).toBe(960);
      expect(meta.height).toBe(480);
      expect(existsSync(data.charts[i].path)).toBe(true);
      expect(data.charts[i].path.startsWith(h.dataDir)).toBe(true);
    }
    const text = (result.content![0] as { text: string }).text;
    expect(text).toContain(`Charts written to ${data.charts[0].path}`);
  });

  it('90 days: views per week, notes on Instagram windows; no charts when asked; each account when none is named', async () => {
    const out = await h.call('instagram_performance_report', { period: '90d', charts: false });
    expect(out.isError).toBe(false);
    const report = out.data.accounts[0];
    expect(out.data.accounts).toHaveLength(1);
    expect(out.data.charts).toEqual([]);
    expect(report.views_weekly.length).toBe(13);
    expect(report.posts_total).toBe(h.emulator.state.feedMedia(businessId).filter((m) => m.timestamp >= h.clock.now() - 90 * DAY_MS).length);
    expect(report.notes.join(' ')).toContain('follower_count for the last 30 days');
    // The previous 90 days are past Instagram's 90-day window for account insights.
    expect(report.totals.reach.previous).toBeNull();
  });

  it('refuses since after until with what to do', async () => {
    const out = await h.call('instagram_performance_report', { since: '2026-11-20', until: '2026-11-10' });
    expect(out.isError).toBe(true);
    expect(out.data.error.code).toBe('invalid_period');
  });
});
