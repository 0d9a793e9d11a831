/**
 * A sandbox "process" in process: the App in sandbox mode (its own emulator, started by sandbox.ts as
 * the CLI does), its media listener and one MCP client. Several of them on one data folder stand in
 * for separate processes: nothing is shared between them but the files in that folder.
 */
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import sharp from 'sharp';
import type { Clock } from '../../../src/clock.js';
import { loadConfig } from '../../../src/config.js';
import { createApp, type App } from '../../../src/app.js';
import { createServer } from '../../../src/server.js';
import { startHttpServer } from '../../../src/transports/http.js';
import { silentLogger } from '../../../src/log.js';
import { connectClient, readOutcome, type CallOutcome } from '../../helpers/client.js';

export interface SandboxProcess {
  app: App;
  call(name: string, args?: Record<string, unknown>): Promise<CallOutcome>;
  close(): Promise<void>;
}

export async function startSandboxProcess(o: { dataDir: string; mediaDir: string; clock: Clock }): Promise<SandboxProcess> {
  const config = loadConfig({
    INSTAGRAM_MCP_DATA_DIR: o.dataDir,
    INSTAGRAM_MCP_SANDBOX: '1',
    INSTAGRAM_MCP_MEDIA_DIRS: o.mediaDir,
    INSTAGRAM_MCP_PUBLISH_WAIT_SECONDS: '600',
  });
  const app = await createApp(config, { clock: o.clock, logger: silentLogger });
  const media = await startHttpServer(app, { mediaOnly: true, port: 0, host: '127.0.0.1' });
  await app.attachHttp(media);
  const { server } = createServer(app);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = await connectClient(clientTransport);
  return {
    app,
    async call(name, args = {}) {
      return readOutcome(await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 }));
    },
    async close() {
      await client.close().catch(() => {});
      await media.close();
      await app.close();
    },
  };
}

export function jpeg(width: number, height: number, color: string): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: color } }).jpeg({ quality: 85 }).toBuffer();
}
