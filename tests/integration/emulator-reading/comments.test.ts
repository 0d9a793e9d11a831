import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatedComments } from '../../../src/emulator/comments.js';
import { addMedia, call, feed, setup, type Harness } from './helpers.js';

describe('emulator: comments', () => {
  let h: Harness;
  let media: Array<Record<string, any>>;
  beforeAll(async () => {
    h = await setup();
    media = await feed(h);
  });
  afterAll(() => h.close());

  const busiest = () => [...media].sort((a, b) => b.comments_count - a.comments_count)[0]!;

  it('seeds exactly comments_count comments (top-level plus replies) and pages them newest first, 50 at most', async () => {
    const post = busiest();
    expect(post.comments_count).toBeGreaterThan(40);
    const seen: Array<Record<string, any>> = [];
    let res = await call(`${h.ig}/${post.id}/comments`, { token: h.igToken, params: { fields: 'id,text,timestamp,username,hidden,like_count,replies{id,parent_id}', limit: '100' } });
    expect(res.json.data.length).toBeLessThanOrEqual(50);
    seen.push(...res.json.data);
    while (res.json.paging?.next) {
      res = await call(res.json.paging.next);
      seen.push(...res.json.data);
    }
    expect(res.json.paging).not.toHaveProperty('next');
    const replies = seen.flatMap((c) => c.replies?.data ?? []);
    expect(seen.length + replies.length).toBe(post.comments_count);
    const times = seen.map((c) => Date.parse(c.timestamp.replace('+0000', 'Z')));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(seen.every((c) => typeof c.username === 'string' && c.hidden === false)).toBe(true);
    expect(replies.every((r: { parent_id: string }) => seen.some((c) => c.id === r.parent_id))).toBe(true);
  });

  it('answers the documented default fields and an empty list for a media without comments', async () => {
    const post = busiest();
    const res = await call(`${h.ig}/${post.id}/comments`, { token: h.igToken, params: { limit: '2' } });
    expect(Object.keys(res.json.data[0]).sort()).toEqual(['id', 'text', 'timestamp']);
    const fresh = addMedia(h, h.businessId, { productType: 'FEED' }, 3_600_000);
    const empty = await call(`${h.ig}/${fresh.id}/comments`, { token: h.igToken });
    expect(empty.json).toEqual({ data: [] });
  });

  it('creates a comment, replies (a reply to a reply goes under the top-level comment) and keeps comments_count in step', async () => {
    const post = addMedia(h, h.businessId, { productType: 'FEED' }, 3_600_000);
    const created = await call(`${h.ig}/${post.id}/comments`, { method: 'POST', token: h.igToken, params: { message: 'First!' } });
    expect(created.json).toEqual({ id: expect.stringMatching(/^\d+$/) });
    const reply = await call(`${h.ig}/${created.json.id}/replies`, { method: 'POST', token: h.igToken, params: { message: 'Reply one' } });
    const nested = await call(`${h.ig}/${reply.json.id}/replies`, { method: 'POST', token: h.igToken, params: { message: 'Reply two' } });
    expect(nested.json.id).toMatch(/^\d+$/);
    const node = await call(`${h.ig}/${nested.json.id}`, { token: h.igToken, params: { fields: 'id,text,parent_id,username,media{id},user' } });
    expect(node.json).toEqual({ id: nested.json.id, text: 'Reply two', parent_id: created.json.id, username: 'sandbox_bakery', media: { id: post.id }, user: { id: h.businessId } });
    const replies = await call(`${h.ig}/${created.json.id}/replies`, { token: h.igToken, params: { fields: 'text' } });
    expect(replies.json.data.map((r: { text: string }) => r.text)).toEqual(['Reply one', 'Reply two']);
    expect(h.emulator.media(post.id)!.commentsCount).toBe(3);
    const missing = await call(`${h.ig}/${post.id}/comments`, { method: 'POST', token: h.igToken, params: {} });
    expect(missing.json.error.message).toBe('(#100) The parameter message is required');
  });

  it('hides and unhides; a hidden comment cannot be replied to; the owner\'s comments stay visible', async () => {
    const post = busiest();
    const list = await call(`${h.ig}/${post.id}/comments`, { token: h.igToken, params: { fields: 'id,username', limit: '5' } });
    const other = list.json.data.find((c: { username: string }) => c.username !== 'sandbox_bakery');
    expect((await call(`${h.ig}/${other.id}`, { method: 'POST', token: h.igToken, params: { hide: 'true' } })).json).toEqual({ success: true });
    expect((await call(`${h.ig}/${other.id}`, { token: h.igToken, params: { fields: 'hidden' } })).json.hidden).toBe(true);
    const refused = await call(`${h.ig}/${other.id}/replies`, { method: 'POST', token: h.igToken, params: { message: 'hi' } });
    expect(refused.json.error).toMatchObject({ code: 100, message: '(#100) Cannot reply to a hidden comment' });
    await call(`${h.ig}/${other.id}`, { method: 'POST', token: h.igToken, params: { hide: 'false' } });
    expect((await call(`${h.ig}/${other.id}`, { token: h.igToken, params: { fields: 'hidden' } })).json.hidden).toBe(false);

    const mine = await call(`${h.ig}/${post.id}/comments`, { method: 'POST', token: h.igToken, params: { message: 'from the owner' } });
    await call(`${h.ig}/${mine.json.id}`, { method: 'POST', token: h.igToken, params: { hide: 'true' } });
    expect((await call(`${h.ig}/${mine.json.id}`, { token: h.igToken, params: { fields: 'hidden' } })).json.hidden).toBe(false);
  });

  it('deletes a comment with its replies and refuses comments on a media with comments turned off', async () => {
    const post = addMedia(h, h.businessId, { productType: 'FEED' }, 3_600_000);
    const c = await call(`${h.ig}/${post.id}/comments`, { method: 'POST', token: h.igToken, params: { message: 'to delete' } });
    await call(`${h.ig}/${c.json.id}/replies`, { method: 'POST', token: h.igToken, params: { message: 'child' } });
    expect(h.emulator.media(post.id)!.commentsCount).toBe(2);
    expect((await call(`${h.ig}/${c.json.id}`, { method: 'DELETE', token: h.igToken })).json).toEqual({ success: true });
    expect(emulatedComments(h.emulator.state, post.id)).toEqual([]);
    expect(h.emulator.media(post.id)!.commentsCount).toBe(0);
    const gone = await call(`${h.ig}/${c.json.id}`, { token: h.igToken });
    expect(gone.json.error).toMatchObject({ code: 100, error_subcode: 33 });

    await call(`${h.ig}/${post.id}`, { method: 'POST', token: h.igToken, params: { comment_enabled: 'false' } });
    const off = await call(`${h.ig}/${post.id}/comments`, { method: 'POST', token: h.igToken, params: { message: 'nope' } });
    expect(off.json.error.code).toBe(100);
  });

  it('expands comments on the media node without next, and refuses another account\'s comments with 100/33', async () => {
    const post = busiest();
    const res = await call(`${h.ig}/${post.id}`, { token: h.igToken, params: { fields: 'comments_count,comments.limit(2){id,text,replies.limit(1){id}}' } });
    expect(res.json.comments.data).toHaveLength(2);
    expect(res.json.comments.paging.cursors.after).toBeTruthy();
    expect(res.json.comments.paging).not.toHaveProperty('next');
    const creatorToken = h.emulator.issueToken({ userId: h.creatorId, loginType: 'instagram' });
    const foreign = await call(`${h.ig}/${post.id}/comments`, { token: creatorToken });
    expect(foreign.json.error).toMatchObject({ code: 100, error_subcode: 33 });
    const noScope = h.emulator.issueToken({ userId: h.businessId, loginType: 'instagram', scopes: ['instagram_business_basic'] });
    expect((await call(`${h.ig}/${post.id}/comments`, { token: noScope })).json.error.code).toBe(10);
  });
});
