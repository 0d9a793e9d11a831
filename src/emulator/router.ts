/**
 * A small router: routes are (method, host roles, path pattern, optional guard). Patterns are
 * segment lists where `:name` captures one segment. Guards pick the node type for generic paths
 * such as `/:id` (an IG user, a media, a container, a page…), so modules can share a path shape.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../clock.js';
import type { EmulatorState } from './state.js';
import type { HostRole } from './types.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  hostRole: HostRole;
  /** Host name named by the path prefix, e.g. `graph.instagram.com`. */
  host: string;
  /** `v24.0` when the path carried a version. */
  version: string | null;
  /** Path after the host prefix and version, without trailing slash: `/17841…/media`. */
  path: string;
  segments: string[];
  query: URLSearchParams;
  /** Query and body parameters merged (body wins); non-string JSON values are re-serialised. */
  params: Record<string, string>;
  /** How the body was encoded. */
  bodyKind: 'none' | 'form' | 'multipart' | 'json' | 'other' | 'stream';
  /** Parsed JSON body when bodyKind is json. */
  jsonBody?: unknown;
  headers: IncomingHttpHeaders;
  /** Captured `:name` segments of the matched route. */
  routeParams: Record<string, string>;
  state: EmulatorState;
  clock: Clock;
  /** Absolute URL prefix for this host: `${baseUrl}/graph.instagram.com`. */
  hostUrl: string;
  traceId: string;
  requestId: string;
  /** Set by handlers that resolved an IG account (for usage headers). */
  igAccountId?: string;
}

export interface RouteResult {
  status?: number;
  /** Serialised with JSON.stringify. */
  json?: unknown;
  /** Pre-serialised JSON (e.g. numbers beyond 2^53). */
  rawJson?: string;
  /** 302 redirect target. */
  redirect?: string;
  headers?: Record<string, string>;
  /** The handler already wrote the response itself. */
  handled?: boolean;
}

export type RouteHandler = (ctx: RequestContext) => RouteResult | Promise<RouteResult>;

export interface RouteDef {
  method: HttpMethod;
  hosts: readonly HostRole[];
  /** `/:id/media`, `/oauth/access_token`, … */
  path: string;
  /** Only route here when the guard agrees (e.g. `:id` names a container). */
  when?: (ctx: RequestContext, params: Record<string, string>) => boolean;
  handler: RouteHandler;
}

export const GRAPH_HOSTS: readonly HostRole[] = ['instagram_graph', 'facebook_graph'];

export class Router {
  private readonly routes: Array<RouteDef & { parts: string[] }> = [];

  add(def: RouteDef): void {
    this.routes.push({ ...def, parts: def.path.split('/').filter(Boolean) });
  }

  get(hosts: readonly HostRole[], path: string, handler: RouteHandler, when?: RouteDef['when']): void {
    this.add({ method: 'GET', hosts, path, handler, when });
  }

  post(hosts: readonly HostRole[], path: string, handler: RouteHandler, when?: RouteDef['when']): void {
    this.add({ method: 'POST', hosts, path, handler, when });
  }

  delete(hosts: readonly HostRole[], path: string, handler: RouteHandler, when?: RouteDef['when']): void {
    this.add({ method: 'DELETE', hosts, path, handler, when });
  }

  /** First route whose method, host, pattern and guard match. */
  match(ctx: RequestContext): { route: RouteDef; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== ctx.method || !route.hosts.includes(ctx.hostRole)) continue;
      const params = matchParts(route.parts, ctx.segments);
      if (!params) continue;
      if (route.when && !route.when(ctx, params)) continue;
      return { route, params };
    }
    return undefined;
  }

  /** True when some route of any method claims the first segment as a node (for "unknown path" errors). */
  knowsNode(ctx: RequestContext, id: string): boolean {
    for (const route of this.routes) {
      if (!route.hosts.includes(ctx.hostRole) || route.parts.length !== 1 || !route.parts[0]!.startsWith(':')) continue;
      const params = { [route.parts[0]!.slice(1)]: id };
      if (route.when?.(ctx, params)) return true;
    }
    return false;
  }
}

function matchParts(parts: string[], segments: string[]): Record<string, string> | undefined {
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const segment = segments[i]!;
    if (part.startsWith(':')) params[part.slice(1)] = segment;
    else if (part !== segment) return undefined;
  }
  return params;
}

/** A route module registers its routes with one call: `publishingRoutes(router)`. */
export type RouteModule = (router: Router) => void;
