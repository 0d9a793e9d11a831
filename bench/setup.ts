/**
 * Shared pieces of the benchmarks: an emulator + the real App + an in-process MCP client (like
 * tests/helpers/harness.ts, but logging as the server does by default — warn and above, discarded —
 * and with rate limits out of the way so repeated runs measure the code, not the budget), and
 * small statistics helpers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { systemClock, type Clock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { createApp, type App } from '../src/app.js';
import { createServer } from '../src/server.js';
import { startHttpServer, type HttpServerHandle } from '../src/transports/http.js';
import { createEmulator, type Emulator, type EmulatorOptions, type LoggedRequest } from '../src/emulator/index.js';
import { createLogger } from '../src/log.js';
import { emulatorEnv } from '../tests/helpers/harness.js';

export interface CallResult {
  isError: boolean;
  data: any;
  text: string;
}

export interface BenchApp {
  emulator: Emulator;
  app: App;
  clock: Clock;
  client: Client;
  igUserId: string;
  /** A valid Instagram-Login token of the business account (for raw Graph calls). */
  token: string;
  mediaDir: string;
  call(name: string, args?: Record<string, unknown>): Promise<CallResult>;
  close(): Promise<void>;
}

/** Limits no benchmark should run into: it measures code, not Meta's budgets. */
export const UNLIMITED: EmulatorOptions = {
  rateLimits: { callBudgetPerHour: 1e9, appCallBudgetPerHour: 1e9 },
  quotaTotal: 1_000_000,
};

export function benchEnv(emulator: Emulator, dataDir: string, mediaDir: string): Record<string, string> {
  return {
    ...emulatorEnv(emulator),
    INSTAGRAM_REDIRECT_URI: 'http://127.0.0.1:9/oauth/callback',
    INSTAGRAM_MCP_DATA_DIR: dataDir,
    INSTAGRAM_MCP_MEDIA_DIRS: mediaDir,
    INSTAGRAM_MCP_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    INSTAGRAM_MCP_OWNER: 'bench',
    INSTAGRAM_MCP_LOG_LEVEL: 'warn',
  };
}

export async function startBenchApp(options: { clock?: Clock; emulator?: EmulatorOptions; env?: Record<string, string> } = {}): Promise<BenchApp> {
  const clock = options.clock ?? systemClock;
  const emulator = createEmulator({ clock, ...UNLIMITED, ...options.emulator });
  await emulator.start(0, '127.0.0.1');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-bench-data-'));
  const mediaDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-bench-media-'));
  const config = loadConfig({ ...benchEnv(emulator, dataDir, mediaDir), INSTAGRAM_MCP_PUBLISH_WAIT_SECONDS: '600', ...options.env }, {});
  const app = await createApp(config, { clock, logger: createLogger({ level: 'warn', write: () => {} }) });
  const media: HttpServerHandle = await startHttpServer(app, { mediaOnly: true, port: 0, host: '127.0.0.1' });
  if (!config.publicUrl) app.mediaHost.setPublicBaseUrl(media.url);

  const { server } = createServer(app, { ownerFor: () => 'bench' });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: 'bench-agent', version: '1.0.0' });
  await client.connect(clientTransport);
  await client.listTools(); // as real clients do: output schemas are checked from here on

  const call = async (name: string, args: Record<string, unknown> = {}): Promise<CallResult> => {
    const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 600_000, resetTimeoutOnProgress: true });
    const text = Array.isArray(result.content) && result.content[0] && 'text' in result.content[0] ? String(result.content[0].text) : '';
    return { isError: Boolean(result.isError), data: result.structuredContent, text };
  };

  const igUserId = emulator.users.instagramBusiness.id;
  const token = emulator.issueToken({ userId: igUserId, loginType: 'instagram', lifetime: 'long' });
  const auth = await call('instagram_authenticate', { access_token: token });
  if (auth.isError) throw new Error(`bench: connecting the account failed: ${auth.text}`);
  emulator.clearLog();

  return {
    emulator,
    app,
    clock,
    client,
    igUserId,
    token,
    mediaDir,
    call,
    async close() {
      await client.close().catch(() => {});
      await media.close();
      await app.close();
      await emulator.stop();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(mediaDir, { recursive: true, force: true });
    },
  };
}

/** Requests that reached a Graph host (what Meta counts). */
export function graphCalls(log: LoggedRequest[]): LoggedRequest[] {
  return log.filter((r) => r.hostRole === 'instagram_graph' || r.hostRole === 'facebook_graph' || r.hostRole === 'rupload');
}

export function median(values: number[]): number {
  return quantile(values, 0.5);
}

/** Nearest-rank quantile (q in 0..1). */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[rank]!;
}

export const ms = (v: number, digits = 0) => `${v.toFixed(digits)} ms`;
export const ratioText = (v: number) => `${v.toFixed(2)}x`;
