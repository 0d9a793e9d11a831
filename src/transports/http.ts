/**
 * The HTTP side: Streamable HTTP at /mcp and, in the same process, the legacy HTTP+SSE transport
 * (/sse + /messages) for older clients; plus the routes Instagram and browsers reach (hosted media,
 * the OAuth callback) and the authenticated media upload endpoint. Host and Origin are checked on
 * every request (DNS rebinding); a bearer token is required on the MCP and upload routes when configured.
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { createApp, type App } from '../app.js';
import type { AppConfig } from '../config.js';
import { createServer } from '../server.js';
import { registeredMediaView } from '../mcp/views.js';
import { describeError } from '../errors.js';
import { createHttpAuthenticator, type Identity } from './auth.js';
import type { Lifecycle } from './lifecycle.js';

const MAX_JSON_BODY = 4 * 1024 * 1024;

interface Session {
  owner: string;
  close(): Promise<void>;
}

export interface HttpServerHandle {
  url: string;
  port: number;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_JSON_BODY) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw Object.assign(new Error('request body is not valid JSON'), { status: 400 });
  }
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export function allowedHostsFor(app: App, port: number): Set<string> {
  const hosts = new Set<string>();
  for (const name of [...LOOPBACK_NAMES, app.config.http.host]) {
    hosts.add(`${name}:${port}`);
    hosts.add(name);
  }
  for (const h of app.config.http.allowedHosts) hosts.add(h.toLowerCase());
  if (app.config.publicUrl) hosts.add(new URL(app.config.publicUrl).host.toLowerCase());
  if (app.config.redirectUri) hosts.add(new URL(app.config.redirectUri).host.toLowerCase());
  return hosts;
}

export function allowedOriginsFor(app: App, port: number): Set<string> {
  const origins = new Set<string>();
  for (const name of LOOPBACK_NAMES) {
    for (const scheme of ['http', 'https']) {
      origins.add(`${scheme}://${name}:${port}`);
      origins.add(`${scheme}://${name}`);
    }
  }
  for (const o of app.config.http.allowedOrigins) origins.add(o.replace(/\/+$/, '').toLowerCase());
  if (app.config.publicUrl) origins.add(new URL(app.config.publicUrl).origin.toLowerCase());
  return origins;
}

export interface HttpServerOptions {
  port?: number;
  host?: string;
  /** stdio mode: serve only hosted media, the OAuth callback and /healthz, never MCP. */
  mediaOnly?: boolean;
}

