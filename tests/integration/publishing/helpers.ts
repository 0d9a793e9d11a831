/** Shared helpers of the publishing suites: media builders, request-log queries, a harness with an account, restarts. */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { connectClient, readOutcome } from '../../helpers/client.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { createApp, type App } from '../../../src/app.js';
import { createLogger } from '../../../src/log.js';
import { startHttpServer } from '../../../src/transports/http.js';
import { createServer } from '../../../src/server.js';
import type { LoggedRequest } from '../../../src/emulator/index.js';
import { startHarness, type CallOutcome, type Harness, type HarnessOptions } from '../../helpers/harness.js';

export async function jpeg(width: number, height: number, color = '#3080c0'): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: color } }).jpeg({ quality: 85 }).toBuffer();
}

export async function png(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#c03030' } }).png().toBuffer();
}

export function writeMedia(h: Harness, name: string, bytes: Buffer): string {
  const file = path.join(h.mediaDir, name);
  writeFileSync(file, bytes);
  return file;
}

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(typeof bytes === 'string' ? readFileSync(bytes) : bytes).digest('hex');
}

export type PublishingHarness = Harness & { igUserId: string };

/** A harness with the business account connected and the request log cleared. */
export async function publishingHarness(options: HarnessOptions = {}): Promise<PublishingHarness> {
  const h = await startHarness(options);
  await h.connectAccount('business');
  h.emulator.clearLog();
  return Object.assign(h, { igUserId: h.emulator.users.instagramBusiness.id });
}

export function requests(h: Harness, method: string, pattern: RegExp): LoggedRequest[] {
  return h.emulator.requestLog().filter((r) => r.method === method && pattern.test(r.path));
}

export const PUBLISH = /^\/\d+\/media_publish$/;
export const CREATE = /^\/\d+\/media$/;
export const CONTAINER_READ = /^\/178\d+$/;

/** The store row of a post (the truth the server keeps). */
export async function postRow(h: { app: App }, postId: string) {
  return (await h.app.store.posts.getById(postId))!;
}

export interface Restarted {
  app: App;
  call(name: string, args?: Record<string, unknown>, opts?: { onprogress?: (p: Progress) => void }): Promise<CallOutcome>;
  close(): Promise<void>;
}

/**
 * Stops the harness's App the way a server stops (jobs interrupted, rows left as they are) and starts
 * a new App on the same data directory, emulator and clock — a server restart.
 */
export async function restartApp(h: Harness, opts: { stopFirst?: boolean } = {}): Promise<Restarted> {
  if (opts.stopFirst ?? true) await h.app.close();
  const app = await createApp(h.app.config, { clock: h.clock, logger: createLogger({ level: 'error', write: () => {} }) });
  const media = await startHttpServer(app, { mediaOnly: true, port: 0, host: '127.0.0.1' });
  app.mediaHost.setPublicBaseUrl(media.url);
  const { server } = createServer(app, { ownerFor: () => 'alice' });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = await connectClient(clientTransport);
  return {
    app,
    async call(name, args = {}, callOpts = {}) {
      const result = await client.callTool({ name, arguments: args }, undefined, { onprogress: callOpts.onprogress, resetTimeoutOnProgress: true, timeout: 120_000 });
      return readOutcome(result);
    },
    async close() {
      await client.close().catch(() => {});
      await media.close();
      await app.close();
    },
  };
}
