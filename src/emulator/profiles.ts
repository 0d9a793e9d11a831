/**
 * Profiles (reference §2, §1.2): the IG user node on both hosts, the Facebook user (`/me`), its Pages
 * (`/me/accounts`) and the Page node with `instagram_business_account`.
 */
import { isIgUserNode, requireToken, resolveIgUser } from './auth.js';
import { errors } from './errors.js';
import { parseFields, renderNode, type NodeSchema } from './fields.js';
import { mediaEdgeField, storiesEdgeField } from './reading.js';
import type { RequestContext, RouteModule, RouteResult } from './router.js';
import type { TokenRecord } from './state.js';
import type { EmulatedFbUser, EmulatedIgUser, EmulatedPage } from './types.js';

/** IG user on graph.instagram.com (Instagram Login): `id` is app-scoped, `user_id` the IG id. */
export const instagramUserSchema: NodeSchema<EmulatedIgUser> = {
  typeName: 'User',
  id: (user) => user.appScopedId,
  fields: {
    user_id: (user) => user.id,
    username: (user) => user.username,
    name: (user) => user.name,
    account_type: (user) => user.accountType,
    profile_picture_url: (user) => user.profilePictureUrl,
    followers_count: (user) => user.followersCount,
    follows_count: (user) => user.followsCount,
    media_count: (user, _spec, ctx) => ctx.state.feedMedia(user.id).length,
    biography: (user) => user.biography,
    website: (user) => user.website,
    media: mediaEdgeField,
    stories: storiesEdgeField,
  },
  defaultFields: ['id'],
};

/** IG user on graph.facebook.com (Facebook Login), reference §2.2. */
export const facebookIgUserSchema: NodeSchema<EmulatedIgUser> = {
  typeName: 'User',
  id: (user) => user.id,
  fields: {
    biography: (user) => user.biography,
    followers_count: (user) => user.followersCount,
    follows_count: (user) => user.followsCount,
    has_profile_pic: () => true,
    is_published: () => true,
    legacy_instagram_user_id: (user) => user.id.slice(-10),
    media_count: (user, _spec, ctx) => ctx.state.feedMedia(user.id).length,
    name: (user) => user.name,
    profile_picture_url: (user) => user.profilePictureUrl,
    shopping_product_tag_eligibility: () => false,
    username: (user) => user.username,
    website: (user) => user.website,
    media: mediaEdgeField,
    stories: storiesEdgeField,
  },
  defaultFields: ['id'],
};

export const facebookUserSchema: NodeSchema<EmulatedFbUser> = {
  typeName: 'User',
  id: (user) => user.id,
  fields: {
    name: (user) => user.name,
    first_name: (user) => user.name.split(' ')[0],
    last_name: (user) => user.name.split(' ').slice(1).join(' '),
  },
  defaultFields: ['name', 'id'],
};

interface PageView {
  page: EmulatedPage;
  token: TokenRecord;
}

export const pageSchema: NodeSchema<PageView> = {
  typeName: 'Page',
  id: ({ page }) => page.id,
  fields: {
    name: ({ page }) => page.name,
    category: ({ page }) => page.category,
    category_list: ({ page }) => [{ id: '2500', name: page.category }],
    access_token: ({ page, token }, _spec, ctx) => pageTokenFor(ctx, token, page).token,
    tasks: () => ['ADVERTISE', 'ANALYZE', 'CREATE_CONTENT', 'MESSAGING', 'MODERATE', 'MANAGE'],
    instagram_business_account: ({ page }) => (page.igUserId ? { id: page.igUserId } : undefined),
    link: ({ page }) => `https://www.facebook.com/${page.id}`,
  },
  defaultFields: ['name', 'id'],
};

export const profileRoutes: RouteModule = (router) => {
  router.get(['instagram_graph'], '/:id', instagramUserNode, (ctx, p) => isIgUserNode(ctx, p['id']!));
  router.get(['facebook_graph'], '/:id', facebookIgUserNode, (ctx, p) => isIgUserNode(ctx, p['id']!));
  router.get(['facebook_graph'], '/:id', facebookUserNode, (ctx, p) => isFbUserNode(ctx, p['id']!));
  router.get(['facebook_graph'], '/:id/accounts', facebookAccounts, (ctx, p) => isFbUserNode(ctx, p['id']!));
  router.get(['facebook_graph'], '/:id', pageNode, (ctx, p) => ctx.state.pages.has(p['id']!));
};

