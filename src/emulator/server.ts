/**
 * The emulator's HTTP server: one loopback server stands in for every Meta host, named by the first
 * path segment (`/graph.instagram.com/v24.0/me`, `/rupload.facebook.com/ig-api-upload/…`), plus the
 * admin API under `/__emulator/`. Per request: parse host/version/params → log → latency → hold →
 * fault → rate limit → route → answer (usage and trace headers on Graph hosts).
 *
 * Adding a route module (e.g. issue 6: insights, comments, hashtags, discovery):
 *   1. create `src/emulator/<area>.ts` exporting `export const <area>Routes: RouteModule = (router) => { … }`
 *      (see publishing.ts: `router.get(GRAPH_HOSTS, '/:id/things', handler, guard)`; use auth.ts for
 *      tokens/permissions, fields.ts for field selection, errors.ts for documented errors, and
 *      `state.extensions` for the module's own data);
 *   2. import it here and append it to ROUTE_MODULES — one line. Generic `/:id` routes are tried in
 *      order; give them a guard that recognises the node type.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseJsonLossless } from '../json.js';
import { extractToken, requireToken } from './auth.js';
import type { FaultInjector, HoldRegistry, RequestLog } from './controls.js';
import { EmulatedGraphError, InstagramApiError, defaultMessageFor, errors } from './errors.js';
import { oauthRoutes } from './oauth.js';
import { profileRoutes } from './profiles.js';
import { publishingRoutes, staleContainerView } from './publishing.js';
import { newTraceId, randomString } from './random.js';
import type { RateLimiter } from './ratelimit.js';
import { readingRoutes } from './reading.js';
import { Router, type RequestContext, type RouteModule, type RouteResult } from './router.js';
import type { EmulatorState } from './state.js';
import type { ContainerStatusCode, FaultKind, HostRole, LoggedRequest } from './types.js';
import { uploadRoutes } from './upload.js';
import { insightsRoutes } from './insights.js';
import { commentRoutes } from './comments.js';
import { hashtagRoutes } from './hashtags.js';
import { discoveryRoutes } from './discovery.js';

/** Route modules, one line each. Order matters only for generic `/:id` routes (guards decide). */
const ROUTE_MODULES: RouteModule[] = [oauthRoutes, profileRoutes, publishingRoutes, uploadRoutes, readingRoutes, insightsRoutes, commentRoutes, hashtagRoutes, discoveryRoutes];

export const HOSTS: Readonly<Record<string, HostRole>> = {
  'graph.instagram.com': 'instagram_graph',
  'graph.facebook.com': 'facebook_graph',
  'api.instagram.com': 'instagram_api',
  'www.instagram.com': 'instagram_www',
  'www.facebook.com': 'facebook_www',
  'rupload.facebook.com': 'rupload',
  __emulator: 'admin',
};

const VERSION = /^v\d+\.\d+$/;
const MAX_BODY_BYTES = 20 * 1024 * 1024;

export interface ServerDeps {
  state: EmulatorState;
  faults: FaultInjector;
  holds: HoldRegistry;
  log: RequestLog;
  limiter: RateLimiter;
  /** Routes of the admin API (host role 'admin'). */
  registerAdmin: RouteModule;
  /** Sandbox mode: every route runs as a transaction over the saved state (persistence.ts). */
  transaction?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Sandbox mode: the posts' preview pages (preview.ts); true when it answered. */
  preview?: (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<boolean>;
}

export class EmulatorServer {
  private server: Server | undefined;
  private readonly router = new Router();

  constructor(private readonly deps: ServerDeps) {
    for (const register of ROUTE_MODULES) register(this.router);
    deps.registerAdmin(this.router);
  }

