/**
 * The package as a user gets it: `npm pack` from a checkout without dist/ (the `prepare` script must
 * build it), the tarball installed into an empty folder, and its `instagram-mcp` bin spawned over
 * stdio by the SDK client. Nothing here touches the working tree's dist/, which other suites spawn.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
/** Only a safety net against a hung npm: the steps take seconds, not minutes. */
const SAFETY_NET_MS = 240_000;
/** What a checkout holds besides the sources: never copied, so the copy is a clean checkout. */
const NOT_IN_A_CHECKOUT = new Set(['node_modules', 'dist', '.git', 'coverage', '.data']);

/** The environment of a user's shell: none of the npm_* variables of the `npm test` running us. */
function userEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.startsWith('npm_') || key === 'INIT_CWD') continue;
    env[key] = value;
  }
  // The bin's `#!/usr/bin/env node` finds the node that runs this test (Node 20 or 24 in CI).
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`;
  return { ...env, ...extra };
}

describe('the packed package', () => {
  let work: string;
  let tarball: string;
  let packedFiles: string[];
  let bin: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'igmcp-pack-'));
    // A clean checkout: the sources without dist/; node_modules linked from the repo for the build.
    const checkout = path.join(work, 'checkout');
    cpSync(repoRoot, checkout, {
      recursive: true,
      filter: (src) => {
        const rel = path.relative(repoRoot, src);
        return !NOT_IN_A_CHECKOUT.has(rel.split(path.sep)[0]!) && !rel.startsWith(path.join('bench', 'tmp'));
      },
    });
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(checkout, 'node_modules'), 'dir');
    expect(existsSync(path.join(checkout, 'dist'))).toBe(false);

    const out = path.join(work, 'out');
    mkdirSync(out);
    await run('npm', ['pack', '--pack-destination', out], { cwd: checkout, env: userEnv(), timeout: SAFETY_NET_MS, maxBuffer: 64 << 20 });
    const tarballs = readdirSync(out).filter((f) => f.endsWith('.tgz'));
    expect(tarballs).toHaveLength(1);
    tarball = path.join(out, tarballs[0]!);
    const listing = await run('tar', ['-tzf', tarball], { timeout: SAFETY_NET_MS, maxBuffer: 64 << 20 });
    packedFiles = listing.stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));

    // An empty folder, the tarball installed without install scripts (no 2-minute native compile);
    // better-sqlite3 pinned to the repo's version so that the repo's compiled binding fits it.
    const consumer = path.join(work, 'consumer');
    mkdirSync(consumer);
    writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    const sqliteDir = path.join(repoRoot, 'node_modules/better-sqlite3');
    const sqliteVersion = (JSON.parse(readFileSync(path.join(sqliteDir, 'package.json'), 'utf8')) as { version: string }).version;
    await run('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', tarball, `better-sqlite3@${sqliteVersion}`], {
      cwd: consumer,
      env: userEnv(),
      timeout: SAFETY_NET_MS,
      maxBuffer: 64 << 20,
    });
    const binding = 'build/Release/better_sqlite3.node';
    const installedSqlite = path.join(consumer, 'node_modules/better-sqlite3');
    mkdirSync(path.dirname(path.join(installedSqlite, binding)), { recursive: true });
    copyFileSync(path.join(sqliteDir, binding), path.join(installedSqlite, binding));
    bin = path.join(consumer, 'node_modules/.bin/instagram-mcp');
  }, SAFETY_NET_MS * 2 + 30_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('holds the built server, the migrations and the README, and no sources or tests', () => {
    expect(path.basename(tarball)).toBe(`${pkg.name}-${pkg.version}.tgz`);
    for (const file of ['package.json', 'README.md', 'mcp.config.json', 'dist/index.js', 'dist/server.js', 'dist/app.js', 'drizzle/meta/_journal.json']) {
      expect(packedFiles, file).toContain(file);
    }
    expect(packedFiles.some((f) => f.startsWith('drizzle/') && f.endsWith('.sql'))).toBe(true);
    expect(packedFiles.filter((f) => /^(src|tests|bench|scripts)\//.test(f) || f.endsWith('.ts'))).toEqual([]);
  });

  it('answers --version with the version in package.json and --help with the usage, on stdout, exit 0', async () => {
    const version = await run(bin, ['--version'], { env: userEnv(), timeout: 60_000 });
    expect(version.stdout).toBe(`${pkg.version}\n`);
    const help = await run(bin, ['--help'], { env: userEnv(), timeout: 60_000 });
    expect(help.stdout).toMatch(/^Usage: instagram-mcp/);
    expect(help.stdout).toContain('--transport');
    expect(help.stdout).toContain('Configuration');
  });

  it('serves MCP over stdio from the installed bin: initialize, tools/list and a tool call', async () => {
    const dataDir = path.join(work, 'data');
    const transport = new StdioClientTransport({
      command: bin,
      args: [],
      env: userEnv({ INSTAGRAM_MCP_SANDBOX: '1', INSTAGRAM_MCP_DATA_DIR: dataDir }),
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const client = new Client({ name: 'pack-e2e', version: '1' });
    try {
      await client.connect(transport);
      expect(client.getServerVersion()).toMatchObject({ name: 'instagram-mcp', version: pkg.version });
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name);
      for (const name of ['instagram_authenticate', 'instagram_accounts', 'instagram_create_post', 'instagram_get_posts']) {
        expect(names, name).toContain(name);
      }
      // A call builds the App: the store (native SQLite binding, shipped migrations) and the sandbox emulator.
      const result = await client.callTool({ name: 'instagram_accounts', arguments: {} });
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    } catch (err) {
      throw new Error(`${(err as Error).message}\nserver stderr:\n${stderr}`, { cause: err });
    } finally {
      await client.close();
    }
  }, 60_000);
});
