/**
 * MCP resources: connected accounts (`instagram://accounts/{id}`) and posts (`instagram://posts/{id}`,
 * a tracked post id or an Instagram media id), always scoped to the connection's owner and the
 * agent's enabled accounts. Tool results point at them through `resource_uri` fields.
 */
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { describeError } from '../errors.js';
import type { ToolContext } from '../mcp/context.js';
import type { Extra } from '../mcp/tool.js';
import { redact } from '../log.js';
import { protocolError } from '../mcp/results.js';
import type { PostResource, TrackedPost } from '../services/reading/posts.js';
import { accountOut } from './accounts.js';
import { postOut } from './posts.js';
import { accountUri, iso, postUri, truncate } from './shapes.js';

/** JSON-RPC code the MCP specification uses for "resource not found". */
const RESOURCE_NOT_FOUND = -32002;

function jsonContents(uri: URL, payload: Record<string, unknown>): ReadResourceResult {
  return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(payload, null, 2) }] };
}

function trackedOut(p: TrackedPost): Record<string, unknown> {
  return {
    id: p.id,
    account_id: p.accountId,
    kind: p.kind,
    state: p.state,
    progress: p.progress,
    caption: p.caption,
    media_id: p.mediaId,
    permalink: p.permalink,
    created_at: iso(p.createdAt),
    published_at: p.publishedAt ? iso(p.publishedAt) : null,
    ...(p.autoDiscovered.length ? { auto_discovered: p.autoDiscovered } : {}),
    error: p.error,
  };
}

function postResourceOut(r: PostResource): Record<string, unknown> {
  return {
    ...(r.tracked ? { post: trackedOut(r.tracked) } : {}),
    ...(r.media ? { media: postOut(r.media, 'full') } : {}),
    ...(r.mediaError !== undefined ? { media_error: r.mediaError } : {}),
    ...(r.account ? { account: { ...r.account, resource_uri: accountUri(r.account.id) } } : {}),
    ...(r.notes?.length ? { notes: r.notes } : {}),
  };
}

function variable(value: string | string[] | undefined): string {
  const v = Array.isArray(value) ? value[0] : value;
  return decodeURIComponent(v ?? '').trim();
}

function notFound(err: unknown): Error {
  const report = describeError(err);
  return protocolError(RESOURCE_NOT_FOUND, `${report.message}${report.hint ? ` ${report.hint}` : ''}`, redact({ code: report.code }));
}

export function registerResources(server: McpServer, makeContext: (extra: Extra) => Promise<ToolContext>): void {
  const who = async (extra: Extra) => {
    const ctx = await makeContext(extra);
    return { ctx, caller: { owner: ctx.owner, agent: ctx.agent } };
  };

  server.registerResource(
    'instagram-account',
    new ResourceTemplate('instagram://accounts/{id}', {
      list: async (extra) => {
        const { ctx, caller } = await who(extra);
        const resources = (await ctx.services.posts.accounts(caller)).map((a) => ({
          uri: accountUri(a.id),
          name: `@${a.username}`,
          title: `Instagram account @${a.username}`,
          description: `${a.loginType === 'facebook' ? 'Facebook Login' : 'Instagram Login'} · ${a.status}${a.followersCount !== null ? ` · ${a.followersCount} followers` : ''}`,
          mimeType: 'application/json',
        }));
        return { resources };
      },
    }),
    {
      title: 'Connected Instagram account',
      description: 'A connected Instagram account: profile, counts, login type, status, token expiry and its recent tracked posts.',
      mimeType: 'application/json',
    },
    async (uri, variables, extra) => {
      const { ctx, caller } = await who(extra);
      try {
        const { account, recentPosts } = await ctx.services.posts.account(caller, variable(variables['id']));
        const recent = recentPosts.map((p) => ({ id: p.id, kind: p.kind, state: p.state, media_id: p.mediaId, permalink: p.permalink, resource_uri: postUri(p.id), created_at: iso(p.createdAt) }));
        return jsonContents(uri, { account: accountOut(account), recent_tracked_posts: recent });
      } catch (err) {
        throw notFound(err);
      }
    },
  );

  server.registerResource(
    'instagram-post',
    new ResourceTemplate('instagram://posts/{id}', {
      list: async (extra) => {
        const { ctx, caller } = await who(extra);
        const resources = (await ctx.services.posts.trackedPosts(caller)).map(({ username, post: p }) => ({
          uri: postUri(p.id),
          name: `${p.kind} ${p.id}`,
          title: `${p.kind} by @${username} (${p.state})`,
          description: p.caption ? truncate(p.caption, 100) : `${p.kind} created ${iso(p.createdAt)}`,
          mimeType: 'application/json',
        }));
        return { resources };
      },
    }),
    {
      title: 'Instagram post',
      description:
        'A post: a post id from a publishing tool (its state, and the live media once published) or an Instagram media id of a connected account (caption, type, permalink, counts, children). Listing shows the tracked posts.',
      mimeType: 'application/json',
    },
    async (uri, variables, extra) => {
      const { ctx, caller } = await who(extra);
      try {
        return jsonContents(uri, postResourceOut(await ctx.services.posts.resource(caller, variable(variables['id']), extra.signal)));
      } catch (err) {
        throw notFound(err);
      }
    },
  );
}
