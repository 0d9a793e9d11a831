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
import { isInitializeRequest, LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { createApp, type App } from '../app.js';
import type { AppConfig } from '../config.js';
import { createServer } from '../server.js';
import { registeredMediaView } from '../mcp/views.js';
import { describeError } from '../errors.js';
import { createHttpAuthenticator, type Identity } from './auth.js';
import type { Lifecycle } from './lifecycle.js';
import { SessionRegistry, type SessionEntry, type SessionRefusal, type SessionTransport } from './sessions.js';
import { UploadQuota } from './uploadQuota.js';

const MAX_JSON_BODY = 4 * 1024 * 1024;
/** The first protocol version without JSON-RPC batching (2025-03-26 had it; 2025-06-18 removed it). */
const BATCHLESS_SINCE = '2025-06-18';

type Session = SessionEntry<StreamableHTTPServerTransport | SSEServerTransport>;

export interface HttpServerHandle {
  url: string;
  port: number;
  /** The open MCP sessions (both transports): whose, and whether any request or stream of theirs is open. */
  sessions(): Array<{ transport: SessionTransport; owner: string; idle: boolean }>;
  close(): Promise<void>;
}

/** A JSON-RPC error answer for the MCP routes. */
function rpcError(code: number, message: string, data?: Record<string, unknown>, id: unknown = null) {
  return { jsonrpc: '2.0', error: { code, message, ...(data ? { data } : {}) }, id };
}

function tooManySessions(res: ServerResponse, refusal: SessionRefusal, id: unknown = null): void {
  sendJson(
    res,
    429,
    rpcError(-32000, refusal.message, { max_sessions: refusal.limit, open_sessions: refusal.open, ...(refusal.retryAfterSeconds ? { retry_after_seconds: refusal.retryAfterSeconds } : {}) }, id),
    refusal.retryAfterSeconds ? { 'retry-after': String(refusal.retryAfterSeconds) } : {},
  );
}

/**
 * A batch (a JSON array) on a protocol version that removed batching. The SDK transport still accepts
 * arrays on every version, so the refusal is made here, from the session's negotiated version or the
 * MCP-Protocol-Version header, whichever says 2025-06-18 or later.
 */
function batchRefusal(body: unknown, req: IncomingMessage, session?: Session): ReturnType<typeof rpcError> | undefined {
  if (!Array.isArray(body)) return undefined;
  const header = req.headers['mcp-protocol-version'];
  const version = [typeof header === 'string' ? header : undefined, session?.protocolVersion].find((v) => v !== undefined && v >= BATCHLESS_SINCE);
  if (!version) return undefined;
  return rpcError(
    -32600,
    `Invalid Request: JSON-RPC batches are not supported on protocol version ${version} (batching was removed in ${BATCHLESS_SINCE}). Send one JSON-RPC message per request.`,
  );
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
  const sessions: SessionRegistry<StreamableHTTPServerTransport | SSEServerTransport> = new SessionRegistry(
    app.clock,
    { idleMs: app.config.http.sessionIdleMs, maxPerOwner: app.config.http.maxSessionsPerOwner },
    (s) => log.info('MCP session closed after its idle time', { session: s.id.slice(0, 8), idleMinutes: sessions.idleMinutes }),
  );
  const uploadQuota = new UploadQuota(app.config.http.uploadQuota, (owner) => app.store.media.heldUploads(owner));
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

  /**
   * Stateless Streamable HTTP (hosted mode): every POST gets a server and a transport of its own and
   * nothing outlives it, so whichever replica the load balancer picks can answer. What a session would
   * have kept (the client's capabilities, its log level, subscriptions) is not kept.
   */
  async function handleStateless(req: IncomingMessage, res: ServerResponse, owner: string, body: unknown) {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return sendJson(res, 405, rpcError(-32000, 'This server is stateless (hosted mode): send every JSON-RPC message as a POST to /mcp; there is no session stream to GET or DELETE.'));
    }
    const batch = batchRefusal(body, req);
    if (batch) return sendJson(res, 400, batch);
    const { server, cleanup } = createServer(app, { ownerFor: () => owner });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close().catch(() => {});
      void cleanup();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  async function handleStreamable(req: IncomingMessage, res: ServerResponse, owner: string, identity: Identity | null) {
    const sessionId = req.headers['mcp-session-id'];
    const body = req.method === 'POST' ? await readJsonBody(req) : undefined;
    (req as IncomingMessage & { auth?: unknown }).auth = withAuth(identity);
    if (app.config.http.stateless) return handleStateless(req, res, owner, body);
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId);
      if (!session || session.transport !== 'streamable') {
        const why = sessions.wasExpired(sessionId) ? `it expired after ${sessions.idleMinutes} minutes unused` : 'it was closed, expired or never existed';
        return sendJson(res, 404, rpcError(-32001, `Session not found: ${why}. Start a new session: send initialize again, without an Mcp-Session-Id header.`));
      }
      if (session.owner !== owner) return sendJson(res, 403, rpcError(-32003, 'Session belongs to another identity'));
      const batch = batchRefusal(body, req, session);
      if (batch) return sendJson(res, 400, batch);
      sessions.track(session, res);
      return (session.value as StreamableHTTPServerTransport).handleRequest(req, res, body);
    }
    const batch = batchRefusal(body, req);
    if (batch) return sendJson(res, 400, batch);
    if (req.method !== 'POST' || !isInitializeRequest(body)) {
      return sendJson(res, 400, rpcError(-32000, 'Bad Request: no valid session ID provided'));
    }
    const admitted = sessions.admit(owner);
    if ('message' in admitted) return tooManySessions(res, admitted, (body as { id?: unknown }).id ?? null);
    const requested = body.params.protocolVersion;
    const protocolVersion = SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
    const { server, cleanup } = createServer(app, { ownerFor: () => owner });
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        const session = sessions.add({ id, owner, transport: 'streamable', value: transport, protocolVersion, close: cleanup });
        sessions.track(session, res);
        admitted.release();
      },
      onsessionclosed: (id) => sessions.remove(id),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.remove(transport.sessionId);
    };
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    } finally {
      admitted.release();
      if (!transport.sessionId) void cleanup();
    }
  }

  // A legacy session lives as long as its SSE stream; it counts under the same per-owner cap.
  async function handleSse(req: IncomingMessage, res: ServerResponse, owner: string) {
    const admitted = sessions.admit(owner);
    if ('message' in admitted) return tooManySessions(res, admitted);
    const transport = new SSEServerTransport('/messages', res);
    const { server, cleanup } = createServer(app, { ownerFor: () => owner });
    const session = sessions.add({ id: transport.sessionId, owner, transport: 'legacy', value: transport, close: cleanup });
    sessions.track(session, res);
    admitted.release();
    res.on('close', () => {
      sessions.remove(transport.sessionId);
      void cleanup();
    });
    await server.connect(transport);
  }

  async function handleLegacyMessage(req: IncomingMessage, res: ServerResponse, url: URL, owner: string, identity: Identity | null) {
    const session = sessions.get(url.searchParams.get('sessionId') ?? '');
    if (!session || session.transport !== 'legacy') return sendJson(res, 404, { error: 'unknown session (it ends when its SSE stream closes): open GET /sse again' });
    if (session.owner !== owner) return sendJson(res, 403, { error: 'session belongs to another identity' });
    const body = await readJsonBody(req);
    (req as IncomingMessage & { auth?: unknown }).auth = withAuth(identity);
    await (session.value as SSEServerTransport).handlePostMessage(req as never, res, body);
  }

  /** An upload refused (quota, size, not media): the body is not read further and the connection closes after the answer. */
  function refuseUpload(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const status = (err as { status?: number }).status ?? 500;
    log.info('upload refused', { status, error: describeError(err) });
    sendJson(res, status, { error: describeError(err) }, req.complete ? {} : { connection: 'close' });
  }

  async function handleUpload(req: IncomingMessage, res: ServerResponse, url: URL, owner: string) {
    let admitted: Awaited<ReturnType<UploadQuota['admit']>>;
    try {
      admitted = await uploadQuota.admit(owner, req);
    } catch (err) {
      return refuseUpload(req, res, err);
    }
    // A client that asked "Expect: 100-continue" sends the body only now that the quota admits it.
    if (awaitingContinue.has(req)) res.writeContinue();
    try {
      const media = await app.library.registerUpload(owner, admitted.body, {
        fileName: url.searchParams.get('filename') ?? undefined,
        mimeType: req.headers['content-type'],
      });
      sendJson(res, 201, registeredMediaView(media));
    } catch (err) {
      refuseUpload(req, res, err);
    } finally {
      admitted.release();
    }
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
    if (url.pathname === '/uploads' && req.method === 'POST') return handleUpload(req, res, url, owner);
    sendJson(res, 404, { error: 'not_found' });
  }

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    route(req, res).catch((err: unknown) => {
      const status = (err as { status?: number }).status ?? 500;
      log.warn('http request failed', { path: req.url?.split('?')[0], error: describeError(err) });
      sendJson(res, status, { error: describeError(err) });
    });
  };
  // TCP keep-alive probes find peers that vanished without closing (a stream held open by nobody).
  const server = http.createServer({ keepAlive: true, keepAliveInitialDelay: 60_000 }, handler);
  // Uploads answer "Expect: 100-continue" only once authenticated and within quota; everything else at once.
  const awaitingContinue = new WeakSet<IncomingMessage>();
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'POST' && (req.url ?? '').split('?')[0] === '/uploads') awaitingContinue.add(req);
    else res.writeContinue();
    handler(req, res);
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
    sessions: () => sessions.list().map((s) => ({ transport: s.transport, owner: s.owner, idle: s.active === 0 })),
    async close() {
      await sessions.closeAll();
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
