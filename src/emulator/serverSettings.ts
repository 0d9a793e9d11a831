/**
 * The instagram-mcp settings that point the server at this emulator (app credentials and every Meta
 * base URL) — one mapping for the standalone CLI, the tests and the benchmarks.
 */
import type { Emulator } from './emulator.js';

export function serverSettingsFor(emulator: Pick<Emulator, 'apps' | 'urls'>): Record<string, string> {
  return {
    INSTAGRAM_APP_ID: emulator.apps.instagramAppId,
    INSTAGRAM_APP_SECRET: emulator.apps.instagramAppSecret,
    FACEBOOK_APP_ID: emulator.apps.facebookAppId,
    FACEBOOK_APP_SECRET: emulator.apps.facebookAppSecret,
    INSTAGRAM_GRAPH_URL: emulator.urls.instagramGraph,
    FACEBOOK_GRAPH_URL: emulator.urls.facebookGraph,
    INSTAGRAM_API_URL: emulator.urls.instagramApi,
    INSTAGRAM_AUTHORIZE_URL: emulator.urls.instagramAuthorize,
    FACEBOOK_DIALOG_URL: emulator.urls.facebookDialog,
    INSTAGRAM_RUPLOAD_URL: emulator.urls.rupload,
  };
}
