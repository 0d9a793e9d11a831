/**
 * Hosted mode under load: 200 concurrent MCP sessions, each listing the tools and making a few calls
 * of a cheap read tool (instagram_accounts), against the built server in three set-ups measured in
 * the same run: three hosted replicas on one PostgreSQL database with every request sent to the next
 * replica (no affinity), one hosted replica, and the embedded single process (SQLite, stateful HTTP).
 * Needs the build (dist/) and a PostgreSQL server (INSTAGRAM_MCP_TEST_PG_URL, default the machine's);
 * without them the figure is skipped with the reason.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createEmulator, serverSettingsFor } from '../src/emulator/index.js';
import { createTestDatabase, postgresUnavailable } from '../tests/helpers/postgres.js';

const builtEntry = path.resolve(import.meta.dirname, '../dist/index.js');

export interface HostedLoad {
  label: string;
  calls: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
}

export interface HostedBench {
  sessions: number;
  callsPerSession: number;
  modes: HostedLoad[];
  skipped?: string;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
}

async function startServer(env: Record<string, string>): Promise<{ port: number; child: ChildProcess; dir: string }> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-bench-hosted-'));
  const child = spawn(process.execPath, [builtEntry, '--transport', 'http', '--port', String(port)], { env: { ...env, INSTAGRAM_MCP_DATA_DIR: dir }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      if (err.includes('serving MCP over HTTP')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${err.slice(-500)}`)));
  });
  return { port, child, dir };
}

async function load(label: string, ports: number[], token: string, sessions: number, callsPerSession: number): Promise<HostedLoad> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const rotating: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    url.port = String(ports[next++ % ports.length]);
    return fetch(url, init);
  };
  await Promise.all(
    Array.from({ length: sessions }, async (_, s) => {
      const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${ports[0]}/mcp`), { fetch: rotating, requestInit: { headers: { Authorization: `Bearer ${token}` } } });
      const client = new Client({ name: `bench-hosted-${s}`, version: '1' });
      try {
        await client.connect(transport);
        await client.listTools();
        for (let i = 0; i < callsPerSession; i++) {
          const t = performance.now();
          try {
            const r = await client.callTool({ name: 'instagram_accounts', arguments: {} }, undefined, { timeout: 60_000 });
            if (r.isError) errors++;
          } catch {
            errors++;
          }
          latencies.push(performance.now() - t);
        }
      } catch {
        errors += callsPerSession;
      } finally {
        await client.close().catch(() => {});
      }
    }),
  );
  return { label, calls: latencies.length, errors, p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99) };
}

export async function benchHostedSessions(sessions = 200, callsPerSession = 5): Promise<HostedBench> {
  if (!existsSync(builtEntry)) return { sessions, callsPerSession, modes: [], skipped: 'no build (run npm run build first)' };
  const unavailable = await postgresUnavailable('bench hosted');
  if (unavailable !== null) return { sessions, callsPerSession, modes: [], skipped: `PostgreSQL does not answer (${unavailable})` };
  const database = await createTestDatabase();
  const emulator = createEmulator({});
  await emulator.start(0, '127.0.0.1');
  const token = randomBytes(24).toString('hex');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...serverSettingsFor(emulator),
    INSTAGRAM_MCP_SANDBOX: '0',
    INSTAGRAM_MCP_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    INSTAGRAM_MCP_HTTP_TOKEN: token,
    INSTAGRAM_MCP_MAX_SESSIONS: String(sessions * 2),
    INSTAGRAM_MCP_LOG_LEVEL: 'info',
  };
  const hostedEnv = { ...env, INSTAGRAM_MCP_DATABASE_URL: database.url, INSTAGRAM_MCP_DATABASE_POOL: '10' };
  const started: Array<{ child: ChildProcess; dir: string }> = [];
  const modes: HostedLoad[] = [];
  try {
    const three = await Promise.all([0, 1, 2].map(() => startServer(hostedEnv)));
    started.push(...three);
    modes.push(await load('hosted, 3 replicas (PostgreSQL, no affinity)', three.map((s) => s.port), token, sessions, callsPerSession));
    modes.push(await load('hosted, 1 replica (PostgreSQL)', [three[0]!.port], token, sessions, callsPerSession));
    const embedded = await startServer(env);
    started.push(embedded);
    modes.push(await load('embedded, 1 process (SQLite)', [embedded.port], token, sessions, callsPerSession));
  } finally {
    for (const s of started) s.child.kill('SIGTERM');
    await Promise.all(started.map((s) => new Promise((resolve) => (s.child.exitCode !== null ? resolve(null) : s.child.once('exit', resolve)))));
    for (const s of started) rmSync(s.dir, { recursive: true, force: true });
    await emulator.stop();
    await database.drop();
  }
  return { sessions, callsPerSession, modes };
}