export async function startHttpServer(app: App, options: HttpServerOptions = {}): Promise<HttpServerHandle> {
  const auth = createHttpAuthenticator(app.config, app.logger, app.clock);
  const log = app.logger.child({ component: 'http' });
  const streamable = new Map<string, Session & { transport: StreamableHTTPServerTransport }>();
  const legacy = new Map<string, Session & { transport: SSEServerTransport }>();
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();
  const callbackPath = app.config.redirectUri ? new URL(app.config.redirectUri).pathname : '/oauth/callback';

  async function identify(req: IncomingMessage, res: ServerResponse): Promise<Identity | null | false> {
    if (!auth.required) return null;
    const identity = await auth.authenticate(req.headers.authorization);
    if (!identity) {
      const base = `http://${req.headers.host}`;
      sendJson(
        res,
        401,
        { error: 'unauthorized', error_description: 'A valid bearer token is required (Authorization: Bearer <token>).' },
        { 'www-authenticate': `Bearer realm="instagram-mcp", resource_metadata="${base}/.well-known/oauth-protected-resource"` },
      );
      return false;
    }
    return identity;
  }

  const withAuth = (identity: Identity | null) => (identity ? { token: identity.token, clientId: identity.owner, scopes: [], extra: { owner: identity.owner } } : undefined);

  async function handleStreamable(req: IncomingMessage, res: ServerResponse, owner: string, identity: Identity | null) {
    const sessionId = req.headers['mcp-session-id'];
    const body = req.method === 'POST' ? await readJsonBody(req) : undefined;
    (req as IncomingMessage & { auth?: unknown }).auth = withAuth(identity);
    if (typeof sessionId === 'string') {
      const session = streamable.get(sessionId);
      if (!session) return sendJson(res, 404, { jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
      if (session.owner !== owner) return sendJson(res, 403, { jsonrpc: '2.0', error: { code: -32003, message: 'Session belongs to another identity' }, id: null });
      return session.transport.handleRequest(req, res, body);
    }
    if (req.method !== 'POST' || !isInitializeRequest(body)) {
      return sendJson(res, 400, { jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: no valid session ID provided' }, id: null });
    }
    const { server, cleanup } = createServer(app, { ownerFor: () => owner });
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        streamable.set(id, { owner, transport, close: cleanup });
      },
      onsessionclosed: (id) => {
        streamable.delete(id);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) streamable.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  async function handleSse(req: IncomingMessage, res: ServerResponse, owner: string) {
    const transport = new SSEServerTransport('/messages', res);
    const { server, cleanup } = createServer(app, { ownerFor: () => owner });
    legacy.set(transport.sessionId, { owner, transport, close: cleanup });
    res.on('close', () => {
      legacy.delete(transport.sessionId);
      void cleanup();
    });
    await server.connect(transport);
  }

  async function handleLegacyMessage(req: IncomingMessage, res: ServerResponse, url: URL, owner: string, identity: Identity | null) {
    const session = legacy.get(url.searchParams.get('sessionId') ?? '');
    if (!session) return sendJson(res, 404, { error: 'unknown session' });
    if (session.owner !== owner) return sendJson(res, 403, { error: 'session belongs to another identity' });
    const body = await readJsonBody(req);
    (req as IncomingMessage & { auth?: unknown }).auth = withAuth(identity);
    await session.transport.handlePostMessage(req as never, res, body);
  }

  async function route(req: IncomingMessage, res: ServerResponse) {
    const host = (req.headers.host ?? '').toLowerCase();
    if (!allowedHosts.has(host)) {
      return sendJson(res, 403, { error: 'forbidden', error_description: `Host '${host}' is not allowed (set INSTAGRAM_MCP_ALLOWED_HOSTS to accept it).` });
    }
    const origin = req.headers.origin;
    if (origin && !allowedOrigins.has(origin.toLowerCase())) {
      return sendJson(res, 403, { error: 'forbidden', error_description: `Origin '${origin}' is not allowed (set INSTAGRAM_MCP_ALLOWED_ORIGINS to accept it).` });
    }
    const url = new URL(req.url ?? '/', `http://${host}`);

    // Routes that Instagram's fetcher and the user's browser reach: no bearer token there.
    if (app.mediaHost.handle(req, res)) return;
    if (url.pathname === callbackPath && req.method === 'GET') {
      const page = await app.accounts.handleCallbackRequest(url.toString());
      res.writeHead(page.status, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(page.html);
    }
    if (url.pathname === '/healthz') return sendJson(res, 200, { ok: true, sandbox: Boolean(app.config.sandbox) });
    if (url.pathname === '/.well-known/oauth-protected-resource') {
      return sendJson(res, 200, {
        resource: `http://${host}/mcp`,
        authorization_servers: app.config.http.oidcIssuer ? [app.config.http.oidcIssuer] : [],
        bearer_methods_supported: ['header'],
      });
    }

    if (options.mediaOnly) return sendJson(res, 404, { error: 'not_found' });

    const identity = await identify(req, res);
    if (identity === false) return;
    const owner = identity?.owner ?? app.config.localOwner;

    if (url.pathname === '/mcp') return handleStreamable(req, res, owner, identity);
    if (url.pathname === '/sse' && req.method === 'GET') return handleSse(req, res, owner);
    if (url.pathname === '/messages' && req.method === 'POST') return handleLegacyMessage(req, res, url, owner, identity);
    if (url.pathname === '/uploads' && req.method === 'POST') {
      const media = await app.library.registerUpload(owner, req, {
        fileName: url.searchParams.get('filename') ?? undefined,
        mimeType: req.headers['content-type'],
      });
      return sendJson(res, 201, registeredMediaView(media));
    }
    sendJson(res, 404, { error: 'not_found' });
  }

  const server = http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const status = (err as { status?: number }).status ?? 500;
      log.warn('http request failed', { path: req.url?.split('?')[0], error: describeError(err) });
      sendJson(res, status, { error: describeError(err) });
    });
  });
  server.keepAliveTimeout = 65_000;
  const host = options.host ?? app.config.http.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? app.config.http.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  allowedHosts = allowedHostsFor(app, port);
  allowedOrigins = allowedOriginsFor(app, port);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    async close() {
      for (const s of [...streamable.values(), ...legacy.values()]) await s.close().catch(() => {});
      streamable.clear();
      legacy.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `--transport http`: builds the App, then serves MCP (and the media, upload and callback routes). */
export async function serveHttp(config: AppConfig, lifecycle: Lifecycle): Promise<void> {
  const app = await createApp(config, { logger: lifecycle.logger });
  lifecycle.onShutdown(() => app.close());
  const handle = await startHttpServer(app);
  lifecycle.onShutdown(() => handle.close());
  await app.attachHttp(handle);
  lifecycle.logger.info('serving MCP over HTTP', { mcp: `${handle.url}/mcp`, sse: `${handle.url}/sse`, auth: config.http.tokens.size > 0 || Boolean(config.http.oidcIssuer) });
  app.startBackground();
}
