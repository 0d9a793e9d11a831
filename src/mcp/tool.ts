/**
 * `defineTool`: one declaration per tool carrying its name, title, description, toolset, input and
 * output schemas, all four annotations and its handler. `registerTools` adapts them to the SDK and
 * makes every result carry `structuredContent` plus the same JSON as text.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest, CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Toolset } from '../config.js';
import { describeError } from '../errors.js';
import { redact } from '../log.js';
import { findBadText } from './args.js';
import type { ToolContext } from './context.js';

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyObject = z.ZodObject<any>;

export interface ToolDefinition<I extends AnyObject = AnyObject, O extends AnyObject = AnyObject> {
  name: string;
  title: string;
  description: string;
  toolset: Toolset;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  handler: (args: z.infer<I>, ctx: ToolContext) => Promise<z.infer<O>>;
}

export function defineTool<I extends AnyObject, O extends AnyObject>(def: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return def;
}

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** Added to every output schema: set on every result while the server runs against the emulator. */
const sandboxField = { sandbox: z.string().optional().describe('Present only in sandbox mode: nothing here touches a real Instagram account.') };

export function jsonResult(payload: Record<string, unknown>, isError = false): CallToolResult {
  return {
    content: [{ type: 'text', text: JSON.stringify(payload, null, 2) }],
    structuredContent: payload,
    ...(isError ? { isError: true } : {}),
  };
}

export function errorResult(err: unknown, sandboxNotice?: string): CallToolResult {
  const report = describeError(err);
  const payload: Record<string, unknown> = { error: redact(report) };
  if (sandboxNotice) payload.sandbox = sandboxNotice;
  return jsonResult(payload, true);
}

export function registerTools(
  server: McpServer,
  tools: ToolDefinition[],
  makeContext: (extra: Extra) => Promise<ToolContext>,
): void {
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        outputSchema: tool.output.extend(sandboxField),
        annotations: { title: tool.title, ...tool.annotations },
      },
      // The SDK validated the arguments against `tool.input` before this runs.
      async (args: unknown, extra: Extra) => {
        let ctx: ToolContext;
        try {
          ctx = await makeContext(extra);
        } catch (err) {
          return errorResult(err);
        }
        try {
          const badText = findBadText(args);
          if (badText) throw badText;
          const output = (await tool.handler(args as never, ctx)) as Record<string, unknown>;
          const payload = ctx.sandboxNotice ? { ...output, sandbox: ctx.sandboxNotice } : output;
          return jsonResult(payload);
        } catch (err) {
          ctx.log.warn('tool failed', { tool: tool.name, error: describeError(err) });
          return errorResult(err, ctx.sandboxNotice);
        }
      },
    );
  }
}

/** Tools after the toolset selection and the read-only switch (which wins over everything). */
export function selectTools(tools: ToolDefinition[], toolsets: readonly Toolset[], readOnly: boolean): ToolDefinition[] {
  return tools.filter((t) => toolsets.includes(t.toolset) && (!readOnly || t.annotations.readOnlyHint));
}
