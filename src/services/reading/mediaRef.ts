/** Media references: a tracked post id of this owner, or an Instagram media id on the chosen account. */
import { AppError } from '../../errors.js';
import type { AccountRecord, Store } from '../../store/index.js';
import type { Caller } from '../accounts.js';
import type { GraphCalls } from './graphCall.js';

export interface MediaRef {
  account: AccountRecord;
  mediaId: string;
  /** Set when the reference was a tracked post id. */
  postId?: string;
}

/** Instagram ids (media, comments, hashtags) are digits; tracked post ids are not. */
export function isGraphId(value: string): boolean {
  return /^\d{1,40}$/.test(value);
}

/** A tracked post's account and media id come from the store; a media id is taken on the chosen account. */
export async function resolveMediaRef(calls: GraphCalls, store: Store, who: Caller, ref: string, accountArg?: string): Promise<MediaRef> {
  const id = ref.trim();
  if (!isGraphId(id)) {
    const post = await store.posts.get(who.owner, id);
    if (!post) {
      throw new AppError('post_not_found', `No post or media with id '${id.slice(0, 80)}'.`, 'Use an Instagram media id (digits, from instagram_get_posts) or a post id returned by a publishing tool.');
    }
    if (!post.mediaId) {
      throw new AppError('post_not_published', `Post ${post.id} is not published yet (state: ${post.state}).`, 'Follow it with instagram_post_status; insights and comments exist once it is published.');
    }
    const account = await calls.resolve(who, post.accountId);
    return { account, mediaId: post.mediaId, postId: post.id };
  }
  return { account: await calls.resolve(who, accountArg), mediaId: id };
}

/** A comment id argument: digits, or an error that says where to find one. */
export function commentIdArg(raw: string): string {
  const commentId = raw.trim();
  if (!isGraphId(commentId)) throw new AppError('invalid_argument', 'comment_id must be an Instagram comment id (digits).', 'Take it from instagram_get_comments.');
  return commentId;
}
