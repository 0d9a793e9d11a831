/**
 * Reading posts: the account's recent media (and live stories), one media with its carousel
 * children, and what the MCP resources show (accounts with their tracked posts, tracked posts with
 * their live media). Results are domain objects; the tools and resources shape them.
 */
import { AppError } from '../../errors.js';
import { GraphError } from '../../instagram/errors.js';
import { DEFAULT_MEDIA_FIELDS, getMedia, listChildren, listMedia, listStories, type MediaItem } from '../../instagram/media.js';
import type { AccountRecord, PostRecord, Store } from '../../store/index.js';
import type { Caller, ConnectedAccount } from '../accounts.js';
import { Bounds, httpsLink } from './bounds.js';
import { accountRef, GraphCalls, type AccountRef, type ReadingOptions } from './graphCall.js';
import { decodeCursor, encodeCursor, pageStart, slicePage } from './cursor.js';
import { isGraphId, resolveMediaRef } from './mediaRef.js';
import { parseTimeArg } from './time.js';

/** One Instagram media of a connected account, every field Instagram returned. */
export interface Media {
  id: string;
  mediaType: string | null;
  productType: string | null;
  caption: string | null;
  permalink: string | null;
  timestamp: string | null;
  likeCount: number | null;
  commentsCount: number | null;
  /** Carousel children; absent for other media. */
  children?: MediaChild[];
  mediaUrl: string | null;
  thumbnailUrl: string | null;
  shortcode: string | null;
  commentsEnabled: boolean | null;
}

export interface MediaChild {
  id: string;
  mediaType: string | null;
  mediaUrl: string | null;
  thumbnailUrl: string | null;
}

export interface PostsPage {
  account: AccountRef;
  posts: Media[];
  nextCursor: string | null;
  /** Live stories, when asked for on the first page. */
  stories?: Media[];
  notes: string[];
}

export interface PostLookup {
  post: Media;
  account: AccountRef;
  /** Set when the reference was a tracked post id. */
  trackedPostId?: string;
  /** What was cut or left out of Instagram's answer. */
  notes: string[];
}

/** A post this server created (published or not), as the resources show it. */
export interface TrackedPost {
  id: string;
  accountId: string;
  kind: string;
  state: string;
  progress: number;
  caption: string | null;
  mediaId: string | null;
  permalink: string | null;
  createdAt: number;
  publishedAt: number | null;
  /** The files auto_discover took (relative to their media folder). */
  autoDiscovered: string[];
  error: { code: number | null; subcode: number | null; message: string } | null;
}

/** What `instagram://posts/{id}` reads: a tracked post and its live media, or a media of one of the accounts. */
export interface PostResource {
  tracked?: TrackedPost;
  media?: Media;
  /** Why the live media of a tracked post could not be read. */
  mediaError?: string;
  /** The account owning a media read by its media id. */
  account?: AccountRef;
  /** What was cut or left out of Instagram's answer. */
  notes?: string[];
}

const CHILD_EXPANSION = 'children{id,media_type,media_url,thumbnail_url}';
const POST_FIELDS = [...DEFAULT_MEDIA_FIELDS, 'is_comment_enabled', CHILD_EXPANSION];
const STORY_FIELDS = ['id', 'caption', 'media_type', 'media_product_type', 'media_url', 'permalink', 'thumbnail_url', 'timestamp'];
/** Instagram's app allows carousels of up to 20 (the API publishes up to 10). */
const MAX_CHILDREN = 20;
const MAX_STORIES = 50;

function childrenOf(m: MediaItem): MediaItem[] | undefined {
  const raw = (m as { children?: { data?: MediaItem[] } }).children;
  return raw && Array.isArray(raw.data) ? raw.data.map((c) => ({ ...c, id: String(c.id) })) : undefined;
}

