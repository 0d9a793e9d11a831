/** The publishing state table: complete, enforced by transition(), and the only code that moves a post. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { POST_STATES } from '../../../src/store/states.js';
import { IllegalTransitionError, STATE_TABLE, stateTableMarkdown, transition, TransitionConflictError } from '../../../src/services/publishing/stateTable.js';
import { accountInput, openTestStore } from '../../unit/store/helpers.js';

const ACCOUNT = '17841400000000123';

async function setup() {
  const ctx = openTestStore();
  await ctx.store.accounts.upsert(accountInput({ owner: 'owner-a' }));
  return ctx;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

describe('the publishing state table', () => {
  it('covers every state; moves lead to states; only finished states have no way out', () => {
    expect(Object.keys(STATE_TABLE).sort()).toEqual([...POST_STATES].sort());
    for (const [state, spec] of Object.entries(STATE_TABLE)) {
      for (const next of spec.next) expect(POST_STATES, `${state} → ${next}`).toContain(next);
      if (spec.next.length > 0) expect(spec.next, `${state} can fail`).toContain('failed');
    }
    expect(STATE_TABLE.completed.next).toEqual([]);
    expect(STATE_TABLE.failed).toMatchObject({ next: [], step: null });
  });

  it('moves a post only along the table, writing what the move persists', async () => {
    const { store, clock } = await setup();
    const ctx = { store, clock };
    const story = await store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, kind: 'story', inputs: [] });
    await expect(transition(ctx, story, 'completed')).rejects.toThrow(IllegalTransitionError);
    expect((await store.posts.getById(story.id))?.state).toBe('pending');

    let post = await transition(ctx, story, 'creating_container');
    post = await transition(ctx, post, 'processing');
    post = await transition(ctx, post, 'publishing');
    clock.advance(1000);
    const done = await transition(ctx, post, 'completed', { columns: { mediaId: '18000000000000001', permalink: null } });
    expect(done).toMatchObject({ state: 'completed', progress: 1, mediaId: '18000000000000001', publishedAt: clock.now(), expiresAt: clock.now() + 24 * 60 * 60 * 1000, errorMessage: null });
    await expect(transition(ctx, done, 'failed')).rejects.toThrow(IllegalTransitionError);
    // A mover holding a stale copy (the post moved on since it read it) writes nothing.
    await expect(transition(ctx, post, 'processing')).rejects.toThrow(TransitionConflictError);
  });

  it("fences a job's moves by its lease", async () => {
    const { store, clock } = await setup();
    const post = await store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, kind: 'image', inputs: [] });
    const lost = (await store.posts.acquireLease(post.id, 'one', clock.now() + 1000, () => false))!;
    const held = (await store.posts.acquireLease(post.id, 'two', clock.now() + 1000, () => true))!;
    await expect(transition({ store, clock, fence: lost }, post, 'creating_container')).rejects.toThrow(TransitionConflictError);
    expect((await transition({ store, clock, fence: held }, post, 'creating_container')).state).toBe('creating_container');
  });

  it('is the only code that writes a state', () => {
    const src = path.join(import.meta.dirname, '../../../src');
    const writers = sourceFiles(src).filter((f) => /\.writeTransition\(/.test(readFileSync(f, 'utf8'))).map((f) => path.relative(src, f));
    expect(writers).toEqual([path.join('services', 'publishing', 'stateTable.ts')]);
  });

  it('renders as the Markdown table of the README', () => {
    const table = stateTableMarkdown();
    for (const state of POST_STATES) expect(table).toContain(`| \`${state}\` |`);
  });
});
