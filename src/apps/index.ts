/**
 * MCP Apps (the `io.modelcontextprotocol/ui` extension): interactive views a client that supports the
 * extension renders in the conversation, linked from a tool by `_meta.ui.resourceUri`. Each view is a
 * browser program in ./views/, written against the extension's own SDK (`@modelcontextprotocol/ext-apps`)
 * and ECharts, and bundled by esbuild into one self-contained HTML document on first read (hosts load
 * the view in a sandboxed iframe with no network, so nothing may be fetched from elsewhere). The bundle
 * is built once per process and kept; a server whose clients never read a view never loads esbuild.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getUiCapability, registerAppResource, RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';

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

/** The view's source file: next to this module (src/apps/views from the sources, dist/apps/views once built). */
function viewSource(entry: string): string {
  for (const ext of ['.ts', '.js']) {
    const file = fileURLToPath(new URL(`./views/${entry}${ext}`, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw new Error(`The MCP App view "${entry}" is missing from this installation (apps/views/${entry}.ts). Reinstall instagram-mcp.`);
}

async function bundle(view: AppView): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [viewSource(view.entry)],
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

/** The view's HTML document, bundled on first use. A failed build is not kept, so a later read tries again. */
export function appHtml(view: AppView): Promise<string> {
  let html = built.get(view.uri);
  if (!html) {
    html = bundle(view);
    built.set(view.uri, html);
    html.catch(() => built.delete(view.uri));
  }
  return html;
}

/** Whether the client declared the MCP Apps extension (`extensions["io.modelcontextprotocol/ui"]`) with HTML views. */
export function clientRendersApps(capabilities: ClientCapabilities | undefined): boolean {
  return getUiCapability(capabilities)?.mimeTypes?.includes(RESOURCE_MIME_TYPE) ?? false;
}

/**
 * Registers the views the given tools link to as `ui://` resources. They are listed to every client
 * (a host may read them ahead of a call); only a client that renders MCP Apps has a use for them.
 */
export function registerApps(server: Pick<McpServer, 'registerResource'>, linkedUris: ReadonlySet<string>): void {
  for (const view of APP_VIEWS) {
    if (!linkedUris.has(view.uri)) continue;
    registerAppResource(
      server,
      view.name,
      view.uri,
      // The views load nothing from the network, so the host's default, closed CSP suits them.
      { title: view.title, description: view.description, mimeType: RESOURCE_MIME_TYPE, _meta: { ui: { prefersBorder: true } } },
      async () => ({ contents: [{ uri: view.uri, mimeType: RESOURCE_MIME_TYPE, text: await appHtml(view) }] }),
    );
  }
}
