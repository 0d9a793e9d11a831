/**
 * The typed JSON of a post row, parsed with zod at the store boundary so no caller casts:
 * the prepared media (`inputs_json`), the carousel children (`children_json`), and the options
 * (`options_json`), which hold two objects side by side under distinct keys — the settings the
 * request asked for (fixed at creation) and the runtime state the publishing steps write as they go.
 * The lease has its own columns.
 */
import { z } from 'zod';
import { CHILD_STATES } from './states.js';

const userTag = z.object({ username: z.string(), x: z.number().optional(), y: z.number().optional() });

/** One prepared medium as the media library hands it over (services/publishing checks the two stay in step). */
export const storedMediaSchema = z.object({
  kind: z.enum(['image', 'video']),
  delivery: z.enum(['url', 'file']),
  url: z.string().optional(),
  path: z.string().optional(),
  mimeType: z.string().optional(),
  sizeBytes: z.number().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  durationMs: z.number().optional(),
  referenceId: z.string().optional(),
  fixes: z.array(z.string()).optional(),
  label: z.string(),
});

/** An item of the post: the medium plus what goes with it on a carousel child. */
export const postInputSchema = storedMediaSchema.extend({
  altText: z.string().optional(),
  userTags: z.array(userTag).optional(),
});

/** What the request asked for, beyond caption and media. */
export const postSettingsSchema = z.object({
  agent: z.string().optional(),
  surface: z.enum(['feed', 'reel', 'story']).optional(),
  locationId: z.string().optional(),
  collaborators: z.array(z.string()).optional(),
  userTags: z.array(userTag).optional(),
  altText: z.string().optional(),
  firstComment: z.string().optional(),
  cover: storedMediaSchema.optional(),
  thumbOffsetMs: z.number().optional(),
  shareToFeed: z.boolean().optional(),
  audioName: z.string().optional(),
  /** Account, media content and caption, hashed: a repeat within the window returns this post. */
  fingerprint: z.string().optional(),
  /** The files auto_discover took, relative to their media folder. */
  autoDiscovered: z.array(z.string()).optional(),
  /** What fix_media changed, per item. */
  fixes: z.array(z.string()).optional(),
});

/** A container Instagram handed back, with what the later steps need to know about it. */
export const containerMetaSchema = z.object({
  /** Index into the post's inputs; -1 for a carousel parent. */
  index: z.number(),
  createdAt: z.number(),
  resumable: z.boolean().optional(),
  uri: z.string().optional(),
  uploaded: z.boolean().optional(),
});

export const FIRST_COMMENT_STATUSES = ['posted', 'failed', 'unknown'] as const;

/** What the publishing steps write while the post runs. */
export const postRuntimeSchema = z.object({
  containers: z.record(z.string(), containerMetaSchema).optional(),
  /** The app cannot use resumable uploads: local videos are served at the public URL instead. */
  resumableRefused: z.boolean().optional(),
  /** When media_publish was last attempted (to find the media it became). */
  publishAttemptAt: z.number().optional(),
  failureCode: z.string().optional(),
  failureHint: z.string().optional(),
  /** Why the post is waiting (left for later), or what is still missing once completed. */
  note: z.string().optional(),
  /** Scheduled posts: how late media_publish may still go out, and whether it waits for quota room. */
  schedule: z.object({ graceMs: z.number(), whenQuotaAllows: z.boolean() }).optional(),
  /** How late after publish_at media_publish went out (scheduled posts published late). */
  lateMs: z.number().optional(),
  /** A when_quota_allows post waiting for a free slot since then: its grace window no longer applies. */
  quotaWaitSince: z.number().optional(),
  /**
   * media_publish was refused with an error that fails the post once Instagram shows it is not live,
   * and that proof could not be finished (left for later): the resumed step finishes it before
   * anything else, and never publishes again. What the failure will say.
   */
  proofPending: z.object({ code: z.number().nullable(), subcode: z.number().nullable(), message: z.string(), failureCode: z.string(), hint: z.string().optional() }).optional(),
  firstCommentResult: z.object({ status: z.enum(FIRST_COMMENT_STATUSES), id: z.string().optional(), message: z.string().optional() }).optional(),
});

export const childContainerSchema = z.object({ index: z.number(), containerId: z.string().nullable(), state: z.enum(CHILD_STATES) });

export type StoredMedia = z.infer<typeof storedMediaSchema>;
export type PostInput = z.infer<typeof postInputSchema>;
export type PostSettings = z.infer<typeof postSettingsSchema>;
export type ContainerMeta = z.infer<typeof containerMetaSchema>;
export type PostRuntime = z.infer<typeof postRuntimeSchema>;
export type ChildContainer = z.infer<typeof childContainerSchema>;
export type ChildState = (typeof CHILD_STATES)[number];
export type FirstCommentResult = NonNullable<PostRuntime['firstCommentResult']>;

/** A runtime patch: a key set to undefined is removed. */
export type PostRuntimePatch = { [K in keyof PostRuntime]?: PostRuntime[K] | undefined };

export function parseOptions(json: string): { settings: PostSettings; runtime: PostRuntime } {
  const raw: unknown = JSON.parse(json);
  return { settings: postSettingsSchema.parse(raw), runtime: postRuntimeSchema.parse(raw) };
}

export function serializeOptions(settings: PostSettings, runtime: PostRuntime): string {
  return JSON.stringify({ ...settings, ...runtime });
}

export function parseInputs(json: string): PostInput[] {
  return z.array(postInputSchema).parse(JSON.parse(json));
}

export function parseChildren(json: string): ChildContainer[] {
  return z.array(childContainerSchema).parse(JSON.parse(json));
}
