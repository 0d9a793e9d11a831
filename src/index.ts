#!/usr/bin/env node
/**
 * The command line: `instagram-mcp` serves MCP over stdio (what desktop clients spawn), or with
 * `--transport http` over Streamable HTTP and legacy HTTP+SSE. `--sandbox` runs against the built-in
 * emulator. Everything printed for people goes to stderr: stdout is the MCP channel — except the
 * answers to `--help` and `--version`, which print to stdout and exit before anything is loaded.
 */
import { readFileSync } from 'node:fs';
import type { App } from './app.js';
import type { AppConfig } from './config.js';
import type { HttpServerHandle } from './mcp/http.js';

/** The version in package.json, one level above both src/ and dist/. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

const USAGE = `Usage: instagram-mcp [options]

An MCP server for Instagram professional accounts through Meta's official Graph API.

  instagram-mcp                    serve MCP over stdio (the default: what desktop clients spawn)
  instagram-mcp --transport http   serve Streamable HTTP at /mcp (and legacy HTTP+SSE at /sse)

Options:
  --transport stdio|http   the transport (default stdio; also INSTAGRAM_MCP_TRANSPORT).
                           --stdio and --http are shorthands
  --port N                 HTTP port (default 8787; also INSTAGRAM_MCP_PORT)
  --host ADDR              HTTP bind address (default 127.0.0.1; also INSTAGRAM_MCP_HOST)
  --sandbox                run against the built-in Instagram emulator; nothing reaches a real
                           account (also INSTAGRAM_MCP_SANDBOX=1; on when no Meta app is configured)
  --config FILE            a JSON file of settings by name (also INSTAGRAM_MCP_CONFIG)
  -h, --help               print this help and exit
  -v, --version            print the version and exit

Every other setting is an environment variable (INSTAGRAM_APP_ID, INSTAGRAM_APP_SECRET,
INSTAGRAM_REDIRECT_URI, INSTAGRAM_MCP_MEDIA_DIRS, INSTAGRAM_MCP_DATA_DIR, INSTAGRAM_MCP_HTTP_TOKEN, ...):
see the Configuration section of the README for all of them.
In stdio mode stdout carries MCP messages only; logs go to stderr.
`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  if (argv.includes('--version') || argv.includes('-v')) {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  // Loaded only now, so that --help and --version answer without loading the SDK, zod and the tools.
  const [{ StdioServerTransport }, { ConfigError, loadConfig, parseCliFlags }, { createLogger }, { createServer }] = await Promise.all([
    import('@modelcontextprotocol/sdk/server/stdio.js'),
    import('./config.js'),
    import('./log.js'),
    import('./server.js'),
  ]);
  let config: AppConfig;
  try {
    config = loadConfig(process.env, parseCliFlags(argv));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`instagram-mcp: ${err.message}\nRun instagram-mcp --help for the options; see the README's Configuration section for every setting.\n`);
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

  // The first tool call builds the App if start-up has not yet: initialize and tools/list never wait for it.
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

main().catch((err: unknown) => {
  process.stderr.write(`instagram-mcp: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
