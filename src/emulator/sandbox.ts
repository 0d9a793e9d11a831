/**
 * Sandbox helpers: the product's sandbox mode starts `createEmulator()` in process, points every
 * base URL at `emulator.urls`, and completes the browser step of a login itself.
 */

/**
 * Performs the browser step of an OAuth login against the emulator: GETs the authorize / dialog URL
 * and returns the redirect `Location` (the redirect_uri with `code` and `state`, or the error).
 */
export async function completeAuthorization(authorizeUrl: string): Promise<string> {
  const response = await fetch(authorizeUrl, { redirect: 'manual' });
  const location = response.headers.get('location');
  await response.body?.cancel().catch(() => undefined);
  if (response.status < 300 || response.status > 399 || !location) {
    throw new Error(`The authorization page answered HTTP ${response.status} instead of a redirect`);
  }
  return location;
}
