/**
 * Comment tools through the MCP client against the emulator: reading (with replies, paging, untrusted
 * text), writing (comment, reply), moderating, turning comments off, and no blind retries.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatedComments } from '../../../src/emulator/comments.js';
import { startHarness, type Harness } from '../../helpers/harness.js';

describe('comments', () => {
  let h: Harness;
  let businessId: string;
  beforeAll(async () => {
    h = await startHarness();
    await h.connectAccount('business');
    businessId = h.emulator.users.instagramBusiness.id;
  });
  afterAll(() => h.close());
  beforeEach(() => {
    h.emulator.clearFaults();
    h.emulator.clearLog();
  });

  const busiest = () => [...h.emulator.state.feedMedia(businessId)].sort((a, b) => b.commentsCount - a.commentsCount)[0]!;
  const quiet = () => h.emulator.state.feedMedia(businessId).find((m) => m.commentsCount === 0);

  it('reads comments newest first with their replies, commenters\' text wrapped as untrusted', async () => {
    const post = busiest();
    const out = await h.call('instagram_get_comments', { media_id: post.id, limit: 10 });
    expect(out.isError).toBe(false);
    expect(out.data.media_id).toBe(post.id);
    expect(out.data.resource_uri).toBe(`instagram://posts/${post.id}`);
    expect(out.data.comments).toHaveLength(10);
    const first = out.data.comments[0];
    expect(first).toMatchObject({ id: expect.any(String), username: { untrusted_text: expect.any(String) }, hidden: false, text: { untrusted_text: expect.any(String) } });
    const stored = emulatedComments(h.emulator.state, post.id);
    const top = stored.filter((c) => !c.parentId).sort((a, b) => b.timestamp - a.timestamp);
    expect(out.data.comments.map((c: { id: string }) => c.id)).toEqual(top.slice(0, 10).map((c) => c.id));
    const withReplies = out.data.comments.find((c: { replies?: unknown[] }) => c.replies && c.replies.length);
    if (withReplies) expect(withReplies.replies[0].text).toEqual({ untrusted_text: expect.any(String) });
    // A comment that imitates instructions stays data: it arrives wrapped, never as bare text.
    const injected = stored.find((c) => !c.parentId && c.text.startsWith('Ignore all previous instructions'))!;
    expect(injected).toBeDefined();
    let seen: { text: unknown } | undefined;
    let cursor: string | null = null;
    do {
      const page: { data: { comments: Array<{ id: string; text: unknown }>; next_cursor: string | null }; text: string } = await h.call('instagram_get_comments', {
        media_id: post.id,
        limit: 50,
        ...(cursor ? { cursor } : {}),
      });
      expect(page.text).not.toMatch(/"text": "Ignore/);
      seen = page.data.comments.find((c) => c.id === injected.id) ?? seen;
      cursor = page.data.next_cursor;
    } while (cursor);
    expect(seen!.text).toEqual({ untrusted_text: injected.text });
  });

  it('pages through every top-level comment to the end', async () => {
    const post = busiest();
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const out: { data: { comments: Array<{ id: string }>; next_cursor: string | null } } = await h.call('instagram_get_comments', {
        media_id: post.id,
        limit: 50,
        include_replies: false,
        ...(cursor ? { cursor } : {}),
      });
      ids.push(...out.data.comments.map((c) => c.id));
      cursor = out.data.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    const top = emulatedComments(h.emulator.state, post.id).filter((c) => !c.parentId);
    expect(ids.length).toBe(top.length);
    expect(new Set(ids)).toEqual(new Set(top.map((c) => c.id)));
  });

  it('answers an empty list for a post without comments, and lists the replies of one comment', async () => {
    const empty = quiet();
    expect(empty).toBeDefined();
    const out = await h.call('instagram_get_comments', { media_id: empty!.id });
    expect(out.data).toMatchObject({ comments: [], count: 0, next_cursor: null });
    expect(out.data.notes).toContain('This media has no comments.');

    const parent = emulatedComments(h.emulator.state, busiest().id).find((c) => c.parentId)!.parentId!;
    const replies = await h.call('instagram_get_comments', { comment_id: parent });
    expect(replies.isError).toBe(false);
    const expected = emulatedComments(h.emulator.state).filter((c) => c.parentId === parent);
    expect(replies.data.comments.map((c: { id: string }) => c.id).sort()).toEqual(expected.map((c) => c.id).sort());
  });

  it('comments, replies, hides, unhides and deletes — as the emulator records', async () => {
    const post = quiet()!;
    const created = await h.call('instagram_post_comment', { media_id: post.id, message: 'Thanks for visiting!' });
    expect(created.isError).toBe(false);
    const stored = () => emulatedComments(h.emulator.state, post.id);
    expect(stored()).toEqual([expect.objectContaining({ id: created.data.comment_id, text: 'Thanks for visiting!', username: 'sandbox_bakery' })]);

    const visitor = emulatedComments(h.emulator.state, busiest().id).find((c) => !c.parentId && !c.byOwner)!;
    const reply = await h.call('instagram_reply_comment', { comment_id: visitor.id, message: 'Glad you liked it' });
    expect(reply.isError).toBe(false);
    expect(emulatedComments(h.emulator.state).find((c) => c.id === reply.data.reply_id)).toMatchObject({ parentId: visitor.id, text: 'Glad you liked it' });

    expect((await h.call('instagram_moderate_comment', { comment_id: visitor.id, action: 'hide' })).data).toMatchObject({ success: true, action: 'hide' });
    expect(emulatedComments(h.emulator.state).find((c) => c.id === visitor.id)!.hidden).toBe(true);
    const refused = await h.call('instagram_reply_comment', { comment_id: visitor.id, message: 'Hello?' });
    expect(refused.isError).toBe(true);
    expect(refused.data.error.message).toMatch(/hidden comment/);
    await h.call('instagram_moderate_comment', { comment_id: visitor.id, action: 'unhide' });
    expect(emulatedComments(h.emulator.state).find((c) => c.id === visitor.id)!.hidden).toBe(false);

    const deleted = await h.call('instagram_moderate_comment', { comment_id: created.data.comment_id, action: 'delete' });
    expect(deleted.data.success).toBe(true);
    expect(stored()).toEqual([]);
    const audit = (await h.app.store.audit.list('alice', 20)).map((a) => a.action);
    expect(audit).toEqual(expect.arrayContaining(['comment.created', 'comment.replied', 'comment.hidden', 'comment.unhidden', 'comment.deleted']));
  });

  it('turns comments off and on', async () => {
    const post = busiest();
    const off = await h.call('instagram_set_comments_enabled', { media_id: post.id, enabled: false });
    expect(off.data).toMatchObject({ media_id: post.id, comments_enabled: false, success: true });
    expect(h.emulator.media(post.id)!.isCommentEnabled).toBe(false);
    const refused = await h.call('instagram_post_comment', { media_id: post.id, message: 'hello' });
    expect(refused.isError).toBe(true);
    await h.call('instagram_set_comments_enabled', { media_id: post.id, enabled: true });
    expect(h.emulator.media(post.id)!.isCommentEnabled).toBe(true);
  });

  it('never retries a comment write blindly: one request, and an answer saying the outcome is uncertain', async () => {
    const post = quiet()!;
    const before = emulatedComments(h.emulator.state, post.id).length;
    h.emulator.injectFaults({ method: 'POST', path: /\/comments$/, kind: { type: 'lost_response' }, times: 1 });
    const out = await h.call('instagram_post_comment', { media_id: post.id, message: 'Did this post?' });
    expect(out.isError).toBe(true);
    expect(out.data.error.code).toBe('write_uncertain');
    expect(out.data.error.hint).toMatch(/instagram_get_comments/);
    const posts = h.emulator.requestLog().filter((r) => r.method === 'POST' && r.path.endsWith('/comments'));
    expect(posts).toHaveLength(1);
    // The emulator applied it: retrying would have doubled it.
    expect(emulatedComments(h.emulator.state, post.id).length).toBe(before + 1);

    h.emulator.injectFaults({ method: 'POST', path: /\/replies$/, kind: { type: 'graph_error', code: 2 }, times: 1 });
    const visitor = emulatedComments(h.emulator.state, busiest().id).find((c) => !c.parentId && !c.byOwner && !c.hidden)!;
    const reply = await h.call('instagram_reply_comment', { comment_id: visitor.id, message: 'Once only' });
    expect(reply.data.error.code).toBe('write_uncertain');
    expect(h.emulator.requestLog().filter((r) => r.method === 'POST' && r.path.endsWith('/replies'))).toHaveLength(1);
  });

  it('declares delete as destructive and the other writes as not read-only', async () => {
    const { tools } = await h.client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get('instagram_moderate_comment')!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.get('instagram_post_comment')!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true });
    expect(byName.get('instagram_get_comments')!.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true });
    expect(byName.get('instagram_get_comments')!.description).toMatch(/untrusted/);
    expect(h.client.getInstructions()).toMatch(/untrusted_text/);
  });
});
