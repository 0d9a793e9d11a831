/** A stored post → the domain view the service hands back (the tools shape it for their output). */
import { failureMeaning } from '../../instagram/errors.js';
import type { PostRecord } from '../../store/index.js';
import { httpsLink } from '../reading/bounds.js';
import type { FirstCommentView, PostErrorView, PostStatusView } from './types.js';

export interface ViewContext {
  account: { id: string; username: string } | null;
  replayed: boolean;
  running: boolean;
  drivenElsewhere: boolean;
}

export function toStatusView(post: PostRecord, ctx: ViewContext): PostStatusView {
  const { runtime } = post;
  const note = runtime.note && post.state !== 'failed' ? runtime.note : undefined;
  const firstComment = firstCommentOf(post);
  return {
    postId: post.id,
    state: post.state,
    progress: post.progress,
    kind: post.kind,
    account: ctx.account,
    mediaId: post.mediaId,
    // A link from Instagram is passed on only when https: (issue #12, item 12).
    permalink: httpsLink(post.permalink),
    containerId: post.containerId,
    ...(post.kind === 'carousel' ? { children: post.children.map((c) => ({ index: c.index, containerId: c.containerId, state: c.state })) } : {}),
    error: errorOf(post),
    ...(firstComment ? { firstComment } : {}),
    fixes: post.settings.fixes ?? [],
    autoDiscovered: post.settings.autoDiscovered ?? [],
    attempts: post.attempts,
    createdAt: post.createdAt,
    publishedAt: post.publishedAt,
    expiresAt: post.expiresAt,
    ...(post.publishAt !== null ? { publishAt: post.publishAt } : {}),
    ...(post.runtime.lateMs !== undefined && post.runtime.lateMs > 60_000 ? { lateMs: post.runtime.lateMs } : {}),
    hasIdempotencyKey: post.idempotencyKey !== null,
    replayed: ctx.replayed,
    running: ctx.running,
    drivenElsewhere: ctx.drivenElsewhere,
    ...(note ? { note } : {}),
  };
}

function errorOf(post: PostRecord): PostErrorView | null {
  if (post.state !== 'failed') return null;
  return {
    code: post.errorCode ?? post.runtime.failureCode ?? 'failed',
    subcode: post.errorSubcode,
    message: post.errorMessage ?? 'The post failed.',
    meaning: failureMeaning(post.errorSubcode, post.runtime.failureHint),
  };
}

function firstCommentOf(post: PostRecord): FirstCommentView | undefined {
  const result = post.runtime.firstCommentResult;
  if (result) return { status: result.status, ...(result.id ? { commentId: result.id } : {}), ...(result.message ? { message: result.message } : {}) };
  return post.settings.firstComment && post.state === 'completed' ? { status: 'pending' } : undefined;
}
