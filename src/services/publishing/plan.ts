/**
 * A publishing request → a checked plan of the post, in one pass: the text-level checks, the media
 * found in the folders, the media prepared and checked by the library, and the checks that need the
 * media's kind all add to one list of issues, thrown at once (nothing is sent before that).
 */
import { AppError, describeError } from '../../errors.js';
import type { UserTag } from '../../instagram/publishing.js';
import { checkAltText, checkCaption, checkCarouselSize, LIMITS, type TargetKind } from '../../media/index.js';
import type { AccountRecord, PostInput, PostKind, PostSettings, StoredMedia } from '../../store/index.js';
import type { Caller } from '../accounts.js';
import { validationError, type MediaKind, type MediaLibrary, type PreparedMedia, type PrepareItem, type ValidationIssue } from '../mediaLibrary.js';
import type { MediaItemRequest, PublishRequest, PublishSurface } from './types.js';

/** Every field of the library's prepared media is stored with the post (a field it adds must be added to the store's schema). */
type Unstored = Exclude<keyof PreparedMedia, keyof StoredMedia>;
const everyFieldStored: [Unstored] extends [never] ? true : Unstored = true;
void everyFieldStored;

/** What the post will be: checked, its media prepared, ready to be stored. */
export interface PostPlan {
  kind: PostKind;
  caption: string | null;
  idempotencyKey: string | null;
  settings: PostSettings;
  inputs: PostInput[];
  /** Every medium the post uses, cover included (marked used once the post is stored). */
  media: PreparedMedia[];
  /** Worth knowing but not refused (invisible characters in the caption): for the result's note. */
  warnings: string[];
}

export async function planPost(library: MediaLibrary, caller: Caller, account: AccountRecord, request: PublishRequest): Promise<PostPlan> {
  const requestedKind = postKindFor(request);
  const issues = validateRequest(request, requestedKind);
  const sources: MediaItemRequest[] = [...request.media];
  const discovered: string[] = [];
  if (request.autoDiscover && request.autoDiscover > 0) {
    const kinds: MediaKind[] | undefined = request.surface === 'reel' ? ['video'] : undefined;
    try {
      for (const file of await library.discover(caller.owner, request.autoDiscover, kinds)) {
        sources.push({ source: file.path });
        discovered.push(file.name);
      }
    } catch (err) {
      issues.push({ field: 'auto_discover', code: err instanceof AppError ? err.code : 'auto_discover', message: messageWithHint(err), fixable: false });
    }
  }
  issues.push(...checkSources(request.surface, sources.length));

  const mediaField = mediaFieldOf(request.surface);
  const prepareItems: PrepareItem[] = sources.map((input, i) => ({ input, field: sources.length === 1 ? mediaField : `${mediaField}[${i}]`, ...targetsFor(request.surface, sources.length) }));
  if (request.cover) prepareItems.push({ input: request.cover, field: 'cover', targetFor: () => 'reel_cover', defaultKind: 'image' });

  let prepared: PreparedMedia[] = [];
  if (issues.every((i) => i.field !== 'media')) {
    try {
      prepared = await library.prepare(caller.owner, prepareItems, { fixMedia: request.fixMedia });
    } catch (err) {
      const nested = err instanceof AppError ? (err.details?.issues as ValidationIssue[] | undefined) : undefined;
      if (nested) issues.push(...nested);
      else throw err;
    }
  }
  const media = prepared.slice(0, sources.length);
  if (prepared.length) issues.push(...checkPreparedAgainstRequest(request, media));
  if (issues.length > 0) throw validationError(issues);

  const cover = request.cover ? prepared[sources.length] : undefined;
  return {
    kind: requestedKind === 'image' && media[0]?.kind === 'video' ? 'video' : requestedKind,
    caption: request.caption ?? null,
    idempotencyKey: request.idempotencyKey ?? null,
    settings: { ...settingsOf(caller, request, cover, prepared), ...(discovered.length ? { autoDiscovered: discovered } : {}) },
    inputs: media.map((m, i) => {
      const { altText, userTags } = sources[i]!;
      return { ...m, ...(altText ? { altText } : {}), ...(userTags?.length ? { userTags } : {}) };
    }),
    media: [...media, ...(cover ? [cover] : [])],
    warnings: invisibleCharacterWarnings(request),
  };
}

