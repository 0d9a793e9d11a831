/**
 * Integration harness: the emulator on loopback, the real App pointed at it, a media listener for
 * hosted local files, and MCP clients connected in process. Time is virtual unless asked otherwise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { ClientCapabilities, Progress } from '@modelcontextprotocol/sdk/types.js';
import { VirtualClock, systemClock, type Clock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createApp, type App } from '../../src/app.js';
import { createServer } from '../../src/server.js';
import { startHttpServer, type HttpServerHandle } from '../../src/transports/http.js';
import { createEmulator, serverSettingsFor, type Emulator } from '../../src/emulator/index.js';
import type { EmulatorOptions } from '../../src/emulator/types.js';
import { createLogger, type Logger } from '../../src/log.js';
import { connectClient, readOutcome, type CallOutcome } from './client.js';

export type { CallOutcome } from './client.js';

export interface Harness {
  emulator: Emulator;
  app: App;
  clock: Clock;
  client: Client;
  connect(opts?: { agent?: string; owner?: string; capabilities?: ClientCapabilities }): Promise<Client>;
  call(name: string, args?: Record<string, unknown>, client?: Client, opts?: { onprogress?: (p: Progress) => void; timeoutMs?: number }): Promise<CallOutcome>;
  connectAccount(which?: 'business' | 'creator' | 'facebook', client?: Client): Promise<CallOutcome>;
  mediaDir: string;
  dataDir: string;
  mediaBaseUrl: string;
  logLines: string[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  emulator?: EmulatorOptions;
  /** Real time instead of a VirtualClock (benchmarks, transports). */
  realTime?: boolean;
  /** Where the virtual clock starts, epoch ms (default: VirtualClock's). */
  clockStart?: number;
  /** Reuse an existing emulator (restart tests). */
  existingEmulator?: Emulator;
  dataDir?: string;
  mediaDir?: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The server's settings for an emulator, with sandbox mode off (the emulator runs outside the server). */
export function emulatorEnv(emulator: Emulator): Record<string, string> {
  return { ...serverSettingsFor(emulator), INSTAGRAM_MCP_SANDBOX: '0' };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const clock: Clock = options.realTime ? systemClock : new VirtualClock(options.clockStart);
  const emulator = options.existingEmulator ?? createEmulator({ clock, ...options.emulator });
  if (!options.existingEmulator) await emulator.start(0, '127.0.0.1');
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'igmcp-data-'));
  const mediaDir = options.mediaDir ?? mkdtempSync(path.join(os.tmpdir(), 'igmcp-media-'));
  const callbackPort = await freePort();
  const env: Record<string, string> = {
    ...emulatorEnv(emulator),
    INSTAGRAM_REDIRECT_URI: `http://127.0.0.1:${callbackPort}/oauth/callback`,
    INSTAGRAM_MCP_DATA_DIR: dataDir,
    INSTAGRAM_MCP_MEDIA_DIRS: mediaDir,
    INSTAGRAM_MCP_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    INSTAGRAM_MCP_OWNER: 'alice',
    INSTAGRAM_MCP_PUBLISH_WAIT_SECONDS: '600',
    ...options.env,
  };
  const config = loadConfig(env, {});
  const logLines: string[] = [];
  const logger: Logger = createLogger({ level: 'debug', write: (line) => logLines.push(line) });
  const app = await createApp(config, { clock, logger });
  const media: HttpServerHandle = await startHttpServer(app, { mediaOnly: true, port: 0, host: '127.0.0.1' });
  if (!config.publicUrl) app.mediaHost.setPublicBaseUrl(media.url);

  const clients: Client[] = [];
  async function connect(opts: { agent?: string; owner?: string; capabilities?: ClientCapabilities } = {}): Promise<Client> {
    const owner = opts.owner ?? 'alice';
    const { server } = createServer(app, { ownerFor: () => owner });
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    const client = await connectClient(clientTransport, opts.agent ?? 'test-agent', opts.capabilities);
    clients.push(client);
    return client;
  }
  const client = await connect();

  async function call(name: string, args: Record<string, unknown> = {}, who: Client = client, opts: { onprogress?: (p: Progress) => void; timeoutMs?: number } = {}): Promise<CallOutcome> {
    const result = await who.callTool({ name, arguments: args }, undefined, {
      onprogress: opts.onprogress,
      resetTimeoutOnProgress: true,
      timeout: opts.timeoutMs ?? 120_000,
    });
    return readOutcome(result);
  }

  async function connectAccount(which: 'business' | 'creator' | 'facebook' = 'business', who: Client = client): Promise<CallOutcome> {
    const users = emulator.users;
    const token =
      which === 'facebook'
        ? emulator.issueToken({ userId: users.facebookUser.id, loginType: 'facebook', lifetime: 'long' })
        : emulator.issueToken({ userId: (which === 'business' ? users.instagramBusiness : users.instagramCreator).id, loginType: 'instagram', lifetime: 'long' });
    const outcome = await call('instagram_authenticate', { access_token: token }, who);
    if (outcome.isError) throw new Error(`connectAccount failed: ${outcome.text}`);
    return outcome;
  }

  return {
    emulator,
    app,
    clock,
    client,
    connect,
    call,
    connectAccount,
    mediaDir,
    dataDir,
    mediaBaseUrl: media.url,
    logLines,
    async close() {
      for (const c of clients) await c.close().catch(() => {});
      await media.close();
      await app.close();
      if (!options.existingEmulator) await emulator.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
      if (!options.mediaDir) rmSync(mediaDir, { recursive: true, force: true });
    },
  };
}
