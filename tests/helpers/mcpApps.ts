/**
 * Rendering an MCP App the way a host does, for the tests: Debian's Chromium through playwright-core,
 * a page running the extension's AppBridge (./browser/appHost.ts, bundled here with esbuild) that
 * loads the view's HTML in a sandboxed iframe and hands it a tool's input and result; the view's own
 * tools/call requests come back to Node through `forward`, where the SDK Client is connected.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { chromium, type Browser, type FrameLocator, type Page } from 'playwright-core';
import sharp from 'sharp';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
/** What a client that renders MCP Apps declares at initialize. */
export const APPS_CAPABILITY = { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } } };

/** Whether the test file can run; prints why not, and fails under CI. */
export function chromiumMissing(file: string): boolean {
  if (CHROMIUM) return false;
  if (process.env.CI) throw new Error("Chromium is missing: .ci/run installs Debian's chromium (apt-get install -y chromium) before the tests.");
  console.warn(`${file} skipped: no Chromium at /usr/bin/chromium (apt-get install -y chromium).`);
  return true;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM!, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

let hostScript: Promise<string> | undefined;
function bundleHost(): Promise<string> {
  hostScript ??= build({
    entryPoints: [fileURLToPath(new URL('./browser/appHost.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    logLevel: 'silent',
  }).then((r) => r.outputFiles[0]!.text);
  return hostScript;
}

export interface ShownApp {
  page: Page;
  frame: FrameLocator;
  pageErrors: string[];
}

/** Opens a page hosting the view, with the tool's input and result handed over. */
export async function showApp(
  browser: Browser,
  html: string,
  toolInput: Record<string, unknown>,
  toolResult: CallToolResult,
  forward: (params: { name: string; arguments?: Record<string, unknown> }) => Promise<unknown>,
): Promise<ShownApp> {
  const page = await browser.newPage({ viewport: { width: 860, height: 660 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.exposeFunction('hostCallTool', forward);
  await page.setContent(`<!doctype html><html><body style="margin:0;background:#fff"><script>${await bundleHost()}</script></body></html>`);
  await page.evaluate(([doc, input, result]) => (globalThis as unknown as { showApp(a: unknown, b: unknown, c: unknown): Promise<void> }).showApp(doc, input, result), [html, toolInput, toolResult] as const);
  return { page, frame: page.frameLocator('#app'), pageErrors };
}

/** Distinct colours in a PNG: a blank or single-colour screenshot has almost none. */
export async function distinctColours(png: Buffer): Promise<number> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const seen = new Set<number>();
  for (let i = 0; i < data.length; i += info.channels) seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
  return seen.size;
}
