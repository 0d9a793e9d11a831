/**
 * Steps `begin` (pending) and `containers` (creating_container): one media container per item (a
 * carousel's children at once), each id stored the moment it arrives. Creating a container again after
 * a crash is harmless: an unpublished container is never shown and expires.
 */
import { describeError } from '../../../errors.js';
import { refusesResumableUpload } from '../../../instagram/errors.js';
import { createContainer, type ContainerParams } from '../../../instagram/publishing.js';
import type { PostInput, PostRecord } from '../../../store/index.js';
import { mapLimit, type Step, type StepScope } from './scope.js';

/** Containers created at once for a carousel. */
export const CHILD_CONCURRENCY = 10;

export const begin: Step = async (s, post) => {
  await s.move(post, 'creating_container');
};

export const createContainers: Step = async (s, post) => {
  await s.progress(0.03, 'creating media containers');
  if (post.kind === 'carousel') {
    const done = new Set(post.children.filter((c) => c.containerId).map((c) => c.index));
    const todo = post.inputs.map((_, i) => i).filter((i) => !done.has(i));
    let created = done.size;
    await mapLimit(todo, CHILD_CONCURRENCY, async (index) => {
      const c = await createItemContainer(s, post, index, 'child');
      await s.store.posts.recordContainer(post.id, c.id, metaOf(s, index, c), { index, state: c.resumable ? 'uploading' : 'processing' });
      created++;
      await s.progress(0.03 + 0.1 * (created / post.inputs.length), `created ${created} of ${post.inputs.length} carousel items`);
    });
  } else if (!post.containerId) {
    const c = await createItemContainer(s, post, 0, 'single');
    await s.store.posts.recordContainer(post.id, c.id, metaOf(s, 0, c));
  }
  const after = (await s.store.posts.getById(post.id))!;
  const uploads = Object.values(after.runtime.containers ?? {}).some((m) => m.resumable && !m.uploaded);
  await s.move(after, uploads ? 'uploading' : 'processing');
  await s.progress(0.13, uploads ? 'uploading video' : 'Instagram is processing the media');
};

interface CreatedContainer {
  id: string;
  uri?: string;
  resumable: boolean;
}

function metaOf(s: StepScope, index: number, c: CreatedContainer) {
  return { index, createdAt: s.clock.now(), ...(c.resumable ? { resumable: true, ...(c.uri ? { uri: c.uri } : {}) } : {}) };
}

async function createItemContainer(s: StepScope, post: PostRecord, index: number, role: 'single' | 'child'): Promise<CreatedContainer> {
  const item = post.inputs[index]!;
  const params = baseParams(post, item, role);
  if (item.kind === 'image') {
    params.imageUrl = item.delivery === 'url' ? item.url! : await s.host(item);
  } else if (item.delivery === 'url') {
    params.videoUrl = item.url!;
  } else if (post.runtime.resumableRefused) {
    params.videoUrl = await s.host(item);
  } else {
    params.uploadType = 'resumable';
  }
  const cover = post.settings.cover;
  if (role === 'single' && cover) params.coverUrl = cover.delivery === 'url' ? cover.url! : await s.host(cover);
  try {
    const created = await s.call(post, (auth) => createContainer(s.graph, auth, params, s.signal));
    return { id: created.id, ...(created.uri ? { uri: created.uri } : {}), resumable: params.uploadType === 'resumable' };
  } catch (err) {
    // Some apps cannot use resumable uploads: serve the file at the public URL instead, where one is set.
    if (params.uploadType !== 'resumable' || !refusesResumableUpload(err) || !s.library.canHost()) throw err;
    s.logger.warn('resumable upload refused; serving the video at the public URL instead', { post: post.id, error: describeError(err).message });
    await s.store.posts.updateRuntime(post.id, { resumableRefused: true });
    delete params.uploadType;
    params.videoUrl = await s.host(item);
    const created = await s.call(post, (auth) => createContainer(s.graph, auth, params, s.signal));
    return { id: created.id, resumable: false };
  }
}

/** The container parameters of an item: a carousel child's own, or the post's (single item or carousel parent). */
export function baseParams(post: PostRecord, item: PostInput, role: 'single' | 'child'): ContainerParams {
  const o = post.settings;
  const caption = post.caption ?? undefined;
  if (role === 'child') {
    return item.kind === 'image'
      ? { isCarouselItem: true, ...(item.altText ? { altText: item.altText } : {}), ...(item.userTags?.length ? { userTags: item.userTags } : {}) }
      : { mediaType: 'VIDEO', isCarouselItem: true };
  }
  const shared = {
    ...(o.locationId ? { locationId: o.locationId } : {}),
    ...(o.collaborators?.length ? { collaborators: o.collaborators } : {}),
  };
  switch (post.kind) {
    case 'image':
      return { caption, ...shared, ...(o.altText ? { altText: o.altText } : {}), ...(o.userTags?.length ? { userTags: o.userTags } : {}) };
    case 'video':
    case 'reel':
      return {
        mediaType: 'REELS',
        caption,
        ...shared,
        ...(o.userTags?.length ? { userTags: o.userTags.map((t) => ({ username: t.username })) } : {}),
        ...(o.thumbOffsetMs !== undefined ? { thumbOffset: o.thumbOffsetMs } : {}),
        shareToFeed: o.shareToFeed ?? true,
        ...(o.audioName ? { audioName: o.audioName } : {}),
      };
    case 'story':
      return { mediaType: 'STORIES', ...(o.userTags?.length ? { userTags: o.userTags } : {}) };
    default:
      return { caption, ...shared };
  }
}
