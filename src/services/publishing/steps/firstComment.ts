/**
 * Step `firstComment` (completed): posts the first comment once. Its result is written before the
 * write (unknown) and after it, so a comment is never posted twice either.
 */
import { describeError } from '../../../errors.js';
import { mayHaveApplied } from '../../../instagram/errors.js';
import { createComment } from '../../../instagram/comments.js';
import type { Step } from './scope.js';

export const postFirstComment: Step = async (s, post) => {
  const text = post.settings.firstComment;
  const mediaId = post.mediaId;
  if (!text || post.runtime.firstCommentResult || !mediaId) return;
  await s.store.posts.updateRuntime(post.id, { firstCommentResult: { status: 'unknown', message: 'The first comment was being posted when the server stopped; check the post before adding it again.' } });
  try {
    const { id } = await s.call(post, (auth) => createComment(s.graph, auth, mediaId, text, s.signal));
    await s.store.posts.updateRuntime(post.id, { firstCommentResult: { status: 'posted', id } });
  } catch (err) {
    const report = describeError(err);
    await s.store.posts.updateRuntime(post.id, {
      firstCommentResult: mayHaveApplied(err)
        ? { status: 'unknown', message: `The first comment may or may not have been posted (${report.message}); check the post before adding it again.` }
        : { status: 'failed', message: `${report.message}${report.hint ? ` ${report.hint}` : ''}` },
    });
    s.logger.warn('first comment failed; the post itself is published', { post: post.id, error: report.message });
  }
};