/** Bidirectional controls (they reorder how text reads) and zero-width characters (invisible). */
const INVISIBLE: Record<number, string> = {
  0x061c: 'arabic letter mark',
  0x200b: 'zero-width space',
  0x200c: 'zero-width non-joiner',
  0x200d: 'zero-width joiner',
  0x200e: 'left-to-right mark',
  0x200f: 'right-to-left mark',
  0x202a: 'left-to-right embedding',
  0x202b: 'right-to-left embedding',
  0x202c: 'pop directional formatting',
  0x202d: 'left-to-right override',
  0x202e: 'right-to-left override',
  0x2060: 'word joiner',
  0x2066: 'left-to-right isolate',
  0x2067: 'right-to-left isolate',
  0x2068: 'first strong isolate',
  0x2069: 'pop directional isolate',
  0xfeff: 'zero-width no-break space',
};
const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;
/** What may precede the joiner of an emoji sequence: the emoji, its skin tone or its emoji-style selector. */
const EMOJI_PART = /[\p{Extended_Pictographic}\p{Emoji_Modifier}\uFE0F]/u;

/** The invisible characters of a text, once each, as "U+202E (right-to-left override)". */
export function invisibleCharacters(text: string | undefined): string[] {
  if (!text) return [];
  const found = new Set<number>();
  const chars = [...text];
  chars.forEach((ch, i) => {
    const cp = ch.codePointAt(0)!;
    if (!(cp in INVISIBLE)) return;
    // A zero-width joiner inside an emoji sequence (👨‍👩‍👧) is how those emoji are written.
    if (cp === 0x200d && EMOJI_PART.test(chars[i - 1] ?? '') && PICTOGRAPHIC.test(chars[i + 1] ?? '')) return;
    found.add(cp);
  });
  return [...found].map((cp) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')} (${INVISIBLE[cp]})`);
}

/** Not refused (they can be meant, in right-to-left text): said, with how to take them out. */
function invisibleCharacterWarnings(request: PublishRequest): string[] {
  const out: string[] = [];
  for (const [field, text] of [['caption', request.caption], ['first_comment', request.firstComment]] as const) {
    const found = invisibleCharacters(text);
    if (found.length) out.push(`The ${field} contains invisible characters: ${found.join(', ')}; they are kept as given.`);
  }
  if (out.length) out.push('If they were not meant (bidi controls reorder how text reads, zero-width ones hide inside words), remove them: retype the words around them, or strip U+200B–U+200F, U+202A–U+202E, U+2060, U+2066–U+2069, U+061C and U+FEFF, then correct the caption in the Instagram app.');
  return out;
}

function settingsOf(caller: Caller, request: PublishRequest, cover: PreparedMedia | undefined, prepared: PreparedMedia[]): PostSettings {
  const fixes = prepared.flatMap((p) => (p.fixes ?? []).map((f) => `${p.label}: ${f}`));
  return {
    agent: caller.agent,
    surface: request.surface,
    ...(request.locationId ? { locationId: request.locationId } : {}),
    ...(request.collaborators?.length ? { collaborators: request.collaborators } : {}),
    ...(request.userTags?.length ? { userTags: request.userTags } : {}),
    ...(request.altText ? { altText: request.altText } : {}),
    ...(request.firstComment ? { firstComment: request.firstComment } : {}),
    ...(cover ? { cover } : {}),
    ...(request.thumbOffsetMs !== undefined ? { thumbOffsetMs: request.thumbOffsetMs } : {}),
    ...(request.shareToFeed !== undefined ? { shareToFeed: request.shareToFeed } : {}),
    ...(request.audioName ? { audioName: request.audioName } : {}),
    ...(fixes.length ? { fixes } : {}),
  };
}

/** The tool argument that carries the media: a reel's is `video`, every other surface's `media`. */
function mediaFieldOf(surface: PublishSurface): string {
  return surface === 'reel' ? 'video' : 'media';
}

function checkSources(surface: PublishSurface, count: number): ValidationIssue[] {
  const field = mediaFieldOf(surface);
  const issues: ValidationIssue[] = [];
  if (count === 0) {
    issues.push({ field, code: 'media_missing', message: `No media given: pass ${field} (a URL, a local path or a reference id) or auto_discover.`, fixable: false });
  }
  if (surface === 'feed' && count > 1) {
    for (const issue of checkCarouselSize(count)) issues.push({ field: 'media', code: issue.code, message: `media: ${issue.message}`, fixable: false });
  }
  if (surface !== 'feed' && count > 1) {
    issues.push({ field, code: 'too_many_media', message: `${field}: a ${surface} takes exactly one ${surface === 'reel' ? 'video' : 'image or video'}; ${count} were given.`, fixable: false });
  }
  return issues;
}

function messageWithHint(err: unknown): string {
  const r = describeError(err);
  return r.hint ? `${r.message} ${r.hint}` : r.message;
}

export function postKindFor(request: PublishRequest): PostKind {
  if (request.surface === 'reel') return 'reel';
  if (request.surface === 'story') return 'story';
  const n = request.media.length + (request.autoDiscover ?? 0);
  return n > 1 ? 'carousel' : 'image';
}

function targetsFor(surface: PublishSurface, count: number): { targetFor: (k: MediaKind) => TargetKind; defaultKind: MediaKind } {
  if (surface === 'reel') return { targetFor: () => 'reel', defaultKind: 'video' };
  if (surface === 'story') return { targetFor: (k) => (k === 'video' ? 'story_video' : 'story_image'), defaultKind: 'image' };
  if (count > 1) return { targetFor: (k) => (k === 'video' ? 'carousel_video' : 'carousel_image'), defaultKind: 'image' };
  // A single feed video is published as a reel (Instagram's rule since 2023).
  return { targetFor: (k) => (k === 'video' ? 'reel' : 'feed_image'), defaultKind: 'image' };
}

const USERNAME = /^@?[A-Za-z0-9._]{1,30}$/;

/** Text-level checks (no file, no network): each issue says what to fix. */
export function validateRequest(request: PublishRequest, kind: PostKind): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (field: string, code: string, message: string) => issues.push({ field, code, message, fixable: false });
  for (const issue of checkCaption(request.caption)) add('caption', issue.code, `caption: ${issue.message}`);
  if (request.collaborators && request.collaborators.length > LIMITS.collaboratorsMax) {
    add('collaborators', 'too_many_collaborators', `collaborators: at most ${LIMITS.collaboratorsMax} collaborators can be invited; ${request.collaborators.length} were given. Remove ${request.collaborators.length - LIMITS.collaboratorsMax}.`);
  }
  (request.collaborators ?? []).forEach((name, i) => {
    if (!USERNAME.test(name)) add(`collaborators[${i}]`, 'invalid_username', `collaborators[${i}]: '${name.slice(0, 40)}' is not an Instagram username.`);
  });
  for (const [field, text] of [['alt_text', request.altText], ...request.media.map((m, i) => [`media[${i}].alt_text`, m.altText] as const)] as Array<[string, string | undefined]>) {
    for (const issue of checkAltText(text)) add(field, issue.code, `${field}: ${issue.message}`);
  }
  const tags = [...(request.userTags ?? []), ...request.media.flatMap((m) => m.userTags ?? [])];
  if (tags.length > LIMITS.userTagsMax) add('user_tags', 'too_many_user_tags', `user_tags: at most ${LIMITS.userTagsMax} people can be tagged in one post; ${tags.length} were given.`);
  const checkTags = (field: string, list: UserTag[] | undefined) =>
    (list ?? []).forEach((t, i) => {
      if (!USERNAME.test(t.username)) add(`${field}[${i}]`, 'invalid_username', `${field}[${i}]: '${t.username.slice(0, 40)}' is not an Instagram username.`);
      const bad = (v: number | undefined) => v !== undefined && (v < 0 || v > 1 || Number.isNaN(v));
      if (bad(t.x) || bad(t.y)) add(`${field}[${i}]`, 'tag_position_out_of_range', `${field}[${i}]: x and y are fractions of the image (0.0 to 1.0).`);
    });
  checkTags('user_tags', request.userTags);
  request.media.forEach((m, i) => checkTags(`media[${i}].user_tags`, m.userTags));
  if (kind === 'carousel' && (request.altText || request.userTags?.length)) {
    add('alt_text', 'per_item_option', 'alt_text and user_tags of a carousel go on each item (media[i].alt_text, media[i].user_tags), not on the post.');
  }
  if (kind !== 'carousel' && request.media.some((m) => m.altText || m.userTags?.length)) {
    add('media', 'per_post_option', 'For a single post give alt_text and user_tags at the top level, not inside media.');
  }
  if (request.thumbOffsetMs !== undefined && request.thumbOffsetMs < 0) add('thumb_offset', 'thumb_offset_negative', 'thumb_offset must be 0 or more (milliseconds into the video).');
  if (request.audioName && request.audioName.length > 100) add('audio_name', 'audio_name_too_long', 'audio_name: keep it under 100 characters.');
  if (request.firstComment !== undefined && (request.firstComment.trim() === '' || request.firstComment.length > 2200)) {
    add('first_comment', 'first_comment_invalid', 'first_comment must be 1 to 2200 characters.');
  }
  if (request.idempotencyKey !== undefined && !/^[\x21-\x7e]{1,200}$/.test(request.idempotencyKey)) {
    add('idempotency_key', 'idempotency_key_invalid', 'idempotency_key: 1 to 200 visible ASCII characters.');
  }
  return issues;
}

