/**
 * A minimal MCP Apps host, run in the test's Chromium page: it loads a view's HTML into a sandboxed
 * iframe (as hosts do: srcdoc, scripts allowed, opaque origin, no network), speaks the extension's
 * protocol through the extension's own AppBridge, hands the view the tool input and the tool result,
 * and forwards the view's tools/call requests to the real MCP server through `window.hostCallTool`
 * (a function the test exposes from Node, where the SDK Client is connected).
 * Bundled by esbuild in the test (browser code: not part of the server, not type-checked with it).
 */
import { AppBridge, PostMessageTransport } from '@modelcontextprotocol/ext-apps/app-bridge';

interface HostWindow {
  hostCallTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<never>;
  showApp(html: string, toolInput: Record<string, unknown>, toolResult: unknown): Promise<void>;
  hostLog: string[];
}
const w = window as unknown as Window & HostWindow;
w.hostLog = [];

w.showApp = async (html, toolInput, toolResult) => {
  const iframe = document.createElement('iframe');
  iframe.id = 'app';
  iframe.setAttribute('sandbox', 'allow-scripts');
  iframe.style.cssText = 'width: 820px; height: 620px; border: 1px solid #ccc;';
  document.body.append(iframe);
  const bridge = new AppBridge(null, { name: 'test-host', version: '1.0.0' }, { serverTools: {}, logging: {} }, { hostContext: { theme: 'light', displayMode: 'inline' } });
  bridge.oncalltool = async (params) => w.hostCallTool({ name: params.name, arguments: params.arguments });
  bridge.onloggingmessage = (params) => void w.hostLog.push(JSON.stringify(params.data));
  const initialized = new Promise<void>((resolve) => {
    bridge.oninitialized = () => resolve();
  });
  // Listening before the view starts, so its ui/initialize is not missed.
  iframe.srcdoc = html;
  await bridge.connect(new PostMessageTransport(iframe.contentWindow!, iframe.contentWindow!));
  await initialized;
  await bridge.sendToolInput({ arguments: toolInput });
  await bridge.sendToolResult(toolResult as never);
};
