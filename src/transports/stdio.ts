/**
 * MCP over stdio, what desktop clients spawn. initialize and tools/list are answered at once: the App
 * (store, Graph client, services) is built on the next turn of the event loop, or by the first tool
 * call if that comes first. Local media still needs an HTTP listener for Instagram (or the sandbox
 * emulator) to fetch from: a media-only one (transports/http.ts) starts with the App, behind the
 * public URL's port shared with sibling instances (sharedPort.ts) when a public URL is set.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { App } from '../app.js';
import type { AppConfig } from '../config.js';
import { AppError } from '../errors.js';
import { createServer } from '../server.js';
import type { Lifecycle } from './lifecycle.js';

export async function serveStdio(config: AppConfig, lifecycle: Lifecycle): Promise<void> {
  const build = async (): Promise<App> => {
    const { createApp } = await import('../app.js');
    const app = await createApp(config, { logger: lifecycle.logger });
    lifecycle.onShutdown(() => app.close());
    if (app.config.publicUrl) {
      // The public URL's port is fixed: instances on the same data folder share it (sharedPort.ts).
      const [{ startHttpServer, allowedHostsFor, allowedOriginsFor }, { openSharedPort }] = await Promise.all([import('./http.js'), import('./sharedPort.js')]);
      const backend = await startHttpServer(app, { mediaOnly: true, port: 0, host: '127.0.0.1' });
      lifecycle.onShutdown(() => backend.close());
      const { port, host } = app.config.http;
      const shared = await openSharedPort({
        port,
        host,
        dataDir: app.config.dataDir,
        backendPort: backend.port,
        allowedHosts: allowedHostsFor(app, port),
        allowedOrigins: allowedOriginsFor(app, port),
        clock: app.clock,
        logger: lifecycle.logger,
      });
      lifecycle.onShutdown(() => shared.close());
      await app.attachHttp(shared);
    } else if (app.config.sandbox) {
      const { startHttpServer } = await import('./http.js');
      const httpHandle = await startHttpServer(app, { mediaOnly: true, port: 0 });
      lifecycle.onShutdown(() => httpHandle.close());
      await app.attachHttp(httpHandle);
    }
    return app;
  };
  let building: Promise<App> | undefined;
  const startBuilding = (): Promise<App> => {
    if (!building) {
      building = build();
      building.catch((err: unknown) => {
        const hint = err instanceof AppError && err.hint ? ` ${err.hint}` : '';
        process.stderr.write(`instagram-mcp: failed to start: ${err instanceof Error ? err.message : String(err)}${hint}\n`);
        void lifecycle.shutdown(1);
      });
    }
    return building;
  };

  // The first tool call builds the App if start-up has not yet: initialize and tools/list never wait for it.
  const { server } = createServer({
    config,
    get ready() {
      return startBuilding();
    },
  });
  const transport = new StdioServerTransport();
  transport.onclose = () => void lifecycle.shutdown(0);
  process.stdin.on('end', () => void lifecycle.shutdown(0));
  await server.connect(transport);
  if (process.stdin.isTTY) printHowToConnect(config);
  // Then build it on the next turn of the event loop, without waiting on any timer; a failure is
  // reported (and the process stopped) by startBuilding.
  setImmediate(() => {
    startBuilding().then(
      (built) => built.startBackground(),
      () => {},
    );
  });
}

function printHowToConnect(config: AppConfig): void {
  const lines = [
    '',
    'instagram-mcp is running over stdio, waiting for an MCP client on stdin/stdout.',
    config.sandbox ? 'SANDBOX MODE: it talks to the built-in Instagram emulator; nothing reaches a real account.' : '',
    'This process is meant to be started by an MCP client, not typed into. To connect one:',
    '  - Claude Desktop: add the "instagram" entry of mcp.config.json to claude_desktop_config.json and restart it.',
    '  - MCP Inspector: npx -y @modelcontextprotocol/inspector@0.21.2 node dist/index.js',
    '  - Remote clients: node dist/index.js --transport http --port 8787  (then http://127.0.0.1:8787/mcp)',
    'Options: instagram-mcp --help. Press Ctrl+C to stop.',
    '',
  ];
  process.stderr.write(lines.filter((l, i) => l || i === 0 || i === lines.length - 1).join('\n'));
}
