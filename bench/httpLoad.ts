/**
 * Streamable HTTP under load: 50 concurrent sessions × 20 sequential tool calls each, against
 * `startHttpServer` on loopback (tool `instagram_accounts`: answered from the store, no Graph call) and,
 * in the same run and the same way, against a minimal SDK Streamable HTTP server with one tool. Rounds
 * alternate; latencies are pooled per server. Everything (clients and servers) shares this process, as
 * it would for either server: the comparison is what matters.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { startHttpServer } from '../src/transports/http.js';
import { median, quantile, startBenchApp } from './setup.js';

export interface LoadStats {
  calls: number;
  errors: number;
  errorSamples: string[];
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Median wall time of a round (all sessions connect, call, close). */
  roundMs: number;
}

export interface HttpLoadResult {
  sessions: number;
  callsPerSession: number;
  rounds: number;
  ours: LoadStats;
  baseline: LoadStats;
  p50Ratio: number;
  p99Ratio: number;
}

/** The floor: the smallest SDK Streamable HTTP server with one tool, one McpServer per session. */
export async function startMinimalHttpServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    return text ? JSON.parse(text) : undefined;
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    const id = req.headers['mcp-session-id'];
    if (typeof id === 'string') {
      const t = sessions.get(id);
      if (!t) {
        res.writeHead(404).end();
        return;
      }
      return t.handleRequest(req, res, body);
    }
    if (req.method !== 'POST' || !isInitializeRequest(body)) {
      res.writeHead(400).end();
      return;
    }
    const server = new McpServer({ name: 'minimal', version: '1.0.0' });
    server.registerTool('echo', { description: 'Echo', inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sid) => void sessions.set(sid, transport),
      onsessionclosed: (sid) => void sessions.delete(sid),
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };
  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const t of sessions.values()) await t.close().catch(() => {});
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface RoundOutcome {
  latencies: number[];
  errors: string[];
  wallMs: number;
}

export async function loadRound(baseUrl: string, tool: { name: string; arguments: Record<string, unknown> }, sessions: number, callsPerSession: number): Promise<RoundOutcome> {
  const latencies: number[] = [];
  const errors: string[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: sessions }, async (_, s) => {
      const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`));
      const client = new Client({ name: `bench-http-${s}`, version: '1' });
      try {
        await client.connect(transport);
        await client.listTools(); // as real clients do: output schemas are checked from here on
        for (let i = 0; i < callsPerSession; i++) {
          const start = performance.now();
          try {
            const r = await client.callTool(tool, undefined, { timeout: 60_000 });
            latencies.push(performance.now() - start);
            if (r.isError) errors.push(`isError: ${JSON.stringify(r.content).slice(0, 200)}`);
          } catch (err) {
            latencies.push(performance.now() - start);
            errors.push(String(err).slice(0, 200));
          }
        }
        await transport.terminateSession().catch((err: unknown) => errors.push(`terminate: ${String(err).slice(0, 200)}`));
      } catch (err) {
        errors.push(`session: ${String(err).slice(0, 200)}`);
      } finally {
        await client.close().catch(() => {});
      }
    }),
  );
  return { latencies, errors, wallMs: performance.now() - t0 };
}

function stats(rounds: RoundOutcome[], expected: number): LoadStats {
  const latencies = rounds.flatMap((r) => r.latencies);
  const errors = rounds.flatMap((r) => r.errors);
  // A call that never happened (its session failed) is an error too.
  const missing = Math.max(0, expected - latencies.length);
  return {
    calls: latencies.length,
    errors: errors.length + missing,
    errorSamples: errors.slice(0, 5),
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    maxMs: Math.max(...latencies),
    roundMs: median(rounds.map((r) => r.wallMs)),
  };
}

export async function benchHttpLoad(sessions = 50, callsPerSession = 20, rounds = 3): Promise<HttpLoadResult> {
  const b = await startBenchApp();
  const ours = await startHttpServer(b.app, { port: 0, host: '127.0.0.1' });
  const minimal = await startMinimalHttpServer();
  const oursTool = { name: 'instagram_accounts', arguments: {} };
  const minimalTool = { name: 'echo', arguments: { text: 'hello' } };
  try {
    // Warm-up round of each (JIT, connection pools), not counted.
    await loadRound(ours.url, oursTool, 10, 5);
    await loadRound(minimal.url, minimalTool, 10, 5);
    const oursRounds: RoundOutcome[] = [];
    const minimalRounds: RoundOutcome[] = [];
    for (let i = 0; i < rounds; i++) {
      if (i % 2 === 0) {
        oursRounds.push(await loadRound(ours.url, oursTool, sessions, callsPerSession));
        minimalRounds.push(await loadRound(minimal.url, minimalTool, sessions, callsPerSession));
      } else {
        minimalRounds.push(await loadRound(minimal.url, minimalTool, sessions, callsPerSession));
        oursRounds.push(await loadRound(ours.url, oursTool, sessions, callsPerSession));
      }
    }
    const expected = rounds * sessions * callsPerSession;
    const o = stats(oursRounds, expected);
    const m = stats(minimalRounds, expected);
    return { sessions, callsPerSession, rounds, ours: o, baseline: m, p50Ratio: o.p50Ms / m.p50Ms, p99Ratio: o.p99Ms / m.p99Ms };
  } finally {
    await minimal.close();
    await ours.close();
    await b.close();
  }
}
