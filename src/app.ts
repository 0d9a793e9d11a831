/**
 * The composition root: builds the store, the Graph client, the media host and the services once per
 * process from the configuration. Every MCP session (stdio, or each HTTP session) shares one App.
 */
import path from 'node:path';
import { every, systemClock, type Clock, type Timer } from './clock.js';
import type { AppConfig } from './config.js';
import { createLogger, registerSecret, type Logger } from './log.js';
import { ensureDataDir, loadOrCreateKey } from './store/dataDir.js';
import { sandboxDataDir } from './paths.js';
import { allowLoopbackLinks } from './services/reading/bounds.js';
import { TokenVault } from './store/vault.js';
import { openStore, type Store } from './store/index.js';
import { GraphHttp } from './instagram/http.js';
import { MediaHost } from './media/host.js';
import { AccountService } from './services/accounts.js';
import { LocalCallbackListeners } from './transports/callbackListener.js';
import { MediaLibrary } from './services/mediaLibrary.js';
import { Publisher } from './services/publishing/index.js';
import { Scheduler } from './services/scheduler.js';
import { InsightsHistory } from './services/insightsHistory.js';
import { EmbeddedJobQueue, type JobQueue } from './jobs/index.js';
import { Commenting } from './services/commenting.js';
import { PostPreviewer } from './services/preview.js';
import { createReading, type ReadingServices } from './services/reading/index.js';
import type { SandboxEmulator } from './sandbox.js';

/** How often a running server looks for posts whose process died (a lease lasts 2 minutes). */
export const ORPHAN_SWEEP_MS = 60 * 1000;
/** How often a process picks up the throttles other processes sharing its store were told of. */
export const RATE_LIMIT_SHARE_MS = 15 * 1000;
/** Usage older than an hour no longer slows calls down (instagram/http.ts), so it is not adopted either. */
const USAGE_ADOPT_WINDOW_MS = 60 * 60 * 1000;

function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

export interface App {
  config: AppConfig;
  clock: Clock;
  logger: Logger;
  store: Store;
  graph: GraphHttp;
  mediaHost: MediaHost;
  accounts: AccountService;
  library: MediaLibrary;
  publisher: Publisher;
  /** Reading by area: posts, insights, comments, discovery, rateLimits. */
  reading: ReadingServices;
  commenting: Commenting;
  /** Post previews (instagram_preview_post, create_post with preview): nothing is published. */
  previews: PostPreviewer;
  /** Time-based work (scheduled posts, insights capture, sweeps) as durable jobs. */
  jobs: JobQueue;
  /** The in-process emulator in sandbox mode. */
  sandbox?: SandboxEmulator;
  /** Tells the app where its HTTP listener is (in sandbox mode local media is served from there). */
  attachHttp(handle: { url: string; port: number }): Promise<void>;
  /** Starts background work: resuming posts that were in flight, and the jobs (scheduled posts, token refresh, media cleanup). */
  startBackground(): void;
  close(): Promise<void>;
}

export interface CreateAppOptions {
  clock?: Clock;
  logger?: Logger;
  /** Tests pass an already running emulator instead of letting sandbox mode start one. */
  sandbox?: SandboxEmulator;
}

