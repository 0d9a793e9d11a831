#!/usr/bin/env node
/**
 * The command line: `instagram-mcp` serves MCP over stdio (what desktop clients spawn), or with
 * `--transport http` over Streamable HTTP and legacy HTTP+SSE. `--sandbox` runs against the built-in
 * emulator. Everything printed for people goes to stderr: stdout is the MCP channel — except the
 * answers to `--help` and `--version`, which print to stdout and exit before anything is loaded, and
 * `--sandbox-reset`, which deletes the sandbox's data, says so on stdout and exits.
 */
import { readFileSync, rmSync } from 'node:fs';
import type { AppConfig } from './config.js';
import type { Lifecycle } from './transports/lifecycle.js';

/** The version in package.json, one level above both src/ and dist/. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

const USAGE = `Usage: instagram-mcp [options]

An MCP server for Instagram professional accounts through Meta's official Graph API.

  instagram-mcp                    serve MCP over stdio (the default: what desktop clients spawn)
  instagram-mcp --transport http   serve Streamable HTTP at /mcp (and legacy HTTP+SSE at /sse)
  instagram-mcp worker             run only the background jobs (scheduled posts, token refresh,
                                   insights capture), with no client: for a machine that stays on

Options:
  --transport stdio|http   the transport (default stdio; also INSTAGRAM_MCP_TRANSPORT).
                           --stdio and --http are shorthands
  --port N                 HTTP port (default 8787; also INSTAGRAM_MCP_PORT)
  --host ADDR              HTTP bind address (default 127.0.0.1; also INSTAGRAM_MCP_HOST)
  --sandbox                run against the built-in Instagram emulator; nothing reaches a real
                           account (also INSTAGRAM_MCP_SANDBOX=1; on when no Meta app is configured)
  --config FILE            a JSON file of settings by name (also INSTAGRAM_MCP_CONFIG)
  --sandbox-reset          delete the sandbox's accounts, posts and tokens (kept across runs
                           in <data dir>/sandbox) and exit; the next sandbox start is fresh
  -h, --help               print this help and exit
  -v, --version            print the version and exit

Every other setting is an environment variable (INSTAGRAM_APP_ID, INSTAGRAM_APP_SECRET,
INSTAGRAM_REDIRECT_URI, INSTAGRAM_MCP_MEDIA_DIRS, INSTAGRAM_MCP_DATA_DIR, INSTAGRAM_MCP_HTTP_TOKEN, ...):
see the Configuration section of the README for all of them.
In stdio mode stdout carries MCP messages only; logs go to stderr.
`;

/** Set once the configuration is loaded: from then on, stopping closes what the transport opened. */
let lifecycle: Lifecycle | undefined;

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
  const [{ ConfigError, loadConfig, parseCliFlags }, { createLogger }, { createLifecycle }] = await Promise.all([
    import('./config.js'),
    import('./log.js'),
    import('./transports/lifecycle.js'),
  ]);
  // A command, not a setting: config.ts knows nothing of it.
  const resetSandbox = argv.includes('--sandbox-reset');
  const worker = argv[0] === 'worker';
  let config: AppConfig;
  try {
    config = loadConfig(process.env, parseCliFlags(argv.filter((arg, i) => arg !== '--sandbox-reset' && !(worker && i === 0))));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`instagram-mcp: ${err.message}\nRun instagram-mcp --help for the options; see the README's Configuration section for every setting.\n`);
      process.exit(2);
    }
    throw err;
  }
  if (resetSandbox) {
    const { sandboxDataDir } = await import('./paths.js');
    const dir = sandboxDataDir(config.dataDir);
    rmSync(dir, { recursive: true, force: true });
    process.stdout.write(`Sandbox data deleted (${dir}): the next sandbox start seeds a new emulated Instagram. Sandbox servers still running keep what they hold; restart them.\n`);
    return;
  }
  lifecycle = createLifecycle(createLogger({ level: config.logLevel }), (code) => process.exit(code));
  const stop = lifecycle.shutdown;
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  // The transport builds the App and whatever listens; the lifecycle closes them when the process stops.
  if (worker) {
    const { serveWorker } = await import('./transports/worker.js');
    await serveWorker(config, lifecycle);
  } else if (config.transport === 'http') {
    const { serveHttp } = await import('./transports/http.js');
    await serveHttp(config, lifecycle);
  } else {
    const { serveStdio } = await import('./transports/stdio.js');
    await serveStdio(config, lifecycle);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`instagram-mcp: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  if (lifecycle) void lifecycle.shutdown(1);
  else process.exit(1);
});
