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

/** JSON-RPC code the MCP specification uses for "resource not found". */
const RESOURCE_NOT_FOUND = -32002;

function jsonContents(uri: URL, payload: Record<string, unknown>): ReadResourceResult {
  return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(payload, null, 2) }] };
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
        return { resources: ctx.services.reader.listAccountResources(caller).map((r) => ({ ...r, mimeType: 'application/json' })) };
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
        return jsonContents(uri, ctx.services.reader.readAccountResource(caller, variable(variables['id'])));
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
        return { resources: ctx.services.reader.listPostResources(caller).map((r) => ({ ...r, mimeType: 'application/json' })) };
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
        return jsonContents(uri, await ctx.services.reader.readPostResource(caller, variable(variables['id']), extra.signal));
      } catch (err) {
        throw notFound(err);
      }
    },
  );
}