/** One media as the tools show it: text bounded, links only when https:, at most 20 children. */
function mediaOf(m: MediaItem, b: Bounds): Media {
  const children = childrenOf(m);
  return {
    id: b.id(m.id),
    mediaType: b.text(m.media_type, 'value'),
    productType: b.text(m.media_product_type, 'value'),
    caption: b.text(m.caption, 'caption'),
    permalink: b.link(m.permalink, 'permalink'),
    timestamp: b.text(m.timestamp, 'value'),
    likeCount: m.like_count ?? null,
    commentsCount: m.comments_count ?? null,
    ...(children
      ? {
          children: b.items(children, MAX_CHILDREN, 'carousel children').map((c) => ({
            id: b.id(c.id),
            mediaType: b.text(c.media_type, 'value'),
            mediaUrl: b.link(c.media_url, 'media_url'),
            thumbnailUrl: b.link(c.thumbnail_url, 'thumbnail_url'),
          })),
        }
      : {}),
    mediaUrl: b.link(m.media_url, 'media_url'),
    thumbnailUrl: b.link(m.thumbnail_url, 'thumbnail_url'),
    shortcode: b.text(m.shortcode, 'value'),
    commentsEnabled: m.is_comment_enabled ?? null,
  };
}

function withNotes(b: Bounds): { notes?: string[] } {
  const notes = b.notes();
  return notes.length ? { notes } : {};
}

function trackedPostOf(p: PostRecord): TrackedPost {
  return {
    id: p.id,
    accountId: p.accountId,
    kind: p.kind,
    state: p.state,
    progress: p.progress,
    caption: p.caption,
    mediaId: p.mediaId,
    permalink: httpsLink(p.permalink),
    createdAt: p.createdAt,
    publishedAt: p.publishedAt,
    autoDiscovered: p.settings.autoDiscovered ?? [],
    error: p.errorMessage ? { code: p.errorCode, subcode: p.errorSubcode, message: p.errorMessage } : null,
  };
}

export class PostReader {
  private readonly calls: GraphCalls;
  private readonly store: Store;

  constructor(o: ReadingOptions) {
    this.calls = new GraphCalls(o.accounts, o.graph);
    this.store = o.store;
  }

  async list(
    who: Caller,
    args: { account?: string; limit?: number; cursor?: string; since?: string; until?: string; includeStories?: boolean },
    signal?: AbortSignal,
  ): Promise<PostsPage> {
    const account = await this.calls.resolve(who, args.account);
    const limit = Math.max(1, Math.min(100, Math.floor(args.limit ?? 10)));
    let since = parseTimeArg('since', args.since);
    let until = parseTimeArg('until', args.until);
    let cursor;
    if (args.cursor) {
      cursor = decodeCursor(args.cursor, 'posts', account);
      since = typeof cursor['s'] === 'number' ? cursor['s'] : undefined;
      until = typeof cursor['u'] === 'number' ? cursor['u'] : undefined;
    }
    const start = pageStart(cursor);
    if (since !== undefined && until !== undefined && since > until) {
      throw new AppError('invalid_argument', 'since is after until.', 'Swap them or leave one out.');
    }
    const graph = this.calls.graph;
    const notes: string[] = [];
    const b = new Bounds();
    const page = await this.calls.call(who, account, (auth) => listMedia(graph, auth, { limit, after: start.after, since, until, fields: POST_FIELDS, signal }));
    let stories: Media[] | undefined;
    if (args.includeStories && !args.cursor) {
      try {
        const live = await this.calls.call(who, account, (auth) => listStories(graph, auth, { limit: MAX_STORIES, fields: STORY_FIELDS, signal }));
        stories = live.items.slice(0, MAX_STORIES).map((m) => mediaOf(m, b));
        if (live.nextCursor || live.items.length > MAX_STORIES) notes.push(`More live stories exist than shown (first ${MAX_STORIES}).`);
      } catch (err) {
        if (!(err instanceof GraphError)) throw err;
        notes.push(`Live stories could not be read: ${err.message}`);
        stories = [];
      }
    }
    // At most what was asked for, however many Instagram sent; the cursor resumes right after them.
    const slice = slicePage(page.items, limit, start, page.nextCursor);
    const posts = slice.items.map((m) => mediaOf(m, b));
    const after = start.after !== undefined || start.offset > 0;
    if (posts.length === 0) notes.push(since !== undefined || until !== undefined ? 'No posts in this time range.' : after ? 'No more posts.' : 'This account has no posts yet.');
    notes.push(...b.notes());
    return {
      account: accountRef(account),
      posts,
      nextCursor: slice.next ? encodeCursor({ k: 'posts', a: account.id, ...slice.next, s: since, u: until }) : null,
      ...(stories ? { stories } : {}),
      notes,
    };
  }

