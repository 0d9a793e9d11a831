/**
 * What every view shares: connecting to the host through the extension's SDK, following the host's
 * theme, and small DOM helpers. Runs in the host's sandboxed iframe (browser code, bundled by esbuild).
 */
import { App, applyDocumentTheme, applyHostStyleVariables, PostMessageTransport, type McpUiHostContext } from '@modelcontextprotocol/ext-apps';

export const BASE_CSS = `
:root { color-scheme: light dark; --fg: #1d1d1f; --muted: #6e6e73; --bg: #ffffff; --line: #d9d9de; --accent: #3b6fd8; }
:root[data-theme="dark"] { --fg: #f2f2f7; --muted: #a1a1a6; --bg: #1c1c1e; --line: #3a3a3c; --accent: #6b9bff; }
* { box-sizing: border-box; }
body { margin: 0; padding: 12px; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
button { font: inherit; color: var(--fg); background: transparent; border: 1px solid var(--line); border-radius: 14px; padding: 3px 11px; cursor: pointer; }
button[aria-pressed="true"] { background: var(--accent); border-color: var(--accent); color: #fff; }
button:disabled { opacity: .5; cursor: default; }
select { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 2px 6px; }
.row { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 0 0 8px; }
.muted { color: var(--muted); }
.status { min-height: 1.4em; color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line); }
th { font-weight: 600; }
`;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
}

export function addStyle(css: string): void {
  document.head.append(el('style', {}, css));
}

function applyContext(context: McpUiHostContext | undefined): void {
  if (context?.theme) applyDocumentTheme(context.theme);
  if (context?.styles?.variables) applyHostStyleVariables(context.styles.variables);
}

/** Creates the view's App with its handlers set (they must be in place before connect), then connects. */
export async function connectApp(name: string, setup: (app: App) => void): Promise<App> {
  const app = new App({ name, version: '1.0.0' }, {});
  setup(app);
  app.onhostcontextchanged = (context) => applyContext(context);
  await app.connect(new PostMessageTransport(window.parent, window.parent));
  applyContext(app.getHostContext());
  return app;
}