function tagPositionMessage(field: string): string {
  return `${field}: tagging someone on an image needs x and y (0.0 to 1.0, from the top left).`;
}

/** Checks needing the media's kind: alt text and tags only on images, thumb_offset inside the video. */
function checkPreparedAgainstRequest(request: PublishRequest, media: PreparedMedia[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (field: string, code: string, message: string) => issues.push({ field, code, message, fixable: false });
  if (request.surface === 'feed' && media.length === 1 && media[0]!.kind === 'video' && request.altText) {
    add('alt_text', 'alt_text_not_supported', 'alt_text is supported on images only; this post is a video (published as a reel).');
  }
  request.media.forEach((m, i) => {
    if (media[i]?.kind === 'video' && m.altText) add(`media[${i}].alt_text`, 'alt_text_not_supported', `media[${i}].alt_text: alt text is supported on images only.`);
    if (media[i]?.kind === 'video' && m.userTags?.length) add(`media[${i}].user_tags`, 'user_tags_not_supported', `media[${i}].user_tags: Instagram does not support tagging people on videos inside a carousel.`);
  });
  // Tagging someone on a feed or carousel image needs a position; on videos and stories it does not.
  const needsXY = (tags: UserTag[] | undefined, field: string) =>
    (tags ?? []).forEach((t, i) => {
      if (t.x === undefined || t.y === undefined) add(`${field}[${i}]`, 'tag_position_required', tagPositionMessage(`${field}[${i}]`));
    });
  if (request.surface === 'feed' && media.length === 1 && media[0]!.kind === 'image') needsXY(request.userTags, 'user_tags');
  request.media.forEach((m, i) => {
    if (request.surface === 'feed' && media.length > 1 && media[i]?.kind === 'image') needsXY(m.userTags, `media[${i}].user_tags`);
  });
  const video = media[0];
  if (request.thumbOffsetMs !== undefined && video?.kind === 'video' && video.durationMs !== undefined && request.thumbOffsetMs >= video.durationMs) {
    add('thumb_offset', 'thumb_offset_out_of_range', `thumb_offset is ${request.thumbOffsetMs} ms but the video lasts ${video.durationMs} ms; pick a frame inside the video.`);
  }
  return issues;
}
