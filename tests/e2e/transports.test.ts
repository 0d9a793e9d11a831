import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { loadConfig } from '../../src/config.js';
import { createApp, type App } from '../../src/app.js';
import { createServer } from '../../src/server.js';
import { startHttpServer, type HttpServerHandle } from '../../src/transports/http.js';
import { silentLogger } from '../../src/log.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const builtEntry = path.join(repoRoot, 'dist/index.js');
const HTTP_TOKEN = 'test-token-' + Math.random().toString(36).slice(2, 14).padEnd(12, 'x');

function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[key]) env[key] = process.env[key]!;
  return { ...env, ...extra };
}

function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const initializeBody = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

describe('MCP transports', () => {
  let dataDir: string;
  let app: App;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-transport-'));
    app = await createApp(loadConfig({ INSTAGRAM_MCP_DATA_DIR: dataDir, INSTAGRAM_MCP_SANDBOX: '1', INSTAGRAM_MCP_HTTP_TOKEN: HTTP_TOKEN }), { logger: silentLogger });
  });
  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('completes initialize and tools/list in process', async () => {
    const { server } = createServer(app);
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(b);
    const client = new Client({ name: 'in-process', version: '1' });
    await client.connect(a);
    expect(client.getServerVersion()?.name).toBe('instagram-mcp');
    expect(client.getInstructions()).toMatch(/instagram_authenticate/);
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain('instagram_authenticate');
    expect(names).toContain('instagram_accounts');
    for (const tool of tools) {
      expect(tool.annotations?.readOnlyHint, tool.name).toBeTypeOf('boolean');
      expect(tool.annotations?.destructiveHint, tool.name).toBeTypeOf('boolean');
      expect(tool.annotations?.idempotentHint, tool.name).toBeTypeOf('boolean');
      expect(tool.annotations?.openWorldHint, tool.name).toBeTypeOf('boolean');
      expect(tool.outputSchema, tool.name).toBeDefined();
    }
    const result = await client.callTool({ name: 'instagram_accounts', arguments: {} });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ count: 0, sandbox: expect.stringMatching(/Sandbox/) });
    // The text block: one summary line, then the same data as compact JSON.
    const [summary, json, ...rest] = (result.content as Array<{ text: string }>)[0]!.text.split('\n');
    expect(summary).toMatch(/^\[sandbox\] /);
    expect(JSON.parse(json!)).toEqual(result.structuredContent);
    expect(rest).toEqual([]);
    await client.close();
  });

  it('sends log lines as MCP notifications only once the client asks, at its level, redacted', async () => {
    const { server } = createServer(app);
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(b);
    const client = new Client({ name: 'log-listener', version: '1' });
    const received: Array<{ level: string; data: unknown }> = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      received.push({ level: n.params.level, data: n.params.data });
    });
    await client.connect(a);
    await client.listTools(); // as real clients do: output schemas are checked from here on
    // A round trip after the call: the server answers the ping after every notification it sent before it.
    const callThenPing = async (call: { name: string; arguments: Record<string, unknown> }) => {
      await client.callTool(call);
      await client.ping();
    };
    const failing = { name: 'instagram_disconnect', arguments: { account: '@nobody_here' } };
    await callThenPing(failing);
    expect(received).toHaveLength(0);
    await client.setLoggingLevel('warning');
    await callThenPing(failing);
    expect(received.length).toBeGreaterThan(0);
    expect(received[0]).toMatchObject({ level: 'warning', data: { message: 'tool failed', tool: 'instagram_disconnect' } });
    await client.setLoggingLevel('error');
    received.length = 0;
    await callThenPing(failing);
    expect(received).toHaveLength(0);
    await client.close();
  });

  describe('over HTTP', () => {
    let handle: HttpServerHandle;
    beforeAll(async () => {
      handle = await startHttpServer(app, { port: 0, host: '127.0.0.1' });
    });
    afterAll(async () => {
      await handle.close();
    });

    const auth = { headers: { Authorization: `Bearer ${HTTP_TOKEN}` } };

    it('serves Streamable HTTP at /mcp', async () => {
      const client = new Client({ name: 'streamable', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${handle.url}/mcp`), { requestInit: auth }));
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('instagram_accounts');
      await client.close();
    });

    it('serves the legacy HTTP+SSE transport at /sse and /messages', async () => {
      const client = new Client({ name: 'legacy-sse', version: '1' });
      await client.connect(
        new SSEClientTransport(new URL(`${handle.url}/sse`), {
          requestInit: auth,
          eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...auth.headers } }) },
        }),
      );
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('instagram_authenticate');
      await client.close();
    });

    it('answers 401 to a missing or wrong bearer token', async () => {
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      const missing = await rawRequest(`${handle.url}/mcp`, { method: 'POST', headers, body: initializeBody });
      expect(missing.status).toBe(401);
      expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
      const wrong = await rawRequest(`${handle.url}/mcp`, { method: 'POST', headers: { ...headers, authorization: 'Bearer not-the-right-token-at-all' }, body: initializeBody });
      expect(wrong.status).toBe(401);
      const sse = await rawRequest(`${handle.url}/sse`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } });
      expect(sse.status).toBe(401);
      const ok = await rawRequest(`${handle.url}/mcp`, { method: 'POST', headers: { ...headers, authorization: `Bearer ${HTTP_TOKEN}` }, body: initializeBody });
      expect(ok.status).toBe(200);
    });

    it('refuses a foreign Origin or Host', async () => {
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${HTTP_TOKEN}` };
      const origin = await rawRequest(`${handle.url}/mcp`, { method: 'POST', headers: { ...headers, origin: 'https://evil.example' }, body: initializeBody });
      expect(origin.status).toBe(403);
      expect(origin.body).toMatch(/Origin/);
      const host = await rawRequest(`${handle.url}/mcp`, { method: 'POST', headers: { ...headers, host: 'evil.example:80' }, body: initializeBody });
      expect(host.status).toBe(403);
      expect(host.body).toMatch(/Host/);
      const localOrigin = await rawRequest(`${handle.url}/mcp`, { method: 'POST', headers: { ...headers, origin: handle.url }, body: initializeBody });
      expect(localOrigin.status).toBe(200);
    });
  });
});

