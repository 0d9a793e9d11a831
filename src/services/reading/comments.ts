/**
 * Reading comments: a media's comments, newest first, with their first replies; or the replies of
 * one comment. Comment text is someone else's: the tools hand it on as untrusted data.
 */
import { AppError } from '../../errors.js';
import { MAX_COMMENTS_PAGE, listComments, listReplies, type Comment } from '../../instagram/comments.js';
import type { AccountRecord, Store } from '../../store/index.js';
import type { Caller } from '../accounts.js';
import { Bounds } from './bounds.js';
import { GraphCalls, type ReadingOptions } from './graphCall.js';
import { decodeCursor, encodeCursor, pageStart, slicePage } from './cursor.js';
import { commentIdArg, resolveMediaRef } from './mediaRef.js';

/** How much to read: the first replies of each comment are 5 in concise answers, 25 in full ones. */
export type Detail = 'concise' | 'full';

export interface CommentItem {
  id: string;
  /** Chosen by the commenter: data, never instructions. */
  username: string | null;
  timestamp: string | null;
  likeCount: number | null;
  hidden: boolean | null;
  /** Written by the commenter: data, never instructions. */
  text: string | null;
  /** Written by the account itself. */
  byAccountOwner: boolean;
  /** The first replies, when they were asked for. */
  replies?: CommentItem[];
  /** More replies exist than the ones read. */
  moreReplies: boolean;
}

export interface CommentsPage {
  /** The media whose comments these are (reading a media's comments). */
  mediaId?: string;
  /** The comment whose replies these are (reading replies). */
  commentId?: string;
  comments: CommentItem[];
  nextCursor: string | null;
  notes: string[];
}

export interface CommentsQuery {
  account?: string;
  mediaId?: string;
  commentId?: string;
  limit?: number;
  cursor?: string;
  includeReplies?: boolean;
  detail?: Detail;
}

function commentOf(c: Comment, account: AccountRecord, b: Bounds): CommentItem {
  const username = b.text(c.username ?? c.from?.username, 'username');
  return {
    id: b.id(c.id),
    username,
    timestamp: b.text(c.timestamp, 'value'),
    likeCount: c.like_count ?? null,
    hidden: c.hidden ?? null,
    text: b.text(c.text, 'comment'),
    byAccountOwner: !!username && username.toLowerCase() === account.username.toLowerCase(),
    moreReplies: false,
  };
}

export class CommentReader {
  private readonly calls: GraphCalls;
  private readonly store: Store;

  constructor(o: ReadingOptions) {
    this.calls = new GraphCalls(o.accounts, o.graph);
    this.store = o.store;
  }

  async list(who: Caller, q: CommentsQuery, signal?: AbortSignal): Promise<CommentsPage> {
    const limit = Math.max(1, Math.min(MAX_COMMENTS_PAGE, Math.floor(q.limit ?? 20)));
    if (q.commentId) return this.replies(who, { ...q, commentId: q.commentId }, limit, signal);
    if (!q.mediaId) throw new AppError('invalid_argument', 'Give media_id (the post whose comments to read) or comment_id (the comment whose replies to read).', 'Find media ids with instagram_get_posts.');
    const ref = await resolveMediaRef(this.calls, this.store, who, q.mediaId, q.account);
    const account = ref.account;
    let cursor;
    if (q.cursor) {
      cursor = decodeCursor(q.cursor, 'comments', account);
      if (cursor['m'] !== ref.mediaId) throw new AppError('invalid_cursor', 'This cursor belongs to the comments of another media.', 'Use it with the same media_id, or leave cursor out.');
    }
    const start = pageStart(cursor);
    const repliesLimit = q.includeReplies === false ? 0 : q.detail === 'full' ? 25 : 5;
    const page = await this.calls.call(who, account, (auth) => listComments(this.calls.graph, auth, ref.mediaId, { limit, after: start.after, repliesLimit, signal }));
    const b = new Bounds();
    const slice = slicePage(page.items, limit, start, page.nextCursor);
    const comments = slice.items.map((c) => {
      const item = commentOf(c, account, b);
      if (repliesLimit && c.replies) {
        item.replies = c.replies.data.slice(0, repliesLimit).map((r) => commentOf(r, account, b));
        item.moreReplies = c.replies.data.length >= repliesLimit;
      }
      return item;
    });
    const notes: string[] = [];
    if (comments.some((c) => c.moreReplies)) notes.push('Some comments have more replies: read them with comment_id.');
    if (!comments.length) notes.push(cursor ? 'No more comments.' : 'This media has no comments.');
    notes.push(...b.notes());
    return {
      mediaId: ref.mediaId,
      comments,
      nextCursor: slice.next ? encodeCursor({ k: 'comments', a: account.id, ...slice.next, m: ref.mediaId }) : null,
      notes,
    };
  }

  private async replies(who: Caller, q: CommentsQuery & { commentId: string }, limit: number, signal?: AbortSignal): Promise<CommentsPage> {
    const commentId = commentIdArg(q.commentId);
    const account = await this.calls.resolve(who, q.account);
    const cursor = q.cursor ? decodeCursor(q.cursor, 'replies', account) : undefined;
    if (cursor && cursor['m'] !== commentId) throw new AppError('invalid_cursor', 'This cursor belongs to the replies of another comment.', 'Use it with the same comment_id, or leave cursor out.');
    const start = pageStart(cursor);
    const page = await this.calls.call(who, account, (auth) => listReplies(this.calls.graph, auth, commentId, { limit, after: start.after, signal }));
    const b = new Bounds();
    const slice = slicePage(page.items, limit, start, page.nextCursor);
    const comments = slice.items.map((c) => commentOf(c, account, b));
    return {
      commentId,
      comments,
      nextCursor: slice.next ? encodeCursor({ k: 'replies', a: account.id, ...slice.next, m: commentId }) : null,
      notes: [...(comments.length ? [] : [cursor ? 'No more replies.' : 'This comment has no replies.']), ...b.notes()],
    };
  }
}
