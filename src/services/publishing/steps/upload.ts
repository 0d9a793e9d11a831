/**
 * Step `upload` (uploading): streams each local video to its resumable container, from disk, resuming
 * from the offset the container reports after any interruption (a crash, a lost answer, a broken stream).
 * Each attempt opens the video as it was checked when the post was planned (no link followed, same
 * device, inode, size and mtime) and streams from that descriptor: a file swapped since is never sent.
 */
import { AppError, describeError } from '../../../errors.js';
import { isNotFoundYet, isUploadResumable } from '../../../instagram/errors.js';
import { uploadVideoResumable } from '../../../instagram/publishing.js';
import type { ContainerMeta, PostInput, PostRecord } from '../../../store/index.js';
import { readStatus, type Step, type StepScope } from './scope.js';

/** Upload attempts per video, each resumed from the offset the container reports. */
export const MAX_UPLOAD_ATTEMPTS = 6;

export const uploadVideos: Step = async (s, post) => {
  const pending = Object.entries(post.runtime.containers ?? {}).filter(([, m]) => m.resumable && !m.uploaded);
  const total = pending.reduce((sum, [, m]) => sum + (post.inputs[m.index]?.sizeBytes ?? 0), 0) || 1;
  let before = 0;
  for (const [containerId, meta] of pending) {
    const item = post.inputs[meta.index]!;
    await uploadOne(s, post, containerId, meta, item, async (sent) => {
      const fraction = (before + sent) / total;
      await s.progress(0.13 + 0.5 * fraction, `uploading video: ${mb(before + sent)} of ${mb(total)} MB`);
    });
    before += item.sizeBytes ?? 0;
    await s.store.posts.markContainerUploaded(post.id, containerId);
  }
  await s.move(post, 'processing');
  await s.progress(0.63, 'Instagram is processing the video');
};

async function uploadOne(s: StepScope, post: PostRecord, containerId: string, meta: ContainerMeta, item: PostInput, onSent: (bytes: number) => void): Promise<void> {
  const fileSize = item.sizeBytes ?? 0;
  for (let attempt = 1; ; attempt++) {
    // Every attempt starts from what Instagram says it holds.
    const status = await readStatus(s, post, containerId).catch((err: unknown) => {
      if (attempt === 1 && isNotFoundYet(err)) return undefined;
      throw err;
    });
    const reported = status?.bytesTransferred ?? 0;
    if (status && (status.uploadingPhase === 'complete' || (fileSize > 0 && reported >= fileSize))) return;
    const offset = reported > fileSize ? 0 : reported;
    const file = await s.library.openForUpload(item);
    try {
      await s.call(post, (auth) =>
        uploadVideoResumable(s.graph, {
          ...(meta.uri ? { uri: meta.uri } : {}),
          containerId,
          token: auth.accessToken,
          file: { handle: file.handle },
          offset,
          fileSize,
          signal: s.signal,
          accountId: auth.igUserId,
          onProgress: async (sent) => {
            onSent(sent);
            await s.renewLease();
          },
        }),
      );
      s.logger.info('video uploaded', { post: post.id, container: containerId, bytes: fileSize, resumedFrom: offset });
      return;
    } catch (err) {
      if (s.signal.aborted) throw err;
      const retryable = !(err instanceof AppError) && isUploadResumable(err);
      s.logger.warn('video upload interrupted', { post: post.id, container: containerId, attempt, error: describeError(err).message });
      if (!retryable || attempt >= MAX_UPLOAD_ATTEMPTS) throw err;
      await s.sleep(Math.min(8000, 500 * 2 ** (attempt - 1)));
    } finally {
      await file.handle.close();
    }
  }
}

function mb(bytes: number): string {
  return (bytes / 1_000_000).toFixed(1);
}
