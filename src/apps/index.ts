/**
 * MCP Apps (the `io.modelcontextprotocol/ui` extension): interactive views a client that supports the
 * extension renders in the conversation, linked from a tool by `_meta.ui.resourceUri`. Each view is a
 * browser program in ./views/, written against the extension's own SDK (`@modelcontextprotocol/ext-apps`)
 * and ECharts, bundled by esbuild into one self-contained HTML document (hosts load the view in a
 * sandboxed iframe with no network, so nothing may be fetched from elsewhere). `npm run build` writes
 * the documents next to the built server (dist/apps/views/*.html); run from the sources, a view is
 * bundled on its first read instead and kept for the process.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';

/**
 * The extension's identifiers, as its SDK exports them (EXTENSION_ID, RESOURCE_MIME_TYPE; a test holds
 * them equal). Written out rather than imported: `@modelcontextprotocol/ext-apps/server` bundles the
 * whole SDK and would add about 20 ms to every start for two strings. The views use the SDK itself.
 */
export const APPS_EXTENSION_ID = 'io.modelcontextprotocol/ui';
export const APP_MIME_TYPE = 'text/html;profile=mcp-app';

export const REPORT_APP_URI = 'ui://instagram-mcp/performance-report.html';
export const PREVIEW_APP_URI = 'ui://instagram-mcp/post-preview.html';

export interface AppView {
  uri: string;
  /** The view's entry under ./views/ (without extension). */
  entry: string;
  name: string;
  title: string;
  description: string;
}

export const APP_VIEWS: readonly AppView[] = [
  {
    uri: REPORT_APP_URI,
    entry: 'report',
    name: 'performance-report-app',
    title: 'Performance report (interactive)',
    description: 'The performance report as an interactive dashboard: hover for values, switch metric, account and period.',
  },
  {
    uri: PREVIEW_APP_URI,
    entry: 'preview',
    name: 'post-preview-app',
    title: 'Post preview (interactive)',
    description: 'How a post will look before it is published: the feed and grid crops, the caption with its "… more" cut, the limits.',
  },
];

const built = new Map<string, Promise<string>>();

const besideThisModule = (name: string) => fileURLToPath(new URL(`./views/${name}`, import.meta.url));

/** The view as one HTML document, bundled from its source (src/apps/views/<entry>.ts). */
export async function bundleView(view: AppView): Promise<string> {
  const source = besideThisModule(`${view.entry}.ts`);
  if (!existsSync(source)) throw new Error(`The MCP App view "${view.entry}" is missing from this installation (apps/views/${view.entry}.html). Reinstall instagram-mcp.`);
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [source],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const script = result.outputFiles[0]!.text.replace(/<\/script/gi, '<\\/script');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${view.title}</title>`,
    '</head><body>',
    `<script>${script}</script>`,
    '</body></html>',
  ].join('\n');
}

/** The document `npm run build` wrote, or else the view bundled now. */
async function loadView(view: AppView): Promise<string> {
  const prebuilt = besideThisModule(`${view.entry}.html`);
  if (existsSync(prebuilt)) return readFile(prebuilt, 'utf8');
  return bundleView(view);
}

/** The view's HTML document, read or bundled on first use. A failure is not kept, so a later read tries again. */
export function appHtml(view: AppView): Promise<string> {
  let html = built.get(view.uri);
  if (!html) {
    html = loadView(view);
    built.set(view.uri, html);
    html.catch(() => built.delete(view.uri));
  }
  return html;
}

/** Whether the client declared the MCP Apps extension (`extensions["io.modelcontextprotocol/ui"]`) with HTML views. */
export function clientRendersApps(capabilities: ClientCapabilities | undefined): boolean {
  const ui = (capabilities as { extensions?: Record<string, { mimeTypes?: unknown } | undefined> } | undefined)?.extensions?.[APPS_EXTENSION_ID];
  return Array.isArray(ui?.mimeTypes) && ui.mimeTypes.includes(APP_MIME_TYPE);
}

/**
 * Registers the views the given tools link to as `ui://` resources. They are listed to every client
 * (a host may read them ahead of a call); only a client that renders MCP Apps has a use for them.
 */
export function registerApps(server: Pick<McpServer, 'registerResource'>, linkedUris: ReadonlySet<string>): void {
  for (const view of APP_VIEWS) {
    if (!linkedUris.has(view.uri)) continue;
    server.registerResource(
      view.name,
      view.uri,
      // The views load nothing from the network, so the host's default, closed CSP suits them.
      { title: view.title, description: view.description, mimeType: APP_MIME_TYPE, _meta: { ui: { prefersBorder: true } } },
      async () => ({ contents: [{ uri: view.uri, mimeType: APP_MIME_TYPE, text: await appHtml(view) }] }),
    );
  }
}
