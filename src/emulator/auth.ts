/**
 * Access-token checks shared by every Graph route: where the token comes from, which host accepts
 * which token, expiry (190/463), permissions, and which IG accounts a token may act on.
 */
import { errors } from './errors.js';
import type { RequestContext } from './router.js';
import { SCOPE_FOR, type TokenRecord } from './state.js';
import type { EmulatedIgUser } from './types.js';

export type Capability = keyof typeof SCOPE_FOR;

/** Token from `access_token` (query or body) or `Authorization: Bearer|OAuth <token>`. */
export function extractToken(ctx: Pick<RequestContext, 'params' | 'headers'>): string | undefined {
  const fromParams = ctx.params['access_token'];
  if (fromParams) return fromParams;
  const header = ctx.headers['authorization'];
  if (typeof header === 'string') {
    const match = /^\s*(?:Bearer|OAuth)\s+(\S+)\s*$/i.exec(header);
    if (match) return match[1];
  }
  return undefined;
}

/** Validates the request's token for this host; throws the documented 104 / 190 errors. */
export function requireToken(ctx: RequestContext, capability?: Capability): TokenRecord {
  const token = extractToken(ctx);
  if (!token) throw errors.tokenRequired();
  const onFacebook = ctx.hostRole === 'facebook_graph';
  const record = ctx.state.tokens.get(token);
  const expectedLogin = onFacebook ? 'facebook' : 'instagram';
  if (!record || record.loginType !== expectedLogin) throw errors.cannotParseToken(onFacebook);
  const now = ctx.state.now();
  if (ctx.state.isExpired(record, now)) throw errors.tokenExpired(record.expiresAt!, now, onFacebook);
  if (capability) requireScope(ctx, record, capability);
  return record;
}

/** Validates a token for the rupload host, which accepts both kinds of user token. */
export function lookupAnyToken(ctx: RequestContext, token: string): TokenRecord | undefined {
  const record = ctx.state.tokens.get(token);
  if (!record || ctx.state.isExpired(record)) return undefined;
  return record;
}

export function requireScope(ctx: RequestContext, record: TokenRecord, capability: Capability): void {
  const scope = SCOPE_FOR[capability][record.loginType];
  if (!record.scopes.includes(scope)) throw errors.permission(ctx.state.config.permissionErrorCode, scope);
}

/** True when `id` names an IG account node on this host (route guard; no permission check). */
export function isIgUserNode(ctx: RequestContext, id: string): boolean {
  if (ctx.hostRole === 'instagram_graph') {
    if (id === 'me') return true;
    const user = ctx.state.findIgUser(id);
    return !!user && user.loginType === 'instagram';
  }
  const user = ctx.state.igUsers.get(id);
  return !!user && user.loginType === 'facebook';
}

/** The IG account named by `id` ('me', user_id or app-scoped id) that this token may act on. */
export function resolveIgUser(ctx: RequestContext, record: TokenRecord, id: string): EmulatedIgUser {
  let user: EmulatedIgUser | undefined;
  if (id === 'me') {
    user = ctx.hostRole === 'instagram_graph' ? ctx.state.igUserOfToken(record) : undefined;
  } else {
    user = ctx.hostRole === 'instagram_graph' ? ctx.state.findIgUser(id) : ctx.state.igUsers.get(id);
  }
  if (!user || !ctx.state.accessibleIgUsers(record).some((u) => u.id === user!.id)) {
    throw errors.unsupportedRequest(ctx.method, id);
  }
  ctx.igAccountId = user.id;
  return user;
}

/** Checks that a token may act on the IG account owning an object; 100/33 otherwise. */
export function requireOwner(ctx: RequestContext, record: TokenRecord, ownerId: string, objectId: string): EmulatedIgUser {
  const user = ctx.state.accessibleIgUsers(record).find((u) => u.id === ownerId);
  if (!user) throw errors.unsupportedRequest(ctx.method, objectId);
  ctx.igAccountId = user.id;
  return user;
}
