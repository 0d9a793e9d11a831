/**
 * Tool-call overhead: `instagram_get_posts` through a real MCP client (in-process transport) against
 * the raw Graph GET it makes, sent straight to the emulator with undici, both at 20 ms emulator latency,
 * interleaved call by call in one run. Also counts the Graph calls one tool call makes.
 */
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { graphCalls, median, quantile, startBenchApp } from './setup.js';

export interface ToolOverheadResult {
  iterations: number;
  latencyMs: number;
  toolMedianMs: number;
  rawMedianMs: number;
  toolP90Ms: number;
  rawP90Ms: number;
  overheadMs: number;
  ratio: number;
  graphCallsPerToolCall: number;
  graphRequest: string;
}

export async function benchToolOverhead(iterations = 60, latencyMs = 20): Promise<ToolOverheadResult> {
  const b = await startBenchApp();
  const dispatcher = new Agent({ keepAliveTimeout: 4_000, connections: 16 });
  try {
    const args = { limit: 10 };
    // Learn the exact Graph request the tool makes (path, version, query) from the request log.
    b.emulator.clearLog();
    const first = await b.call('instagram_get_posts', args);
    if (first.isError) throw new Error(`instagram_get_posts failed: ${first.text}`);
    const made = graphCalls(b.emulator.requestLog());
    const list = made.find((r) => r.method === 'GET' && /\/media$/.test(r.path));
    if (!list) throw new Error(`instagram_get_posts made no GET /{id}/media: ${JSON.stringify(made.map((r) => r.path))}`);
    const query = new URLSearchParams(Object.entries(list.params).filter(([k]) => k !== 'access_token'));
    const url = `${b.emulator.urls.instagramGraph}/${list.version ?? 'v24.0'}${list.path}?${query}`;

    const raw = async () => {
      const res = await request(url, { method: 'GET', headers: { authorization: `Bearer ${b.token}` }, dispatcher });
      const body = JSON.parse(await res.body.text()) as { data?: unknown[] };
      if (res.statusCode !== 200 || !Array.isArray(body.data)) throw new Error(`raw GET failed: ${res.statusCode}`);
    };
    const tool = async () => {
      const r = await b.call('instagram_get_posts', args);
      if (r.isError) throw new Error(`instagram_get_posts failed: ${r.text}`);
    };

    b.emulator.setLatency(latencyMs);
    for (let i = 0; i < 5; i++) {
      await raw();
      await tool();
    }
    const toolMs: number[] = [];
    const rawMs: number[] = [];
    const time = async (fn: () => Promise<void>, into: number[]) => {
      const t0 = performance.now();
      await fn();
      into.push(performance.now() - t0);
    };
    for (let i = 0; i < iterations; i++) {
      // Alternate which goes first so neither always runs on a warmer loop.
      if (i % 2 === 0) {
        await time(raw, rawMs);
        await time(tool, toolMs);
      } else {
        await time(tool, toolMs);
        await time(raw, rawMs);
      }
    }
    const toolMedianMs = median(toolMs);
    const rawMedianMs = median(rawMs);
    return {
      iterations,
      latencyMs,
      toolMedianMs,
      rawMedianMs,
      toolP90Ms: quantile(toolMs, 0.9),
      rawP90Ms: quantile(rawMs, 0.9),
      overheadMs: toolMedianMs - rawMedianMs,
      ratio: toolMedianMs / rawMedianMs,
      graphCallsPerToolCall: made.length,
      graphRequest: `GET ${list.path}?${[...query.keys()].join('&')}`,
    };
  } finally {
    await dispatcher.close();
    await b.close();
  }
}