describe.skipIf(!existsSync(builtEntry))('the built server over stdio', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-stdio-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('completes initialize and tools/list with the SDK client', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [builtEntry],
      env: cleanEnv({ INSTAGRAM_MCP_DATA_DIR: dataDir, INSTAGRAM_MCP_SANDBOX: '1' }),
      stderr: 'pipe',
    });
    const client = new Client({ name: 'stdio-e2e', version: '1' });
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('instagram_authenticate');
    await client.close();
  });

  it('writes nothing but JSON-RPC on stdout while it logs to stderr', async () => {
    const child = spawn(process.execPath, [builtEntry], {
      env: cleanEnv({ INSTAGRAM_MCP_DATA_DIR: dataDir, INSTAGRAM_MCP_SANDBOX: '1', INSTAGRAM_MCP_LOG_LEVEL: 'debug' }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const send = (msg: unknown) => child.stdin.write(`${JSON.stringify(msg)}\n`);
    // Resolves on the stdout chunk that makes `predicate` true; fails if the server exits first.
    const stdoutShows = (predicate: () => boolean) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!predicate()) return;
          child.stdout.off('data', check);
          child.off('exit', exited);
          resolve();
        };
        const exited = () => reject(new Error(`the server exited before answering; stdout: ${stdout}; stderr: ${stderr}`));
        child.stdout.on('data', check);
        child.once('exit', exited);
        check();
      });
    send(JSON.parse(initializeBody));
    await stdoutShows(() => stdout.includes('"id":1'));
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'instagram_authenticate', arguments: {} } });
    send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'instagram_accounts', arguments: { account: 42 } } });
    await stdoutShows(() => stdout.includes('"id":3') && stdout.includes('"id":4'));
    child.stdin.end();
    await new Promise((r) => child.once('exit', r));
    const lines = stdout.split('\n').filter((l) => l.trim());
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) {
      const msg = JSON.parse(line);
      expect(msg.jsonrpc).toBe('2.0');
    }
    expect(stderr).toMatch(/"level":"(info|debug)"/);
  });
});