function isFbUserNode(ctx: RequestContext, id: string): boolean {
  return id === 'me' || ctx.state.fbUsers.has(id);
}

function instagramUserNode(ctx: RequestContext): RouteResult {
  const record = requireToken(ctx, 'basic');
  const user = resolveIgUser(ctx, record, ctx.routeParams['id']!);
  return { json: renderNode(instagramUserSchema, user, parseFields(ctx.params['fields']), ctx) };
}

function facebookIgUserNode(ctx: RequestContext): RouteResult {
  const record = requireToken(ctx, 'basic');
  const user = resolveIgUser(ctx, record, ctx.routeParams['id']!);
  return { json: renderNode(facebookIgUserSchema, user, parseFields(ctx.params['fields']), ctx) };
}

/** The Facebook user behind a token ('me' or its own id); page tokens have no user node. */
function fbUserOf(ctx: RequestContext, record: TokenRecord, id: string): EmulatedFbUser {
  const user = record.kind === 'user' ? ctx.state.fbUsers.get(record.userId) : undefined;
  if (!user || (id !== 'me' && id !== user.id)) throw errors.unsupportedRequest(ctx.method, id);
  return user;
}

function facebookUserNode(ctx: RequestContext): RouteResult {
  const record = requireToken(ctx);
  if (record.kind === 'page' && ctx.routeParams['id'] === 'me') {
    const page = ctx.state.pages.get(record.pageId!)!;
    return { json: renderNode(pageSchema, { page, token: record }, parseFields(ctx.params['fields']), ctx) };
  }
  const user = fbUserOf(ctx, record, ctx.routeParams['id']!);
  return { json: renderNode(facebookUserSchema, user, parseFields(ctx.params['fields']), ctx) };
}

function facebookAccounts(ctx: RequestContext): RouteResult {
  const record = requireToken(ctx);
  const user = fbUserOf(ctx, record, ctx.routeParams['id']!);
  requirePagesScope(ctx, record);
  const specs = parseFields(ctx.params['fields']) ?? ['access_token', 'category', 'category_list', 'name', 'id', 'tasks'].map((name) => ({ name, modifiers: {} }));
  const pages = user.pageIds.map((id) => ctx.state.pages.get(id)).filter((p): p is EmulatedPage => !!p);
  const data = pages.map((page) => renderNode(pageSchema, { page, token: record }, specs, ctx));
  const cursor = (id: string) => Buffer.from(`page:${id}`).toString('base64url');
  return {
    json: {
      data,
      paging: pages.length ? { cursors: { before: cursor(pages[0]!.id), after: cursor(pages[pages.length - 1]!.id) } } : undefined,
    },
  };
}

function pageNode(ctx: RequestContext): RouteResult {
  const record = requireToken(ctx);
  const page = ctx.state.pages.get(ctx.routeParams['id']!)!;
  const allowed = record.kind === 'page' ? record.pageId === page.id : ctx.state.fbUsers.get(record.userId)?.pageIds.includes(page.id);
  if (!allowed) throw errors.unsupportedRequest(ctx.method, page.id);
  if (record.kind === 'user') requirePagesScope(ctx, record);
  return { json: renderNode(pageSchema, { page, token: record }, parseFields(ctx.params['fields']), ctx) };
}

function requirePagesScope(ctx: RequestContext, record: TokenRecord): void {
  if (!record.scopes.includes('pages_show_list')) {
    const code = ctx.state.config.permissionErrorCode;
    throw errors.permission(code, 'pages_show_list');
  }
}

/** One stable Page token per (user token, page); never expires when the user token is long-lived. */
export function pageTokenFor(ctx: RequestContext, userToken: TokenRecord, page: EmulatedPage): TokenRecord {
  if (userToken.kind === 'page') return userToken;
  const key = `${userToken.token}:${page.id}`;
  const existing = ctx.state.pageTokens.get(key);
  const existingRecord = existing ? ctx.state.tokens.get(existing) : undefined;
  if (existingRecord) return existingRecord;
  const record = ctx.state.issueToken({
    loginType: 'facebook',
    userId: userToken.userId,
    kind: 'page',
    pageId: page.id,
    lifetime: userToken.lifetime === 'short' ? 'short' : 'never',
    scopes: userToken.scopes,
  });
  if (userToken.lifetime === 'short') record.expiresAt = userToken.expiresAt;
  ctx.state.pageTokens.set(key, record.token);
  return record;
}
