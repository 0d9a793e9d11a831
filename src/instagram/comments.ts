/**
 * Comments (reference §6): list (top-level, newest first, max 50 per page) with replies, read one,
 * create, reply, hide/unhide, delete, and turning comments on or off for a media.
 *
 * Every write uses the `write` retry policy: it is retried only when Meta proves it had no effect,
 * so a comment is never posted twice by a retry.
 */
import { z } from 'zod';
import { graphHostFor, parseResponse, seg, zId, zNum, type AccountAuth } from './account.js';
import type { GraphHttp } from './http.js';

export const MAX_COMMENTS_PAGE = 50;
export const DEFAULT_COMMENT_FIELDS = ['id', 'text', 'timestamp', 'username', 'like_count', 'hidden', 'parent_id'] as const;

interface RawComment {
  id: string;
  text?: string;
  timestamp?: string;
  username?: string;
  like_count?: number;
  hidden?: boolean;
  parent_id?: string;
  from?: { id?: string; username?: string };
  media?: { id?: string; media_product_type?: string };
  replies?: { data: RawComment[]; paging?: { cursors?: { after?: string }; next?: string } };
}

const zCommentBase = z
  .object({
    id: zId,
    text: z.string().optional(),
    timestamp: z.string().optional(),
    username: z.string().optional(),
    like_count: zNum.optional(),
    hidden: z.boolean().optional(),
    parent_id: zId.optional(),
    from: z.object({ id: zId.optional(), username: z.string().optional() }).loose().optional(),
    media: z.object({ id: zId.optional(), media_product_type: z.string().optional() }).loose().optional(),
  })
  .loose();

const zPaging = z
  .object({ cursors: z.object({ after: z.string().optional(), before: z.string().optional() }).optional(), next: z.string().optional() })
  .optional();

const zComment: z.ZodType<RawComment> = zCommentBase.extend({
  replies: z.object({ data: z.array(z.lazy(() => zComment)), paging: zPaging }).optional(),
}) as unknown as z.ZodType<RawComment>;

export type Comment = RawComment;

const zCommentPage = z.object({ data: z.array(zComment), paging: zPaging });

export interface CommentPage {
  items: Comment[];
  /** The `after` cursor when Meta says there is a next page. */
  nextCursor: string | null;
}

function toPage(data: unknown, what: string): CommentPage {
  const parsed = parseResponse(zCommentPage, data, what);
  return { items: parsed.data, nextCursor: parsed.paging?.next ? (parsed.paging.cursors?.after ?? null) : null };
}

export interface ListCommentsOptions {
  limit?: number;
  after?: string;
  /** Replies per comment fetched in the same call (field expansion); 0 for none. */
  repliesLimit?: number;
  fields?: readonly string[];
  signal?: AbortSignal;
}

function commentFields(opts: { fields?: readonly string[]; repliesLimit?: number }): string {
  const base = (opts.fields ?? DEFAULT_COMMENT_FIELDS).join(',');
  if (!opts.repliesLimit) return base;
  return `${base},replies.limit(${Math.floor(opts.repliesLimit)}){${(opts.fields ?? DEFAULT_COMMENT_FIELDS).join(',')}}`;
}

/** GET /<media-id>/comments: top-level comments, newest first. */
export async function listComments(http: GraphHttp, auth: AccountAuth, mediaId: string, opts: ListCommentsOptions = {}): Promise<CommentPage> {
  const res = await http.request({
    host: graphHostFor(auth.loginType),
    method: 'GET',
    path: `/${seg(mediaId)}/comments`,
    query: { fields: commentFields(opts), limit: opts.limit ? Math.min(MAX_COMMENTS_PAGE, opts.limit) : undefined, after: opts.after },
    token: auth.accessToken,
    accountId: auth.igUserId,
    signal: opts.signal,
  });
  return toPage(res.data, 'the comments list');
}

/** GET /<comment-id>/replies. */
export async function listReplies(
  http: GraphHttp,
  auth: AccountAuth,
  commentId: string,
  opts: { limit?: number; after?: string; fields?: readonly string[]; signal?: AbortSignal } = {},
): Promise<CommentPage> {
  const res = await http.request({
    host: graphHostFor(auth.loginType),
    method: 'GET',
    path: `/${seg(commentId)}/replies`,
    query: { fields: (opts.fields ?? DEFAULT_COMMENT_FIELDS).join(','), limit: opts.limit ? Math.min(MAX_COMMENTS_PAGE, opts.limit) : undefined, after: opts.after },
    token: auth.accessToken,
    accountId: auth.igUserId,
    signal: opts.signal,
  });
  return toPage(res.data, 'the replies list');
}

const zCreated = z.object({ id: zId });
const zSuccess = z.object({ success: z.boolean() }).loose();

/** POST /<media-id>/comments. */
export async function createComment(http: GraphHttp, auth: AccountAuth, mediaId: string, message: string, signal?: AbortSignal): Promise<{ id: string }> {
  const res = await http.request({
    host: graphHostFor(auth.loginType),
    method: 'POST',
    path: `/${seg(mediaId)}/comments`,
    form: { message },
    token: auth.accessToken,
    accountId: auth.igUserId,
    retry: 'write',
    signal,
  });
  return parseResponse(zCreated, res.data, 'comment creation');
}

/** POST /<comment-id>/replies (Meta attaches a reply to a reply to the top-level comment). */
export async function replyToComment(http: GraphHttp, auth: AccountAuth, commentId: string, message: string, signal?: AbortSignal): Promise<{ id: string }> {
  const res = await http.request({
    host: graphHostFor(auth.loginType),
    method: 'POST',
    path: `/${seg(commentId)}/replies`,
    form: { message },
    token: auth.accessToken,
    accountId: auth.igUserId,
    retry: 'write',
    signal,
  });
  return parseResponse(zCreated, res.data, 'reply creation');
}

async function postSuccess(http: GraphHttp, auth: AccountAuth, method: 'POST' | 'DELETE', path: string, form: Record<string, string> | undefined, what: string, signal?: AbortSignal): Promise<boolean> {
  const res = await http.request({
    host: graphHostFor(auth.loginType),
    method,
    path,
    form,
    token: auth.accessToken,
    accountId: auth.igUserId,
    retry: 'write',
    signal,
  });
  return parseResponse(zSuccess, res.data, what).success;
}

/** POST /<comment-id>?hide=true|false. Comments by the media owner always stay visible. */
export function setCommentHidden(http: GraphHttp, auth: AccountAuth, commentId: string, hidden: boolean, signal?: AbortSignal): Promise<boolean> {
  return postSuccess(http, auth, 'POST', `/${seg(commentId)}`, { hide: String(hidden) }, 'hiding a comment', signal);
}

/** DELETE /<comment-id>. */
export function deleteComment(http: GraphHttp, auth: AccountAuth, commentId: string, signal?: AbortSignal): Promise<boolean> {
  return postSuccess(http, auth, 'DELETE', `/${seg(commentId)}`, undefined, 'deleting a comment', signal);
}

/** POST /<media-id>?comment_enabled=true|false. */
export function setCommentsEnabled(http: GraphHttp, auth: AccountAuth, mediaId: string, enabled: boolean, signal?: AbortSignal): Promise<boolean> {
  return postSuccess(http, auth, 'POST', `/${seg(mediaId)}`, { comment_enabled: String(enabled) }, 'turning comments on or off', signal);
}
