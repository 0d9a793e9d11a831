/**
 * Admin API under `/__emulator/` (outside every Graph prefix, so Graph clients cannot reach it):
 * the in-process controls over JSON, for the standalone emulator and the sandbox.
 */
import type { InstagramEmulator } from './emulator.js';
import { seedOnlineFollowers } from './insights.js';
import type { RequestContext, RouteModule, RouteResult } from './router.js';
import type { FaultKind, FaultRule, HostRole, LoginType, RateLimitOptions, RequestMatcher } from './types.js';

const ADMIN: readonly HostRole[] = ['admin'];

class AdminError extends Error {}

function body(ctx: RequestContext): Record<string, unknown> {
  const json = ctx.jsonBody;
  if (json && typeof json === 'object' && !Array.isArray(json)) return json as Record<string, unknown>;
  return { ...ctx.params };
}

function num(value: unknown, name: string): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new AdminError(`'${name}' must be a number`);
  return n;
}

function regex(value: unknown): string | RegExp | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new AdminError("'path' must be a string (a regular expression)");
  return new RegExp(value);
}

function wrap(handler: (ctx: RequestContext) => RouteResult | Promise<RouteResult>) {
  return async (ctx: RequestContext): Promise<RouteResult> => {
    try {
      return await handler(ctx);
    } catch (error) {
      // Bad input (AdminError, an invalid regex, an unknown account…) answers 400 with the reason.
      if (error instanceof Error) return { status: 400, json: { error: error.message } };
      throw error;
    }
  };
}

