import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, setup, type Harness } from './harness.js';

describe('reading media', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await setup();
  });
  afterAll(() => h.close());

  it('pages through ~30 seeded media with cursors; next is a full URL and absent on the last page', async () => {
    const first = await call(`${h.ig}/${h.businessId}/media`, { token: h.igToken, params: { fields: 'id,timestamp,media_type' } });
    expect(first.status).toBe(200);
    expect(first.json.data).toHaveLength(25);
    expect(first.json.paging.cursors).toEqual({ before: expect.any(String), after: expect.any(String) });
    expect(first.json.paging).not.toHaveProperty('previous');
    const next = new URL(first.json.paging.next);
    expect(next.origin + next.pathname).toBe(`${h.ig}/${h.businessId}/media`);
    expect(next.searchParams.get('after')).toBe(first.json.paging.cursors.after);
    expect(next.searchParams.get('access_token')).toBe(h.igToken);
    expect(next.searchParams.get('fields')).toBe('id,timestamp,media_type');

    const second = await call(first.json.paging.next);
    expect(second.json.data).toHaveLength(5);
    expect(second.json.paging).not.toHaveProperty('next');
    expect(second.json.paging.previous).toBeTruthy();
    const ids = [...first.json.data, ...second.json.data].map((m: { id: string }) => m.id);
    expect(new Set(ids).size).toBe(30);
    const times = [...first.json.data, ...second.json.data].map((m: { timestamp: string }) => Date.parse(m.timestamp.replace('+0000', 'Z')));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(new Set([...first.json.data].map((m: { media_type: string }) => m.media_type))).toEqual(new Set(['IMAGE', 'CAROUSEL_ALBUM', 'VIDEO']));

    const back = await call(second.json.paging.previous);
    expect(back.json.data.map((m: { id: string }) => m.id)).toEqual(ids.slice(0, 25));
  });

  it('honours limit, after and before', async () => {
    const page1 = await call(`${h.ig}/${h.businessId}/media`, { token: h.igToken, params: { limit: '10' } });
    expect(page1.json.data).toHaveLength(10);
    expect(page1.json.data[0]).toEqual({ id: expect.any(String) });
    const page2 = await call(`${h.ig}/${h.businessId}/media`, {
      token: h.igToken,
      params: { limit: '10', after: page1.json.paging.cursors.after },
    });
    expect(page2.json.data[0].id).not.toBe(page1.json.data[9].id);
    const before = await call(`${h.ig}/${h.businessId}/media`, {
      token: h.igToken,
      params: { limit: '3', before: page2.json.paging.cursors.before },
    });
    expect(before.json.data.map((m: { id: string }) => m.id)).toEqual(page1.json.data.slice(7).map((m: { id: string }) => m.id));
  });

  it('filters with since / until (unix seconds)', async () => {
    const all = await call(`${h.ig}/${h.businessId}/media`, { token: h.igToken, params: { fields: 'timestamp', limit: '100' } });
    expect(all.json.data).toHaveLength(30);
    const cutoff = Math.floor((h.clock.now() - 10 * 86_400_000) / 1000);
    const recent = await call(`${h.ig}/${h.businessId}/media`, { token: h.igToken, params: { fields: 'timestamp', limit: '100', since: String(cutoff) } });
    const old = await call(`${h.ig}/${h.businessId}/media`, { token: h.igToken, params: { fields: 'timestamp', limit: '100', until: String(cutoff) } });
    expect(recent.json.data.length).toBeGreaterThan(0);
    expect(recent.json.data.length + old.json.data.length).toBe(30);
    for (const m of recent.json.data) expect(Date.parse(m.timestamp.replace('+0000', 'Z'))).toBeGreaterThanOrEqual(cutoff * 1000);
  });

  it('expands children{...} and serves media fields and /children', async () => {
    const res = await call(`${h.ig}/${h.businessId}/media`, {
      token: h.igToken,
      params: {
        fields: 'id,caption,media_type,media_product_type,media_url,permalink,thumbnail_url,timestamp,like_count,comments_count,children{id,media_type,media_url}',
        limit: '10',
      },
    });
    const album = res.json.data.find((m: { media_type: string }) => m.media_type === 'CAROUSEL_ALBUM');
    expect(album.children.data.length).toBeGreaterThanOrEqual(2);
    expect(album.children.data[0]).toEqual({ id: expect.any(String), media_type: expect.any(String), media_url: expect.any(String) });
    expect(album.media_url).toBe(album.children.data[0].media_url);
    const reel = res.json.data.find((m: { media_type: string }) => m.media_type === 'VIDEO');
    expect(reel).toMatchObject({ media_product_type: 'REELS', thumbnail_url: expect.any(String) });
    expect(reel.permalink).toMatch(/\/reel\//);
    const image = res.json.data.find((m: { media_type: string }) => m.media_type === 'IMAGE');
    expect(image).not.toHaveProperty('thumbnail_url');
    expect(image).not.toHaveProperty('children');
    expect(typeof image.like_count).toBe('number');

    const children = await call(`${h.ig}/${album.id}/children`, { token: h.igToken });
    expect(children.json.data).toEqual(album.children.data.map((c: { id: string }) => ({ id: c.id })));
    const node = await call(`${h.ig}/${album.id}`, { token: h.igToken, params: { fields: 'shortcode,owner' } });
    expect(node.json).toEqual({ shortcode: expect.any(String), owner: { id: h.businessId }, id: album.id });
  });

  it('fails the call on an unknown media field, also inside an expansion', async () => {
    const res = await call(`${h.ig}/${h.businessId}/media`, { token: h.igToken, params: { fields: 'id,bogus' } });
    expect(res.json.error).toMatchObject({ code: 100, message: '(#100) Tried accessing nonexisting field (bogus) on node type (IGMedia)' });
    const nested = await call(`${h.ig}/${h.businessId}/media`, { token: h.igToken, params: { fields: 'children{nope}' } });
    expect(nested.json.error.code).toBe(100);
  });

  it('expands media on the user node with cursors but no next', async () => {
    const res = await call(`${h.ig}/me`, { token: h.igToken, params: { fields: 'username,media.limit(3){id,media_type}' } });
    expect(res.json.media.data).toHaveLength(3);
    expect(res.json.media.paging.cursors.after).toBeTruthy();
    expect(res.json.media.paging).not.toHaveProperty('next');
  });

  it('lists only live stories', async () => {
    const res = await call(`${h.ig}/${h.businessId}/stories`, { token: h.igToken, params: { fields: 'id,media_product_type,timestamp' } });
    expect(res.json.data).toHaveLength(1);
    expect(res.json.data[0].media_product_type).toBe('STORY');
  });

  it('turns comments off and on', async () => {
    const list = await call(`${h.ig}/${h.businessId}/media`, { token: h.igToken, params: { limit: '1' } });
    const id = list.json.data[0].id;
    const res = await call(`${h.ig}/${id}`, { method: 'POST', token: h.igToken, params: { comment_enabled: 'false' } });
    expect(res.json).toEqual({ success: true });
    expect((await call(`${h.ig}/${id}`, { token: h.igToken, params: { fields: 'is_comment_enabled' } })).json.is_comment_enabled).toBe(false);
  });

  it("refuses another account's media with 100/33", async () => {
    const list = await call(`${h.ig}/${h.businessId}/media`, { token: h.igToken, params: { limit: '1' } });
    const creatorToken = h.emulator.issueToken({ userId: h.creatorId, loginType: 'instagram' });
    const res = await call(`${h.ig}/${list.json.data[0].id}`, { token: creatorToken });
    expect(res.json.error).toMatchObject({ code: 100, error_subcode: 33 });
  });
});
