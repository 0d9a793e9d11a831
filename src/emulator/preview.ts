/**
 * Sandbox permalinks: in sandbox mode a post's permalink is `<emulator>/p/<shortcode>/` (reels
 * `/reel/…`, stories `/stories/<username>/<id>/`), never an instagram.com address of a post that does
 * not exist, and the emulator answers it with a small preview page of the post. `/__sandbox` tells a
 * process which sandbox an emulator on a port belongs to.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorState } from './state.js';
import type { EmulatedIgUser, EmulatedMedia } from './types.js';

export const SANDBOX_ID_PATH = '/__sandbox';

export interface PreviewOptions {
  state: EmulatorState;
  sandboxId(): string;
  /** Reads the saved state first: another process may have published the post. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
}

/** Answers preview pages and the sandbox id; false when the request is for a Meta host. */
export async function handlePreview(o: PreviewOptions, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
  if (pathname === SANDBOX_ID_PATH) {
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ sandbox_id: o.sandboxId() }));
    return true;
  }
  const m = /^\/(?:(p|reel)\/([A-Za-z0-9_-]{1,40})|stories\/([A-Za-z0-9._]{1,30})\/(\d{1,30}))\/?$/.exec(pathname);
  if (!m) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-length': '0' }).end();
    return true;
  }
  const found = await o.transaction(async () => (m[2] ? findByShortcode(o.state, m[2]) : findStory(o.state, m[4]!)));
  const html = found ? postPage(found.media, found.owner, o.state) : page('Not in this sandbox', '<p>No post with this address exists in this sandbox.</p>');
  res.writeHead(found ? 200 : 404, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // Nothing runs on the page; images and video load from their URLs.
    'content-security-policy': "default-src 'none'; img-src http: https:; media-src http: https:; style-src 'unsafe-inline'",
  });
  res.end(req.method === 'HEAD' ? undefined : html);
  return true;
}

interface Found {
  media: EmulatedMedia;
  owner: Pick<EmulatedIgUser, 'username' | 'name'> | undefined;
}

function findByShortcode(state: EmulatorState, shortcode: string): Found | undefined {
  for (const media of state.media.values()) {
    if (media.shortcode === shortcode && !media.parentId) return { media, owner: state.igUsers.get(media.ownerId) };
  }
  // Other accounts' posts (business discovery) live with their module.
  const discovery = state.extensions.get('discovery') as { competitors?: Map<string, { user: EmulatedIgUser; media: EmulatedMedia[] }> } | undefined;
  for (const competitor of discovery?.competitors?.values() ?? []) {
    const media = competitor.media.find((x) => x.shortcode === shortcode);
    if (media) return { media, owner: competitor.user };
  }
  return undefined;
}

function findStory(state: EmulatorState, id: string): Found | undefined {
  const media = state.media.get(id);
  return media && media.productType === 'STORY' ? { media, owner: state.igUsers.get(media.ownerId) } : undefined;
}

function postPage(media: EmulatedMedia, owner: Found['owner'], state: EmulatorState): string {
  const username = owner?.username ?? 'unknown';
  const shown = media.children?.length ? media.children.map((id) => state.media.get(id)).filter((c): c is EmulatedMedia => Boolean(c)) : [media];
  const items = shown.map((m) => mediaTag(m)).join('\n');
  const when = new Date(media.timestamp).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const kind = media.productType === 'STORY' ? 'story' : media.productType === 'REELS' ? 'reel' : 'post';
  const body = [
    '<p class="note">Sandbox preview: this post exists only in the instagram-mcp sandbox emulator, not on Instagram.</p>',
    `<header><strong>@${escapeHtml(username)}</strong>${owner?.name ? ` <span>${escapeHtml(owner.name)}</span>` : ''}</header>`,
    `<div class="media">${items}</div>`,
    media.caption ? `<p class="caption">${escapeHtml(media.caption)}</p>` : '',
    `<p class="meta">${escapeHtml(kind)} · ${escapeHtml(when)} · ${media.likeCount} likes · ${media.commentsCount} comments</p>`,
  ].join('\n');
  return page(`@${username} · sandbox ${kind}`, body);
}

function mediaTag(m: EmulatedMedia): string {
  const alt = escapeHtml(m.altText ?? '');
  if (m.mediaType === 'VIDEO') {
    const poster = m.thumbnailUrl ? ` poster="${escapeHtml(m.thumbnailUrl)}"` : '';
    return `<video controls src="${escapeHtml(m.mediaUrl)}"${poster}></video>`;
  }
  return `<img src="${escapeHtml(m.mediaUrl)}" alt="${alt}">`;
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#222}.note{background:#fff4d6;padding:.5rem .75rem;border-radius:6px;font-size:.9rem}.media img,.media video{width:100%;margin:.25rem 0;background:#eee;min-height:4rem}.caption{white-space:pre-wrap}.meta{color:#666;font-size:.85rem}</style>
</head><body>
${body}
</body></html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
