/**
 * Who receives the browser's redirect after an OAuth login. In HTTP mode the HTTP transport's own route
 * does (transports/http.ts); in stdio mode the media listener does when the redirect URI points at its
 * port, and otherwise a listener of ours on the redirect URI's localhost port, open only while logins
 * are pending. A redirect URI that is not plain http on loopback cannot be listened for: the user
 * pastes the redirected URL instead. app.ts gives this to the accounts service, which opens no socket.
 */
import http from 'node:http';
import type { Clock, Timer } from '../clock.js';
import type { Logger } from '../log.js';
import type { CallbackListeners, CallbackPage } from '../services/accounts.js';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export interface LocalCallbackListenersOptions {
  /** In HTTP mode the HTTP transport serves the callback path itself. */
  transport: 'stdio' | 'http';
  clock: Clock;
  logger: Logger;
}

export class LocalCallbackListeners implements CallbackListeners {
  private listener?: { servers: http.Server[]; closeTimer?: Timer };
  private httpListenerPort?: number;

  constructor(private readonly o: LocalCallbackListenersOptions) {}

  /** The app's own HTTP listener (HTTP mode, or the media listener in stdio mode) serves the callback path. */
  setHttpListenerPort(port: number): void {
    this.httpListenerPort = port;
  }

  async ensure(redirectUri: string, answer: (url: string) => Promise<CallbackPage>, forMs: number): Promise<'local_listener' | 'http_route' | 'paste_only'> {
    if (this.o.transport === 'http') return 'http_route';
    const url = new URL(redirectUri);
    if (this.httpListenerPort !== undefined && Number(url.port || 80) === this.httpListenerPort && LOOPBACK_NAMES.includes(url.hostname)) return 'http_route';
    if (url.protocol !== 'http:' || !LOOPBACK_NAMES.includes(url.hostname)) return 'paste_only';
    if (!this.listener) {
      const handler: http.RequestListener = (req, res) => {
        const reqUrl = new URL(req.url ?? '/', redirectUri);
        if (reqUrl.pathname !== url.pathname) {
          res.writeHead(404).end();
          return;
        }
        void answer(reqUrl.toString()).then((pageOut) => {
          res.writeHead(pageOut.status, { 'content-type': 'text/html; charset=utf-8' });
          res.end(pageOut.html);
        });
      };
      const port = Number(url.port || 80);
      // "localhost" may resolve to either loopback family in the user's browser: listen on both.
      const hosts = url.hostname === 'localhost' ? ['127.0.0.1', '::1'] : [url.hostname.replace(/^\[|\]$/g, '')];
      const servers: http.Server[] = [];
      for (const host of hosts) {
        const server = http.createServer(handler);
        const ok = await new Promise<boolean>((resolve) => {
          server.once('error', (err) => {
            this.o.logger.warn('cannot listen for the OAuth callback; the user can paste the redirected URL instead', { host, port, error: err });
            resolve(false);
          });
          server.listen(port, host, () => resolve(true));
        });
        if (ok) {
          server.unref();
          servers.push(server);
        }
      }
      if (servers.length === 0) return 'paste_only';
      this.listener = { servers };
    }
    // Listen until the newest session expires.
    this.listener.closeTimer?.cancel();
    this.listener.closeTimer = this.o.clock.setTimer(forMs, () => this.stop());
    return 'local_listener';
  }

  stop(): void {
    if (!this.listener) return;
    const { servers, closeTimer } = this.listener;
    closeTimer?.cancel();
    this.listener = undefined;
    for (const server of servers) server.close();
  }
}
