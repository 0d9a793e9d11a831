/**
 * `instagram-mcp worker`: the background jobs with no MCP client (scheduled posts, pre-created
 * containers, token refresh, insights capture, cleanup), for a machine that stays on. It shares the
 * data dir with stdio and HTTP servers: the job rows and post leases decide who runs what. With a
 * public URL it also serves local media to Instagram, which fetches it at publish time.
 */
import type { AppConfig } from '../config.js';
import type { Lifecycle } from './lifecycle.js';

export async function serveWorker(config: AppConfig, lifecycle: Lifecycle): Promise<void> {
  const { createApp } = await import('../app.js');
  // The worker is where the jobs run, whatever INSTAGRAM_MCP_BACKGROUND_JOBS says for the serving processes.
  const app = await createApp({ ...config, backgroundJobs: true }, { logger: lifecycle.logger });
  lifecycle.onShutdown(() => app.close());
  if (app.config.publicUrl || app.config.sandbox) {
    const { startHttpServer } = await import('./http.js');
    const httpHandle = await startHttpServer(app, { mediaOnly: true, port: app.config.sandbox && !app.config.publicUrl ? 0 : undefined });
    lifecycle.onShutdown(() => httpHandle.close());
    await app.attachHttp(httpHandle);
  }
  app.startBackground();
  // The clock's timers never hold the process open (a stdio server lives as long as its client): this does.
  const keepAlive = setInterval(() => {}, 1 << 30);
  lifecycle.onShutdown(async () => clearInterval(keepAlive));
  lifecycle.logger.info('worker running: scheduled posts, token refresh and insights capture, with no MCP client; stop it with SIGTERM', { dataDir: app.config.dataDir });
}