  async listen(port: number, host: string): Promise<string> {
    if (this.server) throw new Error('The emulator is already started.');
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        process.stderr.write(`[emulator] internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { 'content-type': 'application/json; charset=UTF-8' });
          res.end(JSON.stringify(new EmulatedGraphError({ code: 1, message: defaultMessageFor(1) }).toBody(newTraceId())));
        }
      });
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    const hostPart = address.family === 'IPv6' || host.includes(':') ? `[${address.address}]` : address.address;
    return `http://${hostPart}:${address.port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.deps.holds.releaseAll();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { state, log, holds, faults } = this.deps;
    res.on('error', () => undefined);
    req.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://emulator.local');
    const method = (req.method ?? 'GET').toUpperCase();
    let rawSegments: string[];
    try {
      rawSegments = url.pathname.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
    } catch {
      rawSegments = url.pathname.split('/').filter(Boolean);
    }
    const hostName = rawSegments[0] ?? '';
    const hostRole = HOSTS[hostName];
    if (!hostRole && this.deps.preview && (await this.deps.preview(req, res, url.pathname))) return;
    if (!hostRole) {
      sendJson(res, 404, {
        error: {
          message: `Unknown host prefix '/${hostName}'. Use one of: ${Object.keys(HOSTS).map((h) => '/' + h).join(', ')}`,
        },
      });
      return;
    }
    let rest = rawSegments.slice(1);
    let version: string | null = null;
    if (hostRole !== 'admin' && hostRole !== 'rupload' && rest[0] && VERSION.test(rest[0])) {
      version = rest[0];
      rest = rest.slice(1);
    } else if (hostRole === 'rupload' && rest[0] === 'ig-api-upload' && rest[1] && VERSION.test(rest[1])) {
      version = rest[1];
      rest = [rest[0], ...rest.slice(2)];
    }
    const path = '/' + rest.join('/');
    const traceId = newTraceId();
    const requestId = randomString(20);

    const entry: LoggedRequest = log.add({
      time: state.now(),
      method,
      hostRole,
      path,
      version,
      params: {},
      headers: log.maskHeaders(req.headers),
      status: 0,
    });

    const ctx: RequestContext = {
      req,
      res,
      method,
      hostRole,
      host: hostName,
      version,
      path,
      segments: rest,
      query: url.searchParams,
      params: Object.fromEntries(url.searchParams),
      bodyKind: 'none',
      headers: req.headers,
      routeParams: {},
      state,
      clock: state.clock,
      hostUrl: `${state.baseUrl}/${hostName}`,
      traceId,
      requestId,
    };

    const graphHost = hostRole === 'instagram_graph' || hostRole === 'facebook_graph';
    const baseHeaders: Record<string, string> = graphHost
      ? { 'x-fb-trace-id': traceId, 'x-fb-request-id': requestId, 'x-fb-rev': '1020304050' }
      : {};

    if (hostRole !== 'rupload') {
      try {
        await readBody(ctx);
      } catch (error) {
        entry.params = log.maskParams(ctx.params);
        entry.status = error instanceof BodyTooLarge ? 413 : 400;
        if (error instanceof EmulatedGraphError) this.writeError(ctx, error, baseHeaders, entry);
        else sendJson(res, entry.status, { error: { message: String(error instanceof Error ? error.message : error) } });
        return;
      }
    } else {
      ctx.bodyKind = 'stream';
    }
    entry.params = log.maskParams(ctx.params);

    if (hostRole === 'admin') {
      await this.answer(ctx, entry, baseHeaders);
      return;
    }

    if (state.config.latencyMs > 0) await state.clock.sleep(state.config.latencyMs);
    const info = { method, hostRole, path };
    await holds.gate(info);

    if (graphHost) {
      // Every Graph call (faulted ones included) counts against the budgets and carries usage headers.
      const verdict = this.deps.limiter.admit(
        hostRole === 'instagram_graph' ? state.apps.instagramAppId : state.apps.facebookAppId,
        this.accountFor(ctx),
      );
      (ctx as ContextWithUsage).usageHeaders = verdict.headers;
      (ctx as ContextWithUsage).throttled = verdict.error;
      Object.assign(baseHeaders, verdict.headers);
    }

    let lostResponse = false;
    const fault = faults.pick(info);
    if (fault) {
      entry.fault = fault.type;
      const applied = await this.applyFault(ctx, fault, entry, baseHeaders);
      if (applied === 'answered') return;
      if (applied === 'lost') lostResponse = true;
    }

    if (lostResponse) {
      // Apply the request fully, then vanish without answering: the client cannot know it worked.
      try {
        await this.route(ctx);
      } catch {
        // the outcome is lost either way
      }
      entry.status = 0;
      req.socket.destroy();
      return;
    }
    await this.answer(ctx, entry, baseHeaders);
  }

  /** Returns 'answered' when the fault produced the response, 'lost' for lost_response, else 'continue'. */
  private async applyFault(
    ctx: RequestContext,
    fault: FaultKind,
    entry: LoggedRequest,
    baseHeaders: Record<string, string>,
  ): Promise<'answered' | 'lost' | 'continue'> {
    switch (fault.type) {
      case 'drop_connection':
        entry.status = 0;
        ctx.req.socket.destroy();
        return 'answered';
      case 'http_5xx': {
        const status = fault.status ?? 500;
        entry.status = status;
        ctx.res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...baseHeaders });
        ctx.res.end(fault.body ?? `<html><body><h1>${status} Server Error</h1></body></html>`);
        drainRequest(ctx);
        return 'answered';
      }
      case 'graph_error': {
        if (fault.applied) {
          try {
            await this.route(ctx);
          } catch {
            // applied or refused: the client gets the injected error either way
          }
        }
        const error = new EmulatedGraphError({
          code: fault.code,
          subcode: fault.subcode,
          message: fault.message ?? defaultMessageFor(fault.code, fault.subcode),
          httpStatus: fault.httpStatus,
          isTransient: fault.isTransient,
        });
        this.writeError(ctx, error, baseHeaders, entry);
        drainRequest(ctx);
        return 'answered';
      }
      case 'slow':
        await ctx.clock.sleep(fault.ms);
        return 'continue';
      case 'stale_status':
        (ctx as ContextWithUsage).staleStatus = fault.statusCode;
        return 'continue';
      case 'lost_response':
        return 'lost';
    }
  }