export function adminRoutes(emulator: InstagramEmulator): RouteModule {
  return (router) => {
    const get = (path: string, h: (ctx: RequestContext) => RouteResult | Promise<RouteResult>) => router.get(ADMIN, path, wrap(h));
    const post = (path: string, h: (ctx: RequestContext) => RouteResult | Promise<RouteResult>) => router.post(ADMIN, path, wrap(h));
    const del = (path: string, h: (ctx: RequestContext) => RouteResult | Promise<RouteResult>) => router.delete(ADMIN, path, wrap(h));
    const { state } = emulator;

    get('/state', () => ({
      json: {
        baseUrl: emulator.baseUrl,
        urls: emulator.urls,
        apps: emulator.apps,
        now: state.now(),
        users: emulator.users,
        config: state.config,
        counts: {
          containers: state.containers.size,
          media: state.media.size,
          published: emulator.publishedMedia().length,
          tokens: state.tokens.size,
        },
        quotaUsage: Object.fromEntries([...state.igUsers.keys()].map((id) => [id, state.quotaUsage(id)])),
        faults: emulator.listFaults().map(serialiseRule),
        holds: emulator.listHolds().map((h) => ({ ...h, matcher: serialiseMatcher(h.matcher) })),
        denyingUser: state.denyingUser,
        authorizingUser: state.authorizingUser,
      },
    }));

    post('/clock/advance', (ctx) => {
      const ms = num(body(ctx)['ms'], 'ms');
      const clock = emulator.clock as { advance?: (ms: number) => void };
      if (typeof clock.advance !== 'function') throw new AdminError('This emulator clock cannot be advanced');
      clock.advance(ms);
      return { json: { now: state.now() } };
    });

    post('/latency', (ctx) => {
      emulator.setLatency(num(body(ctx)['ms'], 'ms'));
      return { json: { latencyMs: state.config.latencyMs } };
    });

    get('/faults', () => ({ json: { faults: emulator.listFaults().map(serialiseRule) } }));
    post('/faults', (ctx) => {
      const b = body(ctx);
      const rule: FaultRule = {
        method: typeof b['method'] === 'string' ? b['method'] : undefined,
        path: regex(b['path']),
        hostRole: b['hostRole'] as HostRole | undefined,
        rate: b['rate'] === undefined ? undefined : num(b['rate'], 'rate'),
        sequence: b['sequence'] as Array<FaultKind | 'none'> | undefined,
        kind: b['kind'] as FaultKind | undefined,
        times: b['times'] === undefined ? undefined : num(b['times'], 'times'),
      };
      emulator.injectFaults(rule);
      return { status: 201, json: { ok: true, faults: emulator.listFaults().length } };
    });
    del('/faults', () => {
      emulator.clearFaults();
      return { json: { ok: true } };
    });

    post('/processing', (ctx) => {
      const b = body(ctx);
      if (b['image'] !== undefined) emulator.setProcessingTime('image', num(b['image'], 'image'));
      if (b['video'] !== undefined) emulator.setProcessingTime('video', num(b['video'], 'video'));
      return { json: state.config.processing };
    });

    get('/requests', () => ({ json: { requests: emulator.requestLog() } }));
    del('/requests', () => {
      emulator.clearLog();
      return { json: { ok: true } };
    });

    get('/holds', () => ({ json: { holds: emulator.listHolds().map((h) => ({ ...h, matcher: serialiseMatcher(h.matcher) })) } }));
    post('/holds', (ctx) => {
      const b = body(ctx);
      const hold = emulator.hold({
        method: typeof b['method'] === 'string' ? b['method'] : undefined,
        path: regex(b['path']),
        hostRole: b['hostRole'] as HostRole | undefined,
      });
      return { status: 201, json: { id: hold.id } };
    });
    get('/holds/:id', (ctx) => {
      const hold = emulator.holdById(ctx.routeParams['id']!);
      if (!hold) return { status: 404, json: { error: 'No such hold (released holds are removed)' } };
      return { json: { id: hold.id, heldCount: hold.heldCount } };
    });
    post('/holds/:id/release', (ctx) => {
      const hold = emulator.holdById(ctx.routeParams['id']!);
      if (!hold) return { status: 404, json: { error: 'No such hold' } };
      const released = hold.heldCount;
      hold.release();
      return { json: { ok: true, released } };
    });

    get('/published', (ctx) => ({ json: { data: emulator.publishedMedia(ctx.params['user_id']) } }));
    get('/containers/:id', (ctx) => {
      const container = emulator.container(ctx.routeParams['id']!);
      if (!container) return { status: 404, json: { error: 'No such container' } };
      return { json: { ...container, status_code: emulator.containerStatus(container.id) } };
    });

    post('/tokens', (ctx) => {
      const b = body(ctx);
      const userId = String(b['userId'] ?? b['user_id'] ?? '');
      const loginType = String(b['loginType'] ?? b['login_type'] ?? 'instagram') as LoginType;
      const lifetime = (b['lifetime'] as 'short' | 'long' | undefined) ?? 'long';
      const scopes = Array.isArray(b['scopes']) ? (b['scopes'] as string[]) : undefined;
      const token = emulator.issueToken({ userId, loginType, lifetime, scopes });
      const record = state.tokens.get(token)!;
      return {
        status: 201,
        json: {
          access_token: token,
          token_type: 'bearer',
          expires_in: record.expiresAt === null ? 0 : Math.round((record.expiresAt - state.now()) / 1000),
        },
      };
    });

    post('/deny', (ctx) => {
      emulator.setDenyingUser(Boolean(body(ctx)['deny'] ?? true) && body(ctx)['deny'] !== 'false');
      return { json: { denyingUser: state.denyingUser } };
    });
    post('/authorizing-user', (ctx) => {
      const b = body(ctx);
      emulator.setAuthorizingUser(String(b['loginType'] ?? 'instagram') as LoginType, String(b['userId'] ?? ''));
      return { json: { authorizingUser: state.authorizingUser } };
    });
    // Seeds when an account's followers are online: { userId, hours: 24 counts by UTC hour, or null }.
    post('/online-followers', (ctx) => {
      const b = body(ctx);
      const hours = b['hours'] === null ? null : Array.isArray(b['hours']) ? b['hours'].map((v, i) => num(v, `hours[${i}]`)) : undefined;
      if (hours === undefined) throw new AdminError("'hours' must be 24 counts (UTC hours 0–23) or null");
      seedOnlineFollowers(state, String(b['userId'] ?? b['user_id'] ?? ''), hours);
      return { json: { ok: true } };
    });
    post('/quota', (ctx) => {
      emulator.setQuotaTotal(num(body(ctx)['total'], 'total'));
      return { json: { quotaTotal: state.config.quotaTotal } };
    });
    post('/rate-limits', (ctx) => {
      emulator.setRateLimits(body(ctx) as RateLimitOptions);
      return { json: state.config.rateLimits };
    });
    del('/rate-limits', () => {
      emulator.resetRateLimits();
      return { json: { ok: true } };
    });
  };
}

function serialiseMatcher(m: RequestMatcher): Record<string, unknown> {
  return { ...m, path: m.path instanceof RegExp ? m.path.source : m.path };
}

function serialiseRule(rule: FaultRule): Record<string, unknown> {
  return { ...rule, path: rule.path instanceof RegExp ? rule.path.source : rule.path };
}
