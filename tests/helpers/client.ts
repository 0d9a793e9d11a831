/**
 * The test client behaves as real clients do: it lists the tools right after connecting, so the SDK
 * `Client` validates every `structuredContent` against its tool's output schema (error results
 * included) and a result a real client would reject fails the test. `readOutcome` turns a result into
 * `{isError, data, text}`; for an error, `data.error` is read back from the text (there is no
 * `structuredContent` on errors, by contract: see src/mcp/results.ts).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult, ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { HINT_PREFIX } from '../../src/mcp/results.js';

export interface CallOutcome {
  isError: boolean;
  data: any;
  text: string;
}

export interface ErrorReport {
  code: string;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

/** Connects a client and lists the tools, as every real MCP client does before calling one. */
export async function connectClient(transport: Transport, name = 'test-agent', capabilities: ClientCapabilities = {}): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' }, { capabilities });
  await client.connect(transport);
  await client.listTools();
  return client;
}

/** Reads the error back from an error result's text: message, "What to do: hint", then {"code","details"}. */
export function parseErrorText(text: string): ErrorReport {
  const lines = text.split('\n');
  const json = JSON.parse(lines[lines.length - 1] ?? '{}') as { code?: string; details?: Record<string, unknown> };
  const hintLine = lines.slice(1, -1).find((l) => l.startsWith(HINT_PREFIX));
  return {
    code: String(json.code),
    message: lines[0] ?? '',
    ...(hintLine ? { hint: hintLine.slice(HINT_PREFIX.length) } : {}),
    ...(json.details ? { details: json.details } : {}),
  };
}

export function readOutcome(result: Awaited<ReturnType<Client['callTool']>>): CallOutcome {
  const r = result as CallToolResult;
  const first = Array.isArray(r.content) ? r.content[0] : undefined;
  const text = first && first.type === 'text' ? first.text : '';
  if (r.isError) {
    if (r.structuredContent !== undefined) throw new Error(`error result carries structuredContent (the contract says text only): ${text}`);
    return { isError: true, data: { error: parseErrorText(text) }, text };
  }
  return { isError: false, data: r.structuredContent, text };
}
