/**
 * Comment writes as the account: commenting on its own media, replying, hiding, unhiding and
 * deleting comments, and turning comments on or off. Never retried blindly: a failure that may have
 * been applied says so, and every write is audited.
 */
import { AppError } from '../errors.js';
import { createComment, deleteComment, replyToComment, setCommentHidden, setCommentsEnabled } from '../instagram/comments.js';
import { GraphError } from '../instagram/errors.js';
import type { AccountRecord, Store } from '../store/index.js';
import type { Caller } from './accounts.js';
import { GraphCalls, type ReadingOptions } from './reading/graphCall.js';
import { commentIdArg, resolveMediaRef } from './reading/mediaRef.js';

export type ModerationAction = 'hide' | 'unhide' | 'delete';

function checkMessage(message: string): string {
  const text = message.trim();
  if (!text) throw new AppError('invalid_argument', 'The message is empty.', 'Write the text to post.');
  if (text.length > 2200) throw new AppError('invalid_argument', `The message is ${text.length} characters; Instagram allows 2200.`, 'Shorten it.');
  return text;
}

/** A network or transient failure may have been applied: say so, and how to check, instead of retrying. */
function uncertainWrite(err: unknown, what: string, check: string): never {
  if (err instanceof GraphError && !err.notApplied && (err.kind === 'network' || err.kind === 'transient')) {
    throw new AppError('write_uncertain', `Instagram did not confirm ${what}; it may or may not have happened.`, `${check} before trying again, so nothing is done twice.`, {
      graph_code: err.code,
      cause: err.message,
    });
  }
  throw err;
}

export class Commenting {
  private readonly calls: GraphCalls;
  private readonly store: Store;

  constructor(o: Pick<ReadingOptions, 'store' | 'graph' | 'accounts'>) {
    this.calls = new GraphCalls(o.accounts, o.graph);
    this.store = o.store;
  }

  private async audit(who: Caller, account: AccountRecord, action: string, detail: Record<string, unknown>): Promise<void> {
    await this.store.audit.record({ owner: who.owner, agent: who.agent, accountId: account.id, action, detail });
  }

  async comment(who: Caller, args: { account?: string; mediaId: string; message: string }, signal?: AbortSignal): Promise<{ commentId: string; mediaId: string }> {
    const message = checkMessage(args.message);
    const ref = await resolveMediaRef(this.calls, this.store, who, args.mediaId, args.account);
    let created: { id: string };
    try {
      created = await this.calls.call(who, ref.account, (auth) => createComment(this.calls.graph, auth, ref.mediaId, message, signal));
    } catch (err) {
      uncertainWrite(err, 'the comment', 'Check the comments of the media with instagram_get_comments');
    }
    await this.audit(who, ref.account, 'comment.created', { media_id: ref.mediaId, comment_id: created.id });
    return { commentId: created.id, mediaId: ref.mediaId };
  }

  async reply(who: Caller, args: { account?: string; commentId: string; message: string }, signal?: AbortSignal): Promise<{ replyId: string; commentId: string }> {
    const message = checkMessage(args.message);
    const commentId = commentIdArg(args.commentId);
    const account = await this.calls.resolve(who, args.account);
    let created: { id: string };
    try {
      created = await this.calls.call(who, account, (auth) => replyToComment(this.calls.graph, auth, commentId, message, signal));
    } catch (err) {
      uncertainWrite(err, 'the reply', 'Check the replies with instagram_get_comments(comment_id)');
    }
    await this.audit(who, account, 'comment.replied', { comment_id: commentId, reply_id: created.id });
    return { replyId: created.id, commentId };
  }

  async moderate(who: Caller, args: { account?: string; commentId: string; action: ModerationAction }, signal?: AbortSignal): Promise<{ commentId: string; action: ModerationAction; success: boolean }> {
    const commentId = commentIdArg(args.commentId);
    const account = await this.calls.resolve(who, args.account);
    let success: boolean;
    try {
      success = await this.calls.call(who, account, (auth) =>
        args.action === 'delete' ? deleteComment(this.calls.graph, auth, commentId, signal) : setCommentHidden(this.calls.graph, auth, commentId, args.action === 'hide', signal),
      );
    } catch (err) {
      uncertainWrite(err, `the ${args.action}`, 'Read the comment with instagram_get_comments');
    }
    await this.audit(who, account, `comment.${args.action === 'delete' ? 'deleted' : args.action === 'hide' ? 'hidden' : 'unhidden'}`, { comment_id: commentId });
    return { commentId, action: args.action, success };
  }

  async setEnabled(who: Caller, args: { account?: string; mediaId: string; enabled: boolean }, signal?: AbortSignal): Promise<{ mediaId: string; enabled: boolean; success: boolean }> {
    const ref = await resolveMediaRef(this.calls, this.store, who, args.mediaId, args.account);
    let success: boolean;
    try {
      success = await this.calls.call(who, ref.account, (auth) => setCommentsEnabled(this.calls.graph, auth, ref.mediaId, args.enabled, signal));
    } catch (err) {
      uncertainWrite(err, 'the change', 'Read the post with instagram_get_post (is_comment_enabled)');
    }
    await this.audit(who, ref.account, args.enabled ? 'comments.enabled' : 'comments.disabled', { media_id: ref.mediaId });
    return { mediaId: ref.mediaId, enabled: args.enabled, success };
  }
}
