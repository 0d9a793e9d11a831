/**
 * Standalone emulator: `npm run emulator -- --port 8080 [--host 127.0.0.1] [--no-seed]
 * [--video-ms 5000] [--image-ms 0] [--latency-ms 0] [--quota 100] [--code-shape flat|data]`.
 * Prints the base URL, host URLs, app credentials and seeded accounts to stdout (the only place the
 * emulator writes to stdout), then serves until SIGINT / SIGTERM.
 */
import { serverSettingsFor } from './serverSettings.js';
import { createEmulator } from './emulator.js';
import type { EmulatorOptions } from './types.js';

function parseArgs(argv: string[]): { port: number; host: string; options: EmulatorOptions } {
  const options: EmulatorOptions = {};
  let port = 0;
  let host = '127.0.0.1';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i] ?? '';
    switch (flag) {
      case '--port':
        port = Number(value());
        break;
      case '--host':
        host = value();
        break;
      case '--no-seed':
        options.seed = false;
        break;
      case '--video-ms':
        options.processing = { ...options.processing, videoMs: Number(value()) };
        break;
      case '--image-ms':
        options.processing = { ...options.processing, imageMs: Number(value()) };
        break;
      case '--latency-ms':
        options.latencyMs = Number(value());
        break;
      case '--quota':
        options.quotaTotal = Number(value());
        break;
      case '--code-shape':
        options.codeExchangeShape = value() === 'data' ? 'data' : 'flat';
        break;
      case '--help':
        process.stdout.write('Usage: npm run emulator -- --port N [--host H] [--no-seed] [--video-ms MS] [--image-ms MS] [--latency-ms MS] [--quota N] [--code-shape flat|data]\n');
        process.exit(0);
        break;
      default:
        process.stderr.write(`Unknown argument: ${arg}\n`);
        process.exit(2);
    }
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write('--port must be an integer between 0 and 65535\n');
    process.exit(2);
  }
  return { port, host, options };
}

async function main(): Promise<void> {
  const { port, host, options } = parseArgs(process.argv.slice(2));
  const emulator = createEmulator(options);
  const baseUrl = await emulator.start(port, host);
  const summary = {
    baseUrl,
    urls: emulator.urls,
    apps: emulator.apps,
    accounts: {
      instagramBusiness: { id: emulator.users.instagramBusiness.id, username: emulator.users.instagramBusiness.username },
      instagramCreator: { id: emulator.users.instagramCreator.id, username: emulator.users.instagramCreator.username },
      facebookUser: { id: emulator.users.facebookUser.id, name: emulator.users.facebookUser.name },
      linkedPage: { id: emulator.users.linkedPage.id, instagram_business_account: emulator.users.facebookInstagram.id },
      unlinkedPage: { id: emulator.users.unlinkedPage.id },
    },
    tokens: `POST ${emulator.urls.admin}/tokens {"userId":"…","loginType":"instagram"|"facebook"}`,
  };
  // The server's settings that point it at this emulator, ready to paste into a shell.
  const env = serverSettingsFor(emulator);
  const exports = Object.entries(env)
    .map(([name, value]) => `export ${name}=${value}`)
    .join('\n');
  process.stdout.write(
    `Instagram Graph API emulator listening on ${baseUrl}\n${JSON.stringify(summary, null, 2)}\n\n# Point instagram-mcp at it (plus INSTAGRAM_REDIRECT_URI):\n${exports}\n`,
  );
  const shutdown = () => {
    emulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
