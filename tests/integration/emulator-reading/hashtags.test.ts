import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureHashtag, searchedHashtags } from '../../../src/emulator/hashtags.js';
import { call, setup, type Harness } from './helpers.js';

describe('emulator: hashtag search', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await setup();
  });
  afterAll(() => h.close());

  const search = (q: string, token = h.fbToken, userId = h.fbIgId) => call(`${h.fb}/ig_hashtag_search`, { token, params: { user_id: userId, q } });

  it('finds a static id per hashtag and reads it back', async () => {
    const first = await search('#Coffee');
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ data: [{ id: expect.stringMatching(/^\d{17}$/) }] });
    const again = await search('coffee');
    expect(again.json.data[0].id).toBe(first.json.data[0].id);
    const node = await call(`${h.fb}/${first.json.data[0].id}`, { token: h.fbToken, params: { fields: 'id,name' } });
    expect(node.json).toEqual({ id: first.json.data[0].id, name: 'coffee' });
    const recent = await call(`${h.fb}/${h.fbIgId}/recently_searched_hashtags`, { token: h.fbToken, params: { limit: '30' } });
    expect(recent.json.data).toEqual([{ id: first.json.data[0].id }]);
  });

  it('pages top media to the end (50 max, after cursor and next only), without username', async () => {
    const id = configureHashtag(h.emulator.state, 'latteart', { top: 70, recent: 3 });
    const fields = 'id,caption,media_type,like_count,comments_count,permalink,timestamp';
    const first = await call(`${h.fb}/${id}/top_media`, { token: h.fbToken, params: { user_id: h.fbIgId, fields, limit: '100' } });
    expect(first.json.data).toHaveLength(50);
    expect(Object.keys(first.json.paging.cursors)).toEqual(['after']);
    expect(first.json.paging).not.toHaveProperty('previous');
    const second = await call(first.json.paging.next);
    expect(second.json.data).toHaveLength(20);
    expect(second.json.paging).not.toHaveProperty('next');
    const likes = [...first.json.data, ...second.json.data].map((m: { like_count: number }) => m.like_count);
    expect([...likes].sort((a, b) => b - a)).toEqual(likes);
    const withUser = await call(`${h.fb}/${id}/top_media`, { token: h.fbToken, params: { user_id: h.fbIgId, fields: 'id,username' } });
    expect(withUser.json.error.message).toBe('(#100) Tried accessing nonexisting field (username) on node type (IGMedia)');
    const noUser = await call(`${h.fb}/${id}/top_media`, { token: h.fbToken, params: { fields: 'id' } });
    expect(noUser.json.error.message).toBe('(#100) The parameter user_id is required');
  });

  it('serves recent media of the last 24 hours only, and empty lists', async () => {
    const id = configureHashtag(h.emulator.state, 'fresh_bread', { top: 5, recent: 12 });
    const res = await call(`${h.fb}/${id}/recent_media`, { token: h.fbToken, params: { user_id: h.fbIgId, fields: 'id,timestamp' } });
    expect(res.json.data).toHaveLength(12);
    for (const m of res.json.data) expect(h.clock.now() - Date.parse(m.timestamp.replace('+0000', 'Z'))).toBeLessThan(86_400_000);
    h.clock.advance(25 * 3_600_000);
    const later = await call(`${h.fb}/${id}/recent_media`, { token: h.fbToken, params: { user_id: h.fbIgId, fields: 'id' } });
    expect(later.json).toEqual({ data: [] });
    const emptyId = configureHashtag(h.emulator.state, 'nothing_here', { top: 0, recent: 0 });
    expect((await call(`${h.fb}/${emptyId}/top_media`, { token: h.fbToken, params: { user_id: h.fbIgId } })).json).toEqual({ data: [] });
  });

  it('does not exist on graph.instagram.com, and graph.facebook.com refuses an Instagram-Login token', async () => {
    const onIg = await call(`${h.ig}/ig_hashtag_search`, { token: h.igToken, params: { user_id: h.businessId, q: 'coffee' } });
    expect(onIg.status).toBe(400);
    expect(onIg.json.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
    const igTokenOnFb = await search('coffee', h.igToken, h.businessId);
    expect(igTokenOnFb.json.error).toMatchObject({ code: 190, message: 'Invalid OAuth access token - Cannot parse access token' });
  });

  it('allows 30 unique hashtags per 7 days; repeats are free; the window rolls', async () => {
    const h2 = await setup();
    try {
      const s = (q: string) => call(`${h2.fb}/ig_hashtag_search`, { token: h2.fbToken, params: { user_id: h2.fbIgId, q } });
      for (let i = 0; i < 30; i++) expect((await s(`tag${i}`)).status).toBe(200);
      expect(searchedHashtags(h2.emulator.state, h2.fbIgId)).toHaveLength(30);
      const over = await s('tag30');
      expect(over.status).toBe(400);
      expect(over.json.error.code).toBe(100);
      expect(over.json.error.message).toMatch(/limit of 30 unique hashtags/);
      expect((await s('tag7')).status).toBe(200);
      h2.clock.advance(7 * 86_400_000 + 1000);
      expect((await s('tag30')).status).toBe(200);
      expect((await call(`${h2.fb}/ig_hashtag_search`, { token: h2.fbToken, params: { user_id: h2.fbIgId, q: '☕' } })).json.error.code).toBe(100);
    } finally {
      await h2.close();
    }
  });
});