export async function createApp(baseConfig: AppConfig, options: CreateAppOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ level: baseConfig.logLevel });
  for (const secret of [baseConfig.instagramApp?.appSecret, baseConfig.facebookApp?.appSecret, baseConfig.accessToken, baseConfig.encryptionKey]) {
    registerSecret(secret);
  }
  for (const token of baseConfig.http.tokens.keys()) registerSecret(token);

  let config = baseConfig;
  let sandbox = options.sandbox;
  if (config.sandbox) {
    if (!sandbox) {
      const { startSandboxEmulator } = await import('./sandbox.js');
      // The emulator keeps its state in there: a folder that cannot be used is said plainly first.
      ensureDataDir(sandboxDataDir(config.dataDir));
      sandbox = await startSandboxEmulator({ clock, dataDir: config.dataDir });
    }
    config = sandbox.configure(config);
    allowLoopbackLinks();
    logger.info('sandbox mode: running against the built-in Instagram emulator; nothing reaches a real account', {
      reason: config.sandbox,
      emulator: sandbox.baseUrl,
    });
  }

  ensureDataDir(config.dataDir);
  const vault = new TokenVault(loadOrCreateKey(config.dataDir, config.encryptionKey));
  // Hosted mode: the store and the jobs on PostgreSQL, shared by every replica (see src/store/pg).
  // Imported only there: the embedded default never loads pg, pg-boss or their drivers.
  const hosted = config.database ? { ...config.database, store: await import('./store/pg/store.js'), jobs: await import('./jobs/pgBoss.js') } : undefined;
  const store = hosted
    ? await hosted.store.openPgStore({ url: hosted.url, poolSize: hosted.poolSize, vault, clock })
    : openStore({ file: path.join(config.dataDir, 'instagram-mcp.sqlite'), vault, clock });
  const graph = new GraphHttp({
    baseUrls: {
      instagramGraph: config.urls.instagramGraph,
      facebookGraph: config.urls.facebookGraph,
      instagramApi: config.urls.instagramApi,
      rupload: config.urls.rupload,
    },
    apiVersion: config.apiVersion,
    clock,
    logger: logger.child({ component: 'graph' }),
    // A throttle Meta announced is shared through the store: the other processes (replicas) hold back too.
    onBlock: (key, until) => void store.rateLimits.block(key, until).catch((err: unknown) => logger.warn('could not share a rate limit', { error: err })),
    // So are Meta's usage percentages: every process slows down near the limit, not only the one told.
    onUsage: (key, at, usage) => void store.rateLimits.recordUsage(key, at, JSON.stringify(usage)).catch((err: unknown) => logger.warn('could not share rate-limit usage', { error: err })),
  });
  // Hosted mode's replicas stand behind one address: whichever Instagram's fetch reaches serves a file
  // another one handed out (the embedded processes share one listening port instead, transports/).
  const mediaHost = new MediaHost({ publicBaseUrl: config.publicUrl, clock, logger: logger.child({ component: 'media-host' }), ...(hosted ? { registry: store.hostedFiles } : {}) });
  // The OAuth callback listener (transports/) and, in sandbox mode, the emulator playing the browser are handed in.
  const callbackListeners = new LocalCallbackListeners({ transport: config.transport, clock, logger: logger.child({ component: 'accounts' }) });
  const accounts = new AccountService({ config, clock, logger: logger.child({ component: 'accounts' }), store, graph, callbackListeners, sandboxLogin: sandbox });
  const library = new MediaLibrary({ config, clock, logger: logger.child({ component: 'media' }), store, mediaHost });
  const publisher = new Publisher({ config, clock, logger: logger.child({ component: 'publisher' }), store, graph, accounts, library });
  const reading = createReading({ clock, store, graph, accounts, timeZone: config.timeZone, dataDir: config.dataDir });
  const jobs: JobQueue = hosted
    ? new hosted.jobs.PgBossJobQueue({ connectionString: hosted.url, clock, logger: logger.child({ component: 'jobs' }), poolSize: Math.max(2, Math.ceil(hosted.poolSize / 3)) })
    : new EmbeddedJobQueue({ store, clock, logger: logger.child({ component: 'jobs' }) });
  const insightsHistory = new InsightsHistory({ store, clock, logger: logger.child({ component: 'insights' }), graph, accounts });
  const scheduler = new Scheduler({ jobs, store, clock, logger: logger.child({ component: 'scheduler' }), publisher, accounts, library, insightsHistory });
  const commenting = new Commenting({ store, graph, accounts });
  // Remote callers (HTTP) must not point a preview's URL fetch at this server's own network.
  const previews = new PostPreviewer({ dataDir: config.dataDir, clock, logger: logger.child({ component: 'previews' }), library, accounts, refusePrivateHosts: config.transport === 'http' && !config.sandbox });

  const timers: Timer[] = [];
  let closed = false;
  const app: App = {
    config,
    clock,
    logger,
    store,
    graph,
    mediaHost,
    accounts,
    library,
    publisher,
    reading,
    commenting,
    previews,
    jobs,
    sandbox,
    async attachHttp(handle) {
      if (!config.publicUrl && config.sandbox) mediaHost.setPublicBaseUrl(handle.url);
      callbackListeners.setHttpListenerPort(handle.port);
    },
    async startBackground() {
      const repeat = (ms: number, fn: () => Promise<unknown> | unknown) => {
        timers.push(
          every(clock, ms, () => {
            Promise.resolve()
              .then(fn)
              .catch((err: unknown) => logger.warn('background task failed', { error: err }));
          }),
        );
      };
      repeat(60 * 1000, async () => {
        mediaHost.sweep();
        await mediaHost.sweepShared();
      });
      const adoptBlocks = async () => {
        graph.adoptBlocks(await store.rateLimits.active(clock.now()));
        const usage = await store.rateLimits.usageSince(clock.now() - USAGE_ADOPT_WINDOW_MS);
        graph.adoptUsage(usage.map((u) => ({ key: u.key, observedAt: u.observedAt, usage: parseJsonOrNull(u.usageJson) })));
      };
      repeat(RATE_LIMIT_SHARE_MS, adoptBlocks);
      void adoptBlocks().catch((err: unknown) => logger.warn('could not read shared rate limits', { error: err }));
      if (!config.backgroundJobs) {
        // A serving-only replica: the worker processes sharing the store run the rest (INSTAGRAM_MCP_BACKGROUND_JOBS=0).
        logger.info('background jobs are off here (INSTAGRAM_MCP_BACKGROUND_JOBS=0): scheduled posts, token refresh and take-overs run in the workers sharing this store');
        return;
      }
      repeat(ORPHAN_SWEEP_MS, async () => publisher.resumeOrphaned());
      void publisher.resumeInFlight().catch((err: unknown) => logger.warn('resuming posts failed', { error: err }));
      // Token refresh, media cleanup and scheduled posts run as jobs: one process runs each.
      await scheduler.start().catch((err: unknown) => logger.error('background jobs could not start: scheduled posts, token refresh and cleanup wait for the next start', { error: err }));
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) timer.cancel();
      await jobs.close();
      await publisher.close();
      await accounts.close();
      await graph.close();
      await store.close();
      if (sandbox && !options.sandbox) await sandbox.stop();
    },
  };
  if (config.accessToken) {
    // Imported before the first tool call is answered, so "list my accounts" right after start sees it;
    // bounded so an unreachable Graph API cannot hold the server hostage.
    const imported = accounts.importConfiguredToken().catch((err: unknown) => logger.error('could not import INSTAGRAM_ACCESS_TOKEN', { error: err }));
    let bound: Timer | undefined;
    await Promise.race([imported, new Promise<void>((resolve) => (bound = clock.setTimer(15_000, resolve)))]);
    bound?.cancel();
  }
  return app;
}
