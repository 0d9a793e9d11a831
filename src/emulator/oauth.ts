/**
 * OAuth of both login paths (reference §1): the Instagram authorize page and code exchange on
 * api.instagram.com, long-lived exchange and refresh on graph.instagram.com; the Facebook dialog,
 * code / fb_exchange_token exchange and debug_token on graph.facebook.com.
 */
import { requireScope, requireToken } from './auth.js';
import { EmulatedGraphError, InstagramApiError, errors } from './errors.js';
import { newAuthCode } from './random.js';
import type { RequestContext, RouteModule, RouteResult } from './router.js';
import {
  AUTH_CODE_TTL_MS,
  FACEBOOK_SCOPES,
  INSTAGRAM_SCOPES,
  LONG_LIVED_SECONDS,
  REFRESH_MIN_AGE_MS,
  type AuthCode,
  type EmulatorState,
  type TokenRecord,
} from './state.js';
import type { LoginType } from './types.js';

export const oauthRoutes: RouteModule = (router) => {
  router.get(['instagram_www', 'instagram_api'], '/oauth/authorize', instagramAuthorize);
  router.post(['instagram_api'], '/oauth/access_token', instagramCodeExchange);
  router.get(['instagram_graph'], '/access_token', instagramLongLivedExchange);
  router.get(['instagram_graph'], '/refresh_access_token', instagramRefresh);
  router.get(['facebook_www'], '/dialog/oauth', facebookDialog);
  router.get(['facebook_graph'], '/oauth/access_token', facebookTokenExchange);
  router.get(['facebook_graph'], '/debug_token', debugToken);
};

// ---------- helpers ----------

function validRedirectUri(state: EmulatorState, uri: string | undefined): uri is string {
  if (!uri) return false;
  try {
    const parsed = new URL(uri);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  } catch {
    return false;
  }
  return !state.config.redirectUris || state.config.redirectUris.includes(uri);
}

function withQuery(uri: string, params: Record<string, string | undefined>, fragment = ''): string {
  const url = new URL(uri);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.append(key, value);
  url.hash = '';
  return url.toString() + fragment;
}

function parseScopes(raw: string | undefined): string[] {
  return (raw ?? '').split(/[,\s]+/).map((s) => s.trim()).filter(Boolean);
}

function issueCode(state: EmulatorState, loginType: LoginType, clientId: string, redirectUri: string, scopes: string[]): AuthCode {
  const record: AuthCode = {
    code: newAuthCode(),
    loginType,
    clientId,
    redirectUri,
    userId: state.authorizingUser[loginType],
    scopes,
    issuedAt: state.now(),
    used: false,
  };
  state.codes.set(record.code, record);
  return record;
}

function secondsLeft(state: EmulatorState, record: TokenRecord): number {
  return record.expiresAt === null ? 0 : Math.max(0, Math.round((record.expiresAt - state.now()) / 1000));
}

function clientSecretError(): EmulatedGraphError {
  return new EmulatedGraphError({ code: 101, message: 'Error validating client secret.', isTransient: false });
}

// ---------- Instagram Login ----------

function instagramAuthorize(ctx: RequestContext): RouteResult {
  const { state, params } = ctx;
  if (params['client_id'] !== state.apps.instagramAppId) throw new InstagramApiError('Invalid platform app');
  const redirectUri = params['redirect_uri'];
  if (!validRedirectUri(state, redirectUri)) throw new InstagramApiError('Invalid redirect_uri');
  if (params['response_type'] !== undefined && params['response_type'] !== 'code') {
    throw new InstagramApiError(`Invalid response_type: ${params['response_type']}`);
  }
  const scopes = parseScopes(params['scope']);
  const invalid = scopes.filter((s) => !(INSTAGRAM_SCOPES as readonly string[]).includes(s));
  if (invalid.length) throw new InstagramApiError(`Invalid scope: [${invalid.join(', ')}]`);
  if (!scopes.includes('instagram_business_basic')) {
    throw new InstagramApiError('Invalid scope: instagram_business_basic is required');
  }
  const stateParam = params['state'];
  if (state.denyingUser) {
    return {
      redirect: withQuery(redirectUri, {
        error: 'access_denied',
        error_reason: 'user_denied',
        error_description: 'The user denied your request',
        state: stateParam,
      }),
    };
  }
  const code = issueCode(state, 'instagram', params['client_id']!, redirectUri, scopes);
  return { redirect: withQuery(redirectUri, { code: code.code, state: stateParam }, '#_') };
}

