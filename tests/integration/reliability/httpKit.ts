/** Small HTTP helpers for the security suite: raw requests, a legacy SSE session, MCP clients over HTTP. */
import http from 'node:http';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { connectClient, readOutcome, type CallOutcome } from '../../helpers/client.js';

export interface RawResponse {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Opens `GET /sse` and returns the session id from the endpoint event (or the refusal status). */
export function openLegacySse(url: string, headers: Record<string, string>): Promise<{ status: number; sessionId?: string; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'GET', headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        resolve({ status: res.statusCode ?? 0, close: () => req.destroy() });
        return;
      }
      let buffer = '';
      res.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        const match = /sessionId=([\w-]+)/.exec(buffer);
        if (match) resolve({ status: 200, sessionId: match[1], close: () => req.destroy() });
      });
    });
    req.on('error', (err) => reject(err));
    req.end();
  });
}

export const initializeBody = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

export const listToolsBody = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });

export interface HttpMcp {
  client: Client;
  sessionId(): string | undefined;
  call(name: string, args?: Record<string, unknown>): Promise<CallOutcome>;
  close(): Promise<void>;
}

const outcome = readOutcome;

/** An MCP client over Streamable HTTP (`/mcp`) with a bearer token. */
export async function streamableClient(baseUrl: string, token: string, name = 'http-agent'): Promise<HttpMcp> {
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  const client = await connectClient(transport, name);
  return {
    client,
    sessionId: () => transport.sessionId,
    call: async (toolName, args = {}) => outcome(await client.callTool({ name: toolName, arguments: args })),
    close: () => client.close(),
  };
}

/** An MCP client over the legacy HTTP+SSE transport (`/sse` + `/messages`) with a bearer token. */
export async function legacyClient(baseUrl: string, token: string, name = 'legacy-agent'): Promise<HttpMcp> {
  const headers = { Authorization: `Bearer ${token}` };
  const transport = new SSEClientTransport(new URL(`${baseUrl}/sse`), {
    requestInit: { headers },
    eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) },
  });
  const client = await connectClient(transport, name);
  return {
    client,
    sessionId: () => undefined,
    call: async (toolName, args = {}) => outcome(await client.callTool({ name: toolName, arguments: args })),
    close: () => client.close(),
  };
}
