/**
 * What a tool handler knows about the call: who is asking (owner and agent), the app's services,
 * cancellation, progress and URL elicitation.
 */
import type { App } from '../app.js';
import type { AccountService } from '../services/accounts.js';
import type { MediaLibrary } from '../services/mediaLibrary.js';
import type { Progress } from '../services/progress.js';
import type { Publisher } from '../services/publishing/index.js';
import type { Commenting } from '../services/commenting.js';
import type { PostPreviewer } from '../services/preview.js';
import type { ReadingServices } from '../services/reading/index.js';
import type { AppConfig } from '../config.js';
import { redact, withForwarding, type Logger, type LogLevel } from '../log.js';
import type { LoggingLevel } from '@modelcontextprotocol/sdk/types.js';

const MCP_SEVERITY: LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];
const MCP_LEVEL: Record<LogLevel, LoggingLevel> = { debug: 'debug', info: 'info', warn: 'warning', error: 'error' };
import type { Extra } from './tool.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';

/** The services a tool may call: tools see these, never the store, the Graph client or the App. */
export interface Services extends ReadingServices {
  accounts: AccountService;
  publisher: Publisher;
  library: MediaLibrary;
  commenting: Commenting;
  previews: PostPreviewer;
}

export interface ToolContext {
  services: Services;
  owner: string;
  agent: string;
  signal: AbortSignal;
  progress: Progress;
  log: Logger;
  /** Sandbox mode: every result says so, so nobody mistakes the emulator for their account. */
  sandbox: boolean;
  /** Asks the client to open a URL (URL-mode elicitation) where it declared support. */
  openUrl(url: string, message: string): Promise<'accepted' | 'declined' | 'unsupported'>;
}

export function createProgress(extra: Extra): Progress {
  const token = extra._meta?.progressToken;
  let last = -Infinity;
  return {
    async report(progress, total, message) {
      if (token === undefined || progress <= last) return;
      last = progress;
      try {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress, ...(total !== undefined ? { total } : {}), ...(message ? { message } : {}) },
        });
      } catch {
        // A client that went away must not fail the work it started.
      }
    },
  };
}

/** The App, or a promise of it: stdio answers tools/list before the store and Graph client are built. */
export interface AppHandle {
  config: AppConfig;
  ready: Promise<App>;
}

export interface ContextFactoryOptions {
  handle: AppHandle;
  server: McpServer;
  /** The level the client asked for with logging/setLevel; no MCP log notifications until it asks. */
  clientLogLevel?: () => LoggingLevel | undefined;
  /** Owner for this connection: the local user in stdio mode, the authenticated identity in HTTP mode. */
  ownerFor(extra: Extra): string;
}

export function contextFactory(opts: ContextFactoryOptions): (extra: Extra) => Promise<ToolContext> {
  const { handle, server } = opts;
  return async (extra) => {
    const app = await handle.ready;
    const client = server.server.getClientVersion();
    const agent = app.config.agentOverride ?? client?.name ?? 'default';
    const owner = opts.ownerFor(extra);
    return {
      services: { accounts: app.accounts, publisher: app.publisher, library: app.library, ...app.reading, commenting: app.commenting, previews: app.previews },
      owner,
      agent,
      signal: extra.signal,
      progress: createProgress(extra),
      log: withForwarding(app.logger.child({ owner, agent }), (level, message, fields) => {
        const wanted = opts.clientLogLevel?.();
        const mcpLevel = MCP_LEVEL[level];
        if (!wanted || MCP_SEVERITY.indexOf(mcpLevel) < MCP_SEVERITY.indexOf(wanted)) return;
        void server.server
          .sendLoggingMessage({ level: mcpLevel, logger: 'instagram-mcp', data: redact({ message, ...fields }) })
          .catch(() => {});
      }),
      sandbox: Boolean(app.config.sandbox),
      async openUrl(url, message) {
        const caps = server.server.getClientCapabilities();
        const elicitation = caps?.elicitation as { url?: unknown } | undefined;
        if (!elicitation || elicitation.url === undefined) return 'unsupported';
        try {
          const result = await server.server.elicitInput(
            { mode: 'url', message, url, elicitationId: cryptoRandomId() },
            { signal: extra.signal, timeout: 15_000 },
          );
          return result.action === 'accept' ? 'accepted' : 'declined';
        } catch {
          return 'unsupported';
        }
      },
    };
  };
}

function cryptoRandomId(): string {
  return globalThis.crypto.randomUUID();
}
