#!/usr/bin/env node
/**
 * The command line: `instagram-mcp` serves MCP over stdio (what desktop clients spawn), or with
 * `--transport http` over Streamable HTTP and legacy HTTP+SSE. `--sandbox` runs against the built-in
 * emulator. Everything printed for people goes to stderr: stdout is the MCP channel.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { App } from './app.js';
import { ConfigError, loadConfig, parseCliFlags, type AppConfig } from './config.js';
import { createLogger } from './log.js';
import type { HttpServerHandle } from './mcp/http.js';
import { createServer } from './server.js';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(process.env, parseCliFlags(process.argv.slice(2)));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`instagram-mcp: ${err.message}\nSee the README's Configuration section for every setting.\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel });
  // The store, the Graph client and the services are built just after start-up (or at the first tool
  // call, whichever comes first), off the path of initialize and tools/list; tool calls wait for them.
  let app: App | undefined;
  let httpHandle: HttpServerHandle | undefined;
  const build = async (): Promise<App> => {
    const { createApp } = await import('./app.js');
    app = await createApp(config, { logger });
    // In stdio mode local media still needs an HTTP listener for Instagram (or the sandbox emulator) to fetch from.
    if (config.transport === 'stdio' && (app.config.publicUrl || app.config.sandbox)) {
      const { startHttpServer } = await import('./mcp/http.js');
      httpHandle = await startHttpServer(app, { mediaOnly: true, port: app.config.sandbox && !app.config.publicUrl ? 0 : undefined });
      await app.attachHttp(httpHandle);
    }
    return app;
  };
  let building: Promise<App> | undefined;
  const startBuilding = (): Promise<App> => {
    if (!building) {
      building = build();
      building.catch((err: unknown) => {
        process.stderr.write(`instagram-mcp: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
        void shutdown(1);
      });
    }
    return building;
  };
  let shuttingDown = false;
  const shutdown = async (code = 0) => {
    if (shuttingDown) return;
    shuttingDown = true;
    await httpHandle?.close().catch(() => {});
    await app?.close().catch(() => {});
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  if (config.transport === 'http') {
    await startBuilding();
    if (!app) return;
    const { startHttpServer } = await import('./mcp/http.js');
    httpHandle = await startHttpServer(app);
    await app.attachHttp(httpHandle);
    logger.info('serving MCP over HTTP', { mcp: `${httpHandle.url}/mcp`, sse: `${httpHandle.url}/sse`, auth: config.http.tokens.size > 0 || Boolean(config.http.oidcIssuer) });
    app.startBackground();
    return;
  }

  // The first tool call builds the App if the timer has not yet: initialize and tools/list never wait for it.
  const { server } = createServer({
    config,
    get ready() {
      return startBuilding();
    },
  });
  const transport = new StdioServerTransport();
  transport.onclose = () => void shutdown(0);
  process.stdin.on('end', () => void shutdown(0));
  await server.connect(transport);
  if (process.stdin.isTTY) printHowToConnect(config);

  await new Promise((resolve) => setTimeout(resolve, 150));
  (await startBuilding()).startBackground();
}

function printHowToConnect(config: AppConfig): void {
  const lines = [
    '',
    'instagram-mcp is running over stdio, waiting for an MCP client on stdin/stdout.',
    config.sandbox ? 'SANDBOX MODE: it talks to the built-in Instagram emulator; nothing reaches a real account.' : '',
    'This process is meant to be started by an MCP client, not typed into. To connect one:',
    '  - Claude Desktop: add the "instagram" entry of mcp.config.json to claude_desktop_config.json and restart it.',
    '  - MCP Inspector: npx @modelcontextprotocol/inspector node dist/index.js',
    '  - Remote clients: npm start -- --transport http --port 8787  (then http://127.0.0.1:8787/mcp)',
    'Press Ctrl+C to stop.',
    '',
  ];
  process.stderr.write(lines.filter((l, i) => l || i === 0 || i === lines.length - 1).join('\n'));
}

main().catch((err: unknown) => {
  process.stderr.write(`instagram-mcp: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