  /** One media by media id or tracked post id. */
  async get(who: Caller, args: { mediaId: string; account?: string }, signal?: AbortSignal): Promise<PostLookup> {
    const ref = await resolveMediaRef(this.calls, this.store, who, args.mediaId, args.account);
    const media = await this.fetchWithChildren(who, ref.account, ref.mediaId, signal);
    const b = new Bounds();
    const post = mediaOf(media, b);
    return { post, account: accountRef(ref.account), ...(ref.postId ? { trackedPostId: ref.postId } : {}), notes: b.notes() };
  }

  private fetchWithChildren(who: Caller, account: AccountRecord, mediaId: string, signal?: AbortSignal): Promise<MediaItem> {
    const graph = this.calls.graph;
    return this.calls.call(who, account, async (auth) => {
      const media = await getMedia(graph, auth, mediaId, [...DEFAULT_MEDIA_FIELDS, 'is_comment_enabled'], signal);
      if (media.media_type === 'CAROUSEL_ALBUM') {
        const children = await listChildren(graph, auth, mediaId, undefined, signal);
        return { ...media, children: { data: children } } as MediaItem;
      }
      return media;
    });
  }

  // ---------------------------------------------------------------- resources

  /** The owner's accounts this agent may use. */
  async accounts(who: Caller): Promise<ConnectedAccount[]> {
    return (await this.calls.list(who)).map(({ account, enabled }) => this.calls.view(account, enabled));
  }

  /** An account by id or @username with its 20 most recent tracked posts. */
  async account(who: Caller, id: string): Promise<{ account: ConnectedAccount; recentPosts: TrackedPost[] }> {
    const entry = (await this.calls.list(who)).find((a) => a.account.id === id || a.account.username.toLowerCase() === id.replace(/^@/, '').toLowerCase());
    if (!entry) throw new AppError('account_not_found', `No account ${id} for this user.`, 'List accounts with instagram_accounts.');
    const recentPosts = (await this.store.posts.listForAccount(who.owner, entry.account.id, 20)).map(trackedPostOf);
    return { account: this.calls.view(entry.account, entry.enabled), recentPosts };
  }

  /** Up to 50 tracked posts per account this agent may use. */
  async trackedPosts(who: Caller): Promise<Array<{ username: string; post: TrackedPost }>> {
    const out = [];
    for (const { account } of (await this.calls.list(who))) {
      for (const p of (await this.store.posts.listForAccount(who.owner, account.id, 50))) out.push({ username: account.username, post: trackedPostOf(p) });
    }
    return out;
  }

  /** A tracked post (its state, and the live media once published) or an Instagram media id of one of the owner's accounts. */
  async resource(who: Caller, id: string, signal?: AbortSignal): Promise<PostResource> {
    if (!isGraphId(id)) {
      const post = await this.store.posts.get(who.owner, id);
      if (!post) throw new AppError('post_not_found', `No post ${id} for this user.`, 'Use a post id from a publishing tool or a media id from instagram_get_posts.');
      const tracked = trackedPostOf(post);
      if (!post.mediaId) return { tracked };
      const account = await this.store.accounts.get(who.owner, post.accountId);
      if (!account || account.status !== 'active' || !account.accessToken) return { tracked };
      try {
        const b = new Bounds();
        const media = mediaOf(await this.fetchWithChildren(who, account, post.mediaId, signal), b);
        return { tracked, media, ...withNotes(b) };
      } catch (err) {
        return { tracked, mediaError: err instanceof Error ? err.message : String(err) };
      }
    }
    let lastError: unknown;
    for (const account of (await this.calls.connected(who))) {
      try {
        const b = new Bounds();
        const media = mediaOf(await this.fetchWithChildren(who, account, id, signal), b);
        return { media, account: accountRef(account), ...withNotes(b) };
      } catch (err) {
        if (err instanceof GraphError && (err.kind === 'not_found' || err.kind === 'permission')) {
          lastError = err;
          continue;
        }
        throw err;
      }
    }
    throw new AppError('post_not_found', `Media ${id} does not belong to any connected account of this user.`, lastError instanceof Error ? lastError.message : 'Connect the account that owns it.');
  }
}
