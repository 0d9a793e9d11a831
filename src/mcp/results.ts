/**
 * The result contract, in one place. A success carries `structuredContent` that validates against the
 * tool's output schema, and a text block: a one-line summary, then the same data as compact JSON (for
 * clients that show only text). A failure is `isError: true` with a text block only: the SDK `Client`
 * validates `structuredContent` against the output schema on error results too, so an error object
 * there would make the client throw away the whole answer and the agent would never see the fix.
 * We chose "no structuredContent on errors" over declaring an error variant in every output schema:
 * the schemas stay about what a tool returns, and the text is what every client shows the model.
 *
 * Error text layout (parsed back by the test client, so keep it stable):
 *   line 1: what went wrong
 *   line 2: "What to do: …" (when there is a hint)
 *   last line: compact JSON {"code": …, "details": …}
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describeError } from '../errors.js';
import { redact } from '../log.js';

export const HINT_PREFIX = 'What to do: ';

/** Short, because it is repeated in every result; the long explanation is in the server instructions. */
export const SANDBOX_RESULT_NOTICE = 'Sandbox: built-in emulator, nothing reaches Instagram.';

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();

export interface ImageBlock {
  type: 'image';
  /** Base64. */
  data: string;
  mimeType: string;
}

const EXTRA_CONTENT = Symbol('extraContent');

/** A handler's output carrying images to send after the text block (charts); the schema never sees them. */
export function withImages<T extends object>(output: T, images: readonly ImageBlock[]): T {
  return Object.assign(output, { [EXTRA_CONTENT]: images });
}

export function imagesOf(output: object): ImageBlock[] {
  return [...((output as { [EXTRA_CONTENT]?: ImageBlock[] })[EXTRA_CONTENT] ?? [])];
}

export function successResult(payload: Record<string, unknown>, summary: string, images: readonly ImageBlock[] = []): CallToolResult {
  return {
    content: [{ type: 'text', text: `${oneLine(summary)}\n${JSON.stringify(payload)}` }, ...images],
    structuredContent: payload,
  };
}

export function errorResult(err: unknown): CallToolResult {
  const report = redact(describeError(err)) as ReturnType<typeof describeError>;
  const lines = [oneLine(report.message) || 'The call failed.'];
  if (report.hint) lines.push(`${HINT_PREFIX}${oneLine(report.hint)}`);
  const details = report.details && Object.keys(report.details).length > 0 ? report.details : undefined;
  lines.push(JSON.stringify({ code: report.code, ...(details ? { details } : {}) }));
  return { content: [{ type: 'text', text: lines.join('\n') }], isError: true };
}

/** The summary line when a tool does not write its own: the result's own sentence, or a count. */
export function defaultSummary(title: string, payload: Record<string, unknown>): string {
  for (const key of ['next_step', 'summary', 'message'] as const) {
    const value = payload[key];
    if (typeof value === 'string' && value) return value;
  }
  if (typeof payload.count === 'number') return `${title}: ${payload.count} item(s)${payload.next_cursor ? '; more with next_cursor' : ''}.`;
  return `${title}: done.`;
}

/**
 * A JSON-RPC error whose message is sent as is. The SDK's `McpError` puts "MCP error <code>: " in its
 * message, and the client's `McpError` adds it again ("MCP error -32002: MCP error -32002: …").
 */
export function protocolError(code: number, message: string, data?: unknown): Error & { code: number; data?: unknown } {
  return Object.assign(new Error(message), { code, ...(data !== undefined ? { data } : {}) });
}