function consumeInstagramCode(ctx: RequestContext): AuthCode {
  const { state, params } = ctx;
  const code = params['code'] ?? '';
  const record = state.codes.get(code.replace(/#_$/, ''));
  if (!record || record.loginType !== 'instagram' || record.clientId !== params['client_id']) {
    throw new InstagramApiError('Invalid authorization code');
  }
  if (record.used) throw new InstagramApiError('This authorization code has been used');
  if (state.now() >= record.issuedAt + AUTH_CODE_TTL_MS) throw new InstagramApiError('This authorization code has expired');
  if (record.redirectUri !== params['redirect_uri']) {
    throw new InstagramApiError(
      'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request',
    );
  }
  record.used = true;
  return record;
}

function instagramCodeExchange(ctx: RequestContext): RouteResult {
  const { state, params } = ctx;
  if (ctx.bodyKind === 'json') {
    // Meta reads form fields only; a JSON body leaves every field missing.
    throw new InstagramApiError('Missing required field client_id (the body must be form-encoded; a JSON body is not read)');
  }
  for (const field of ['client_id', 'client_secret', 'grant_type', 'redirect_uri', 'code']) {
    if (!params[field]) throw new InstagramApiError(`Missing required field ${field}`);
  }
  if (params['client_id'] !== state.apps.instagramAppId) throw new InstagramApiError('Invalid platform app');
  if (params['client_secret'] !== state.apps.instagramAppSecret) throw new InstagramApiError('Error validating client secret.');
  if (params['grant_type'] !== 'authorization_code') throw new InstagramApiError(`Invalid grant_type: ${params['grant_type']}`);
  const code = consumeInstagramCode(ctx);
  const token = state.issueToken({ loginType: 'instagram', userId: code.userId, lifetime: 'short', scopes: code.scopes });
  if (state.config.codeExchangeShape === 'data') {
    return {
      json: { data: [{ access_token: token.token, user_id: code.userId, permissions: code.scopes.join(',') }] },
    };
  }
  // Written by hand: user_id is an unquoted number beyond 2^53, which JSON.stringify cannot express.
  const userId = state.config.userIdAsNumber ? code.userId : JSON.stringify(code.userId);
  return {
    rawJson: `{"access_token":${JSON.stringify(token.token)},"user_id":${userId},"permissions":${JSON.stringify(code.scopes)}}`,
  };
}

function instagramLongLivedExchange(ctx: RequestContext): RouteResult {
  const { state, params } = ctx;
  if (!params['grant_type']) throw errors.paramRequired('grant_type');
  if (params['grant_type'] !== 'ig_exchange_token') throw errors.invalidParam(`Unsupported grant_type: ${params['grant_type']}`);
  if (!params['client_secret']) throw errors.paramRequired('client_secret');
  if (params['client_secret'] !== state.apps.instagramAppSecret) throw clientSecretError();
  const record = requireToken(ctx);
  const long = state.issueToken({ loginType: 'instagram', userId: record.userId, lifetime: 'long', scopes: record.scopes });
  return { json: { access_token: long.token, token_type: 'bearer', expires_in: LONG_LIVED_SECONDS } };
}

function instagramRefresh(ctx: RequestContext): RouteResult {
  const { state, params } = ctx;
  if (!params['grant_type']) throw errors.paramRequired('grant_type');
  if (params['grant_type'] !== 'ig_refresh_token') throw errors.invalidParam(`Unsupported grant_type: ${params['grant_type']}`);
  const record = requireToken(ctx);
  requireScope(ctx, record, 'basic');
  if (state.now() - record.issuedAt < REFRESH_MIN_AGE_MS) {
    const spec = state.config.refreshTooEarlyError;
    throw new EmulatedGraphError({ code: spec.code, subcode: spec.subcode, message: spec.message, isTransient: false });
  }
  const refreshed = state.issueToken({ loginType: 'instagram', userId: record.userId, lifetime: 'long', scopes: record.scopes });
  return { json: { access_token: refreshed.token, token_type: 'bearer', expires_in: LONG_LIVED_SECONDS } };
}

// ---------- Facebook Login ----------

function facebookDialog(ctx: RequestContext): RouteResult {
  const { state, params } = ctx;
  if (params['client_id'] !== state.apps.facebookAppId) {
    throw new EmulatedGraphError({ code: 101, message: 'Error validating application. Invalid application ID.' });
  }
  const redirectUri = params['redirect_uri'];
  if (!validRedirectUri(state, redirectUri)) {
    throw new EmulatedGraphError({
      code: 191,
      message: "Can't load URL: The domain of this URL isn't included in the app's domains.",
    });
  }
  let scopes = parseScopes(params['scope']);
  const invalid = scopes.filter((s) => !(FACEBOOK_SCOPES as readonly string[]).includes(s));
  if (invalid.length) throw errors.invalidParam(`Invalid Scopes: ${invalid.join(', ')}`);
  if (params['config_id'] && scopes.length === 0) scopes = FACEBOOK_SCOPES.filter((s) => s !== 'email');
  if (!scopes.includes('public_profile')) scopes = [...scopes, 'public_profile'];
  const stateParam = params['state'];
  if (state.denyingUser) {
    return {
      redirect: withQuery(
        redirectUri,
        {
          error: 'access_denied',
          error_code: '200',
          error_description: 'Permissions error',
          error_reason: 'user_denied',
          state: stateParam,
        },
        '#_=_',
      ),
    };
  }
  if (params['response_type'] === 'token') {
    const token = state.issueToken({ loginType: 'facebook', userId: state.authorizingUser.facebook, lifetime: 'short', scopes });
    const fragment = new URLSearchParams({
      access_token: token.token,
      data_access_expiration_time: String(Math.floor(state.now() / 1000) + 90 * 86400),
      expires_in: String(secondsLeft(state, token)),
      ...(stateParam !== undefined ? { state: stateParam } : {}),
    });
    return { redirect: withQuery(redirectUri, {}, '#' + fragment.toString()) };
  }
  const code = issueCode(state, 'facebook', params['client_id']!, redirectUri, scopes);
  return { redirect: withQuery(redirectUri, { code: code.code, state: stateParam }, '#_=_') };
}

function facebookTokenExchange(ctx: RequestContext): RouteResult {
  const { state, params } = ctx;
  if (!params['client_id']) throw errors.paramRequired('client_id');
  if (params['client_id'] !== state.apps.facebookAppId) {
    throw new EmulatedGraphError({ code: 101, message: 'Error validating application. Invalid application ID.' });
  }
  if (!params['client_secret']) throw errors.paramRequired('client_secret');
  if (params['client_secret'] !== state.apps.facebookAppSecret) throw clientSecretError();

  if (params['grant_type'] === 'client_credentials') {
    return { json: { access_token: `${state.apps.facebookAppId}|${state.apps.facebookAppSecret}`, token_type: 'bearer' } };
  }
  if (params['grant_type'] === 'fb_exchange_token') {
    const input = params['fb_exchange_token'];
    if (!input) throw errors.paramRequired('fb_exchange_token');
    const record = state.tokens.get(input);
    if (!record || record.loginType !== 'facebook') throw errors.cannotParseToken(true);
    if (state.isExpired(record)) throw errors.tokenExpired(record.expiresAt!, state.now(), true);
    const long = state.issueToken({ loginType: 'facebook', userId: record.userId, lifetime: 'long', scopes: record.scopes });
    return { json: { access_token: long.token, token_type: 'bearer', expires_in: secondsLeft(state, long) } };
  }

  if (!params['redirect_uri']) throw errors.paramRequired('redirect_uri');
  if (!params['code']) throw errors.paramRequired('code');
  const record = state.codes.get(params['code'].replace(/#_=_$/, ''));
  if (!record || record.loginType !== 'facebook') throw errors.invalidParam('Invalid verification code format.');
  if (record.used) {
    throw new EmulatedGraphError({ code: 100, subcode: 36009, message: 'This authorization code has been used.' });
  }
  if (state.now() >= record.issuedAt + AUTH_CODE_TTL_MS) {
    throw new EmulatedGraphError({ code: 100, subcode: 36007, message: 'This authorization code has expired.' });
  }
  if (record.redirectUri !== params['redirect_uri']) {
    throw new EmulatedGraphError({
      code: 100,
      subcode: 36008,
      message:
        'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request',
    });
  }
  record.used = true;
  const token = state.issueToken({ loginType: 'facebook', userId: record.userId, lifetime: 'short', scopes: record.scopes });
  return { json: { access_token: token.token, token_type: 'bearer', expires_in: secondsLeft(state, token) } };
}

function debugToken(ctx: RequestContext): RouteResult {
  const { state, params } = ctx;
  const appToken = `${state.apps.facebookAppId}|${state.apps.facebookAppSecret}`;
  const caller = params['access_token'] ?? /^\s*(?:Bearer|OAuth)\s+(\S+)/i.exec(String(ctx.headers['authorization'] ?? ''))?.[1];
  if (!caller) throw errors.tokenRequired();
  if (caller !== appToken) {
    if (caller.includes('|')) throw new EmulatedGraphError({ code: 190, message: 'Invalid OAuth access token signature.' });
    requireToken(ctx);
  }
  const input = params['input_token'];
  if (!input) throw errors.paramRequired('input_token');
  const record = state.tokens.get(input);
  const now = state.now();
  if (!record || record.loginType !== 'facebook') {
    return {
      json: {
        data: {
          error: { code: 190, message: 'Invalid OAuth access token - Cannot parse access token' },
          is_valid: false,
          scopes: [],
        },
      },
    };
  }
  const expired = state.isExpired(record, now);
  const pages = record.kind === 'page' && record.pageId ? [record.pageId] : (state.fbUsers.get(record.userId)?.pageIds ?? []);
  const igIds = state.accessibleIgUsers(record).map((u) => u.id);
  const data: Record<string, unknown> = {
    app_id: record.appId,
    type: record.kind === 'page' ? 'PAGE' : 'USER',
    application: 'Instagram MCP Emulator',
    data_access_expires_at: Math.floor(record.issuedAt / 1000) + 90 * 86400,
    expires_at: record.expiresAt === null ? 0 : Math.floor(record.expiresAt / 1000),
    is_valid: !expired,
    issued_at: Math.floor(record.issuedAt / 1000),
  };
  if (record.kind === 'page' && record.pageId) data['profile_id'] = record.pageId;
  data['scopes'] = record.scopes;
  data['granular_scopes'] = record.scopes
    .filter((s) => s.startsWith('instagram_') || s.startsWith('pages_'))
    .map((scope) => ({ scope, target_ids: scope.startsWith('instagram_') ? igIds : pages }));
  data['user_id'] = record.userId;
  if (expired) {
    data['error'] = {
      code: 190,
      message: errors.tokenExpired(record.expiresAt!, now, false).message,
      subcode: 463,
    };
  }
  return { json: { data } };
}
