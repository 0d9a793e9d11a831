/**
 * What every conversation pays before its first tool call: the bytes of the built server's
 * `initialize` instructions and of its `tools/list` answer (the JSON-RPC line on stdout), full toolset.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

export async function benchListingSize(): Promise<{ toolsListBytes: number; instructionsBytes: number; tools: number }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-bench-listing-'));
  try {
    const lines = await new Promise<string[]>((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(root, 'dist/index.js')], {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', INSTAGRAM_MCP_DATA_DIR: dataDir, INSTAGRAM_MCP_SANDBOX: '0', INSTAGRAM_MCP_LOG_LEVEL: 'error' },
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      let out = '';
      let listed = false;
      const send = (m: unknown) => child.stdin.write(`${JSON.stringify(m)}\n`);
      child.stdout.on('data', (chunk) => {
        out += chunk;
        if (!listed && out.includes('\n')) {
          // The initialize answer is complete: ask for the tools once.
          listed = true;
          send({ jsonrpc: '2.0', method: 'notifications/initialized' });
          send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
        }
        if (out.includes('"id":2') && out.endsWith('\n')) {
          child.kill('SIGKILL');
          resolve(out.split('\n').filter(Boolean));
        }
      });
      child.once('error', reject);
      send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } });
    });
    const init = JSON.parse(lines[0]!) as { result: { instructions?: string } };
    const list = lines.find((l) => l.includes('"id":2'))!;
    return { toolsListBytes: Buffer.byteLength(list), instructionsBytes: Buffer.byteLength(init.result.instructions ?? ''), tools: (JSON.parse(list) as { result: { tools: unknown[] } }).result.tools.length };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