  /** Routes the request and writes the answer. */
  private async answer(ctx: RequestContext, entry: LoggedRequest, baseHeaders: Record<string, string>): Promise<void> {
    let result: RouteResult;
    try {
      result = await this.route(ctx);
    } catch (error) {
      if (error instanceof EmulatedGraphError) {
        this.writeError(ctx, error, { ...baseHeaders, ...(ctx as ContextWithUsage).usageHeaders }, entry);
        return;
      }
      if (error instanceof InstagramApiError) {
        entry.status = error.httpStatus;
        sendJson(ctx.res, error.httpStatus, error.toBody(), baseHeaders);
        return;
      }
      throw error;
    }
    if (result.handled) {
      entry.status = ctx.res.statusCode;
      return;
    }
    const stale = (ctx as ContextWithUsage).staleStatus;
    if (stale) result = { ...result, json: staleContainerView(result.json, stale) };
    const headers = { ...baseHeaders, ...(ctx as ContextWithUsage).usageHeaders, ...result.headers };
    if (result.redirect) {
      entry.status = result.status ?? 302;
      ctx.res.writeHead(entry.status, { ...headers, location: result.redirect });
      ctx.res.end();
      return;
    }
    entry.status = result.status ?? 200;
    const body = result.rawJson ?? JSON.stringify(result.json ?? {});
    if (ctx.res.destroyed) {
      entry.status = 0;
      return;
    }
    ctx.res.writeHead(entry.status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
    ctx.res.end(body);
  }

  private route(ctx: RequestContext): Promise<RouteResult> {
    const { transaction } = this.deps;
    return transaction ? transaction(() => this.routeNow(ctx)) : this.routeNow(ctx);
  }

  private async routeNow(ctx: RequestContext): Promise<RouteResult> {
    const throttled = (ctx as ContextWithUsage).throttled;
    if (throttled) throw throttled;
    const match = this.router.match(ctx);
    if (!match) return this.fallback(ctx);
    ctx.routeParams = match.params;
    return match.route.handler(ctx);
  }

  private fallback(ctx: RequestContext): RouteResult {
    if (ctx.hostRole === 'instagram_graph' || ctx.hostRole === 'facebook_graph') {
      requireToken(ctx);
      const [first, ...others] = ctx.segments;
      if (!first) throw errors.unsupportedRequest(ctx.method, '');
      if (others.length > 0 && this.router.knowsNode(ctx, first)) throw errors.unknownPath('/' + others.join('/'));
      throw errors.unsupportedRequest(ctx.method, first);
    }
    if (ctx.hostRole === 'instagram_api') throw new InstagramApiError(`Unsupported request: ${ctx.method} ${ctx.path}`, 404);
    if (ctx.hostRole === 'admin') return { status: 404, json: { error: `Unknown admin endpoint ${ctx.method} ${ctx.path}` } };
    return { status: 404, json: { error: { message: `Not found: ${ctx.method} ${ctx.path}` } } };
  }

  /** The IG account a Graph request concerns, for the BUC usage header. */
  private accountFor(ctx: RequestContext): string | undefined {
    const { state } = ctx;
    const token = extractToken(ctx);
    const record = token ? state.tokens.get(token) : undefined;
    const first = ctx.segments[0];
    if (first === 'me' && ctx.hostRole === 'instagram_graph') return record ? state.igUserOfToken(record)?.id : undefined;
    if (first) {
      const user = ctx.hostRole === 'instagram_graph' ? state.findIgUser(first) : state.igUsers.get(first);
      if (user) return user.id;
      const owner = state.containers.get(first)?.ownerId ?? state.media.get(first)?.ownerId;
      if (owner) return owner;
    }
    return record ? state.igUserOfToken(record)?.id : undefined;
  }

  private writeError(ctx: RequestContext, error: EmulatedGraphError, headers: Record<string, string>, entry: LoggedRequest): void {
    entry.status = error.httpStatus;
    if (ctx.res.destroyed || ctx.res.headersSent) return;
    sendJson(ctx.res, error.httpStatus, error.toBody(ctx.traceId), { ...headers, ...error.headers });
  }
}

interface ContextWithUsage extends RequestContext {
  usageHeaders?: Record<string, string>;
  /** Rate-limit error decided on admission, answered instead of the route. */
  throttled?: EmulatedGraphError;
  /** A stale_status fault: the container read answers this status_code. */
  staleStatus?: ContainerStatusCode;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  res.end(JSON.stringify(body));
}

function drainRequest(ctx: RequestContext): void {
  if (ctx.bodyKind === 'stream') ctx.req.resume();
}

class BodyTooLarge extends Error {}

async function readBody(ctx: RequestContext): Promise<void> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of ctx.req) {
    total += (chunk as Buffer).length;
    if (total > MAX_BODY_BYTES) throw new BodyTooLarge('Request body too large for the emulator');
    chunks.push(chunk as Buffer);
  }
  if (total === 0) return;
  const body = Buffer.concat(chunks);
  const contentType = String(ctx.headers['content-type'] ?? '').toLowerCase();
  if (contentType.includes('application/json')) {
    ctx.bodyKind = 'json';
    let parsed: unknown;
    try {
      parsed = parseJsonLossless(body.toString('utf8'));
    } catch {
      throw errors.invalidParam('Invalid JSON in request body');
    }
    ctx.jsonBody = parsed;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
        if (value === null || value === undefined) continue;
        ctx.params[key] = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
      }
    }
    return;
  }
  if (contentType.includes('multipart/form-data')) {
    ctx.bodyKind = 'multipart';
    const original = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(String(ctx.headers['content-type']));
    if (original) Object.assign(ctx.params, parseMultipart(body, (original[1] ?? original[2])!.trim()));
    return;
  }
  if (contentType.includes('application/x-www-form-urlencoded') || contentType === '') {
    ctx.bodyKind = 'form';
    for (const [key, value] of new URLSearchParams(body.toString('utf8'))) ctx.params[key] = value;
    return;
  }
  ctx.bodyKind = 'other';
}

/** Text fields of a multipart/form-data body (curl -F). */
function parseMultipart(body: Buffer, boundary: string): Record<string, string> {
  const out: Record<string, string> = {};
  const text = body.toString('latin1');
  for (const part of text.split(`--${boundary}`)) {
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) continue;
    const head = part.slice(0, headerEnd);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    if (!name || /filename=/i.test(head)) continue;
    let value = part.slice(headerEnd + 4);
    if (value.endsWith('\r\n')) value = value.slice(0, -2);
    out[name] = Buffer.from(value, 'latin1').toString('utf8');
  }
  return out;
}
