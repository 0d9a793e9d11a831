/**
 * Sandbox mode: the Instagram emulator runs in this process, every Meta base URL points at it, and the
 * emulator plays the browser during login. Used when no Meta credentials are configured, or on
 * request (--sandbox), so every tool can be tried with no Meta app at all.
 *
 * Everything the sandbox knows lives in `<dataDir>/sandbox/` (the server's database and the
 * emulator's Instagram, emulator/), kept across processes and shared by processes running at once,
 * until the user resets it (`instagram-mcp --sandbox-reset` deletes the folder).
 */
import path from 'node:path';
import type { Clock } from './clock.js';
import type { AppConfig } from './config.js';
import { completeAuthorization, createEmulator, type Emulator } from './emulator/index.js';
import { sandboxDataDir } from './paths.js';

export interface SandboxEmulator {
  emulator: Emulator;
  baseUrl: string;
  /** The configuration with every Meta URL and the app credentials pointed at the emulator. */
  configure(config: AppConfig): AppConfig;
  /** Plays the browser: approves the login at the authorization URL and returns the redirect URL. */
  completeAuthorization(authorizationUrl: string): Promise<string>;
  stop(): Promise<void>;
}

const SANDBOX_REDIRECT_URI = 'http://localhost/instagram-mcp/sandbox-callback';

export function sandboxFor(emulator: Emulator, options: { ownsEmulator: boolean }): SandboxEmulator {
  return {
    emulator,
    baseUrl: emulator.baseUrl,
    configure(config) {
      return {
        ...config,
        dataDir: sandboxDataDir(config.dataDir),
        urls: { ...emulator.urls },
        redirectUri: SANDBOX_REDIRECT_URI,
        instagramApp: { appId: emulator.apps.instagramAppId, appSecret: emulator.apps.instagramAppSecret, redirectUri: SANDBOX_REDIRECT_URI },
        facebookApp: { appId: emulator.apps.facebookAppId, appSecret: emulator.apps.facebookAppSecret, redirectUri: SANDBOX_REDIRECT_URI },
        accessToken: undefined,
      };
    },
    completeAuthorization: (url) => completeAuthorization(url),
    async stop() {
      if (options.ownsEmulator) await emulator.stop();
    },
  };
}

/** `dataDir` is the configured data folder; the caller has made sure its sandbox folder can be used. */
export async function startSandboxEmulator(options: { clock: Clock; dataDir: string }): Promise<SandboxEmulator> {
  const dir = sandboxDataDir(options.dataDir);
  const emulator = createEmulator({ clock: options.clock, processing: { imageMs: 0, videoMs: 3000 }, sandboxDir: path.join(dir, 'emulator') });
  await emulator.start(0, '127.0.0.1');
  return sandboxFor(emulator, { ownsEmulator: true });
}
