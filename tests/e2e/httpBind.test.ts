/**
 * A server that would be reachable from other machines with no authentication does not start: the
 * built server exits with the setting named and the three ways out, and never listens.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const builtEntry = path.resolve(import.meta.dirname, '../../dist/index.js');

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [builtEntry, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

describe('HTTP bind address', () => {
  it('refuses --host 0.0.0.0 without a bearer token or OpenID provider, and says why', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-bind-'));
    try {
      const { code, stderr } = await run(['--transport', 'http', '--host', '0.0.0.0', '--port', '0'], { INSTAGRAM_MCP_DATA_DIR: dataDir, INSTAGRAM_MCP_SANDBOX: '1' });
      expect(code).toBe(2);
      expect(stderr).toMatch(/INSTAGRAM_MCP_HOST: 0\.0\.0\.0 can be reached from other machines/);
      expect(stderr).toMatch(/INSTAGRAM_MCP_HTTP_TOKEN/);
      expect(stderr).not.toMatch(/serving MCP over HTTP/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
