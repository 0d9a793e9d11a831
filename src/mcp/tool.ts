/**
 * `defineTool`: one declaration per tool carrying its name, title, description, toolset, input and
 * output schemas, all four annotations and its handler. `registerTools` answers `tools/list` and
 * `tools/call` for them: arguments parsed strictly (an unknown one is an error naming the nearest
 * accepted name), results shaped by `results.ts`, JSON Schemas converted once per process.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  type CallToolResult,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Toolset } from '../config.js';
import { AppError, describeError } from '../errors.js';
import { clientRendersApps } from '../apps/index.js';
import { findBadText, nearestName, parseArguments } from './args.js';
import type { ToolContext } from './context.js';
import { inputJsonSchema, outputJsonSchema } from './jsonSchema.js';
import { defaultSummary, errorResult, imagesOf, protocolError, SANDBOX_RESULT_NOTICE, successResult } from './results.js';

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a tool takes a zod object of any shape
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
  /** The first line of the text block; defaults to the result's next_step/summary or a count. */
  summary?: (output: z.infer<O>) => string;
  /**
   * The MCP App (a `ui://` resource of src/apps) that shows this tool's result interactively, linked by
   * `_meta.ui.resourceUri` in the listing. `replacesImages`: a client that renders MCP Apps gets the app
   * instead of the result's image blocks (which only repeat what the app draws, at a cost in tokens).
   */
  app?: { resourceUri: string; replacesImages?: boolean };
}

export function defineTool<I extends AnyObject, O extends AnyObject>(def: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return def;
}

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** Added to every output schema: set on every result while the server runs against the emulator. */
const sandboxField = { sandbox: z.string().optional() };

interface CompiledTool {
  definition: ToolDefinition;
  input: AnyObject;
  output: AnyObject;
  listing: Tool;
}

const compiledTools = { sandbox: new WeakMap<ToolDefinition, CompiledTool>(), live: new WeakMap<ToolDefinition, CompiledTool>() };

/** Converted once per process and shared by every session (HTTP builds a server per session). */
function compile(definition: ToolDefinition, sandbox: boolean): CompiledTool {
  const cache = sandbox ? compiledTools.sandbox : compiledTools.live;
  let compiled = cache.get(definition);
  if (!compiled) {
    const input = definition.input.strict();
    const output = sandbox ? definition.output.extend(sandboxField) : definition.output;
    compiled = {
      definition,
      input,
      output,
      listing: {
        name: definition.name,
        title: definition.title,
        description: definition.description,
        inputSchema: inputJsonSchema(input) as Tool['inputSchema'],
        outputSchema: outputJsonSchema(output) as Tool['outputSchema'],
        annotations: { ...definition.annotations },
        // The extension's key, and the flat key hosts read before it (the extension's SDK sets both).
        ...(definition.app ? { _meta: { ui: { resourceUri: definition.app.resourceUri }, 'ui/resourceUri': definition.app.resourceUri } } : {}),
      },
    };
    cache.set(definition, compiled);
  }
  return compiled;
}

/** The tools as `tools/list` shows them (also used by the README generator and the snapshot test). */
export function toolListing(tools: readonly ToolDefinition[], sandbox = false): Tool[] {
  return tools.map((t) => compile(t, sandbox).listing);
}

export function registerTools(
  server: McpServer,
  tools: ToolDefinition[],
  makeContext: (extra: Extra) => Promise<ToolContext>,
  sandbox: boolean,
): void {
  const byName = new Map(tools.map((t) => [t.name, compile(t, sandbox)]));
  const listing = toolListing(tools, sandbox);
  server.server.registerCapabilities({ tools: {} });
  server.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listing }));
  server.server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const tool = byName.get(request.params.name);
    if (!tool) {
      // An unknown tool is a protocol error (MCP specification), with the nearest name to help the caller.
      const near = nearestName(request.params.name, [...byName.keys()]);
      throw protocolError(ErrorCode.InvalidParams, `Unknown tool ${request.params.name}.${near ? ` Did you mean ${near}?` : ' tools/list names every tool.'}`);
    }
    return callTool(tool, request.params.arguments, extra, makeContext, () => clientRendersApps(server.server.getClientCapabilities()));
  });
}

async function callTool(
  tool: CompiledTool,
  rawArgs: unknown,
  extra: Extra,
  makeContext: (extra: Extra) => Promise<ToolContext>,
  rendersApps: () => boolean,
): Promise<CallToolResult> {
  const { definition } = tool;
  let ctx: ToolContext | undefined;
  try {
    const args = parseArguments(definition.name, tool.input, rawArgs);
    const badText = findBadText(args);
    if (badText) throw badText;
    ctx = await makeContext(extra);
    const output = (await definition.handler(args as never, ctx)) as Record<string, unknown>;
    const checked = tool.output.safeParse(ctx.sandbox ? { ...output, sandbox: SANDBOX_RESULT_NOTICE } : output);
    if (!checked.success) {
      // Our bug, not the caller's: say so rather than send what the client would reject.
      ctx.log.error('tool result does not match its output schema', { tool: definition.name, issues: checked.error.issues.slice(0, 3) });
      throw new AppError('internal_error', `${definition.name} produced a result that does not match its output schema.`, 'This is a bug in instagram-mcp: report it. Other tools keep working.');
    }
    const payload = checked.data as Record<string, unknown>;
    const summary = definition.summary ? definition.summary(output as never) : defaultSummary(definition.title, payload);
    const images = definition.app?.replacesImages && rendersApps() ? [] : imagesOf(output);
    return successResult(payload, ctx.sandbox ? `[sandbox] ${summary}` : summary, images);
  } catch (err) {
    ctx?.log.warn('tool failed', { tool: definition.name, error: describeError(err) });
    return errorResult(err);
  }
}

/** Tools after the toolset selection and the read-only switch (which wins over everything). */
export function selectTools(tools: ToolDefinition[], toolsets: readonly Toolset[], readOnly: boolean): ToolDefinition[] {
  return tools.filter((t) => toolsets.includes(t.toolset) && (!readOnly || t.annotations.readOnlyHint));
}
