/**
 * Where the server keeps its files by default. A module of its own so that config.ts can name the
 * default without importing store/ (the layer that creates and guards the directory).
 */
import os from 'node:os';
import path from 'node:path';

const APP_DIR = 'instagram-mcp';

/**
 * The per-user data directory: `$XDG_DATA_HOME/instagram-mcp` or `~/.local/share/instagram-mcp`
 * (Linux and other Unix), `~/Library/Application Support/instagram-mcp` (macOS),
 * `%APPDATA%\instagram-mcp` (Windows). Parameters exist for tests.
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  if (platform === 'win32') {
    const appData = env.APPDATA && env.APPDATA.trim() !== '' ? env.APPDATA : path.win32.join(home, 'AppData', 'Roaming');
    return path.win32.join(appData, APP_DIR);
  }
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', APP_DIR);
  // The XDG spec says relative values are invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME;
  const base = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(home, '.local', 'share');
  return path.posix.join(base, APP_DIR);
}

/** Sandbox mode's own data (database, encryption key, the emulator's Instagram), kept until `--sandbox-reset`. */
export function sandboxDataDir(dataDir: string): string {
  return path.join(dataDir, 'sandbox');
}
