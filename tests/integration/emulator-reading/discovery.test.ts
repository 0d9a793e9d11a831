import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, setup, type Harness } from './helpers.js';

describe('emulator: business discovery', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await setup();
  });
  afterAll(() => h.close());

  const discover = (fields: string, base = h.fb, token = h.fbToken, id = h.fbIgId) => call(`${base}/${id}`, { token, params: { fields } });

  it('answers public stats and media through field expansion, paging with media.after() to the end', async () => {
    const fields = (after?: string) =>
      `business_discovery.username(bluebottle){username,followers_count,media_count,biography,media.limit(20)${after ? `.after(${after})` : ''}{id,like_count,comments_count,view_count,media_product_type}}`;
    const first = await discover(fields());
    expect(first.status).toBe(200);
    const bd = first.json.business_discovery;
    expect(first.json.id).toBe(h.fbIgId);
    expect(bd).toMatchObject({ username: 'bluebottle', followers_count: 267793, media_count: 45, id: expect.any(String) });
    expect(bd.media.data).toHaveLength(20);
    expect(bd.media.paging).not.toHaveProperty('next');
    const reel = bd.media.data.find((m: { media_product_type: string }) => m.media_product_type === 'REELS');
    expect(reel.view_count).toBeGreaterThan(0);
    const ids = bd.media.data.map((m: { id: string }) => m.id);
    let after = bd.media.paging.cursors.after;
    for (;;) {
      const page = await discover(fields(after));
      const data = page.json.business_discovery.media.data;
      ids.push(...data.map((m: { id: string }) => m.id));
      if (!data.length) break;
      after = page.json.business_discovery.media.paging.cursors.after;
    }
    expect(new Set(ids).size).toBe(45);
  });

  it('omits hidden like counts, finds seeded professional accounts and answers empty media', async () => {
    const hidden = await discover('business_discovery.username(bluebottle){media.limit(50){id,like_count}}');
    expect(hidden.json.business_discovery.media.data.some((m: Record<string, unknown>) => !('like_count' in m))).toBe(true);
    const seeded = await discover('business_discovery.username(sandbox_bakery){username,media_count}');
    expect(seeded.json.business_discovery).toMatchObject({ username: 'sandbox_bakery', media_count: 30 });
    const quiet = await discover('business_discovery.username(quiet_studio){media_count,media{id}}');
    expect(quiet.json.business_discovery.media).toEqual({ data: [] });
  });

  it('answers 110/2207013 for unknown and personal accounts, 100 for a private field, and nothing on graph.instagram.com', async () => {
    for (const name of ['no_such_account_xyz', 'private_person']) {
      const res = await discover(`business_discovery.username(${name}){followers_count}`);
      expect(res.json.error).toMatchObject({ code: 110, error_subcode: 2207013, message: 'Invalid user id', error_user_title: 'Cannot find User' });
    }
    const field = await discover('business_discovery.username(bluebottle){follows_count}');
    expect(field.json.error.message).toBe('(#100) Tried accessing nonexisting field (follows_count) on node type (User)');
    const onIg = await discover('business_discovery.username(bluebottle){followers_count}', h.ig, h.igToken, h.businessId);
    expect(onIg.json.error.message).toBe('(#100) Tried accessing nonexisting field (business_discovery) on node type (User)');
  });
});
