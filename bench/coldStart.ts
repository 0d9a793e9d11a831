/**
 * Cold start until `tools/list` answers: the built server against a minimal SDK server with one tool,
 * both spawned and measured the same way, interleaved in one run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const root = path.resolve(import.meta.dirname, '..');

function timeToToolsList(args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['pipe', 'pipe', 'ignore'], cwd: root });
    let out = '';
    const send = (m: unknown) => child.stdin.write(`${JSON.stringify(m)}\n`);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('"id":1') && !out.includes('"id":2')) {
        send({ jsonrpc: '2.0', method: 'notifications/initialized' });
        send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
      }
      if (out.includes('"id":2')) {
        const elapsed = performance.now() - start;
        child.kill('SIGKILL');
        resolve(elapsed);
      }
    });
    child.once('error', reject);
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } });
  });
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function benchColdStart(runs = 15): Promise<{ serverMs: number; baselineMs: number; ratio: number; runs: number }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-bench-cold-'));
  const serverEnv = { INSTAGRAM_MCP_DATA_DIR: dataDir, INSTAGRAM_MCP_SANDBOX: '0', INSTAGRAM_MCP_LOG_LEVEL: 'warn' };
  const server: number[] = [];
  const baseline: number[] = [];
  try {
    // Warm the file cache once for both so the first sample is not an outlier.
    await timeToToolsList([path.join(root, 'dist/index.js')], serverEnv);
    await timeToToolsList([path.join(root, 'bench/minimal-server.mjs')], {});
    for (let i = 0; i < runs; i++) {
      baseline.push(await timeToToolsList([path.join(root, 'bench/minimal-server.mjs')], {}));
      server.push(await timeToToolsList([path.join(root, 'dist/index.js')], serverEnv));
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const serverMs = median(server);
  const baselineMs = median(baseline);
  return { serverMs, baselineMs, ratio: serverMs / baselineMs, runs };
}
