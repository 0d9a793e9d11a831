/**
 * OAuth for both login paths (reference §1): authorization URLs, callback parsing, code exchanges,
 * long-lived tokens, refresh, Facebook Pages → IG account resolution, token introspection.
 *
 * Where Meta documents a token or secret as a query parameter (ig_exchange_token, ig_refresh_token,
 * fb_exchange_token, the FB code exchange) it is sent that way; GraphHttp registers those values as
 * secrets and never logs a URL with its query string.
 */
import { calculatePKCECodeChallenge, randomPKCECodeVerifier, randomState } from 'openid-client';
import { z } from 'zod';
import { registerSecret } from '../log.js';
import { parseResponse, zId, zNum } from './account.js';
import { GraphError } from './errors.js';
import type { GraphHttp } from './http.js';

export const INSTAGRAM_SCOPES = [
  'instagram_business_basic',
  'instagram_business_content_publish',
  'instagram_business_manage_comments',
  'instagram_business_manage_insights',
] as const;

export const FACEBOOK_SCOPES = [
  'instagram_basic',
  'instagram_content_publish',
  'instagram_manage_comments',
  'instagram_manage_insights',
  'pages_show_list',
  'pages_read_engagement',
  'business_management',
] as const;

export interface Pkce {
  codeVerifier: string;
  codeChallenge: string;
  codeChallengeMethod: 'S256';
}

export async function createPkce(): Promise<Pkce> {
  const codeVerifier = randomPKCECodeVerifier();
  registerSecret(codeVerifier);
  const codeChallenge = await calculatePKCECodeChallenge(codeVerifier);
  return { codeVerifier, codeChallenge, codeChallengeMethod: 'S256' };
}

export function createState(): string {
  return randomState();
}

function withParams(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}

export interface InstagramAuthorizeParams {
  /** e.g. https://www.instagram.com/oauth/authorize */
  authorizeUrl: string;
  /** The Instagram app id (not the Facebook app id). */
  appId: string;
  redirectUri: string;
  state: string;
  /**
   * PKCE challenge (S256). PKCE is not documented for Instagram Login (reference §1.1): the
   * parameters are sent when given, but the exchange still needs the app secret.
   */
  codeChallenge?: string;
  scopes?: readonly string[];
  /** enable_fb_login=0 hides "log in with Facebook" (optional). */
  enableFbLogin?: boolean;
  /** force_authentication=1 (optional). */
  forceAuthentication?: boolean;
}

export function buildInstagramAuthorizeUrl(p: InstagramAuthorizeParams): string {
  return withParams(p.authorizeUrl, {
    client_id: p.appId,
    redirect_uri: p.redirectUri,
    response_type: 'code',
    scope: (p.scopes ?? INSTAGRAM_SCOPES).join(','),
    state: p.state,
    code_challenge: p.codeChallenge,
    code_challenge_method: p.codeChallenge ? 'S256' : undefined,
    enable_fb_login: p.enableFbLogin === undefined ? undefined : p.enableFbLogin ? '1' : '0',
    force_authentication: p.forceAuthentication ? '1' : undefined,
  });
}

export interface FacebookDialogParams {
  /** https://www.facebook.com — may carry a path prefix. */
  dialogBaseUrl: string;
  apiVersion: string;
  appId: string;
  redirectUri: string;
  state: string;
  scopes?: readonly string[];
  /** Facebook Login for Business configuration id (preferred over scope when set). */
  configId?: string;
  /** auth_type=rerequest to ask again for declined permissions. */
  rerequest?: boolean;
}

export function buildFacebookDialogUrl(p: FacebookDialogParams): string {
  const url = new URL(p.dialogBaseUrl);
  const prefix = url.pathname.replace(/\/+$/, '');
  const version = p.apiVersion.startsWith('v') ? p.apiVersion : `v${p.apiVersion}`;
  url.pathname = `${prefix}/${version}/dialog/oauth`;
  url.search = '';
  url.hash = '';
  return withParams(url.toString(), {
    client_id: p.appId,
    redirect_uri: p.redirectUri,
    state: p.state,
    response_type: 'code',
    scope: (p.scopes ?? FACEBOOK_SCOPES).join(','),
    config_id: p.configId,
    auth_type: p.rerequest ? 'rerequest' : undefined,
  });
}

export interface CallbackResult {
  code?: string;
  state?: string;
  error?: { error: string; reason?: string; description?: string };
}

/**
 * Accepts the full redirected URL (`https://host/cb?code=...&state=...#_`), a query string, or a
 * bare code (possibly with the trailing `#_` Meta appends).
 */
export function parseCallbackUrl(urlOrCode: string): CallbackResult {
  const input = urlOrCode.trim();
  const withoutFragment = input.replace(/#.*$/, '');
  let params: URLSearchParams | undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(withoutFragment)) {
    params = new URL(withoutFragment).searchParams;
  } else if (withoutFragment.startsWith('?') || /(^|&)(code|error|state)=/.test(withoutFragment)) {
    params = new URLSearchParams(withoutFragment.replace(/^\?/, ''));
  }
  if (!params) {
    const code = withoutFragment;
    if (code) registerSecret(code);
    return code ? { code } : {};
  }
  const out: CallbackResult = {};
  const code = params.get('code')?.replace(/#.*$/, '');
  if (code) {
    registerSecret(code);
    out.code = code;
  }
  const state = params.get('state');
  if (state) out.state = state;
  const error = params.get('error');
  if (error) {
    out.error = {
      error,
      reason: params.get('error_reason') ?? undefined,
      description: params.get('error_description') ?? undefined,
    };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Instagram Login token endpoints

const zPermissions = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) =>
    v === undefined
      ? []
      : (Array.isArray(v) ? v : v.split(','))
          .map((s) => s.trim())
          .filter(Boolean),
  );

const zInstagramTokenEntry = z.object({
  access_token: z.string().min(1),
  user_id: zId,
  permissions: zPermissions,
});

const zInstagramCodeResponse = z.union([
  zInstagramTokenEntry,
  z.object({ data: z.array(zInstagramTokenEntry).min(1) }).transform((v) => v.data[0]!),
]);

export interface InstagramCodeExchange {
  accessToken: string;
  /** The Instagram professional account id, exact (never a lossy JS number). */
  userId: string;
  permissions: string[];
}

export async function exchangeInstagramCode(
  http: GraphHttp,
  p: { appId: string; appSecret: string; redirectUri: string; code: string; codeVerifier?: string; signal?: AbortSignal },
): Promise<InstagramCodeExchange> {
  registerSecret(p.appSecret);
  registerSecret(p.code);
  const res = await http.request({
    host: 'instagram_api',
    method: 'POST',
    path: '/oauth/access_token',
    versioned: false,
    form: {
      client_id: p.appId,
      client_secret: p.appSecret,
      grant_type: 'authorization_code',
      redirect_uri: p.redirectUri,
      code: p.code.replace(/#_?$/, ''),
      code_verifier: p.codeVerifier,
    },
    // A code is single-use: retry only when the request provably never reached Meta.
    retry: 'write',
    signal: p.signal,
  });
  const parsed = parseResponse(zInstagramCodeResponse, res.data, 'the Instagram code exchange');
  registerSecret(parsed.access_token);
  return { accessToken: parsed.access_token, userId: parsed.user_id, permissions: parsed.permissions };
}

const zTokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: zNum.optional(),
});

export interface TokenResult {
  accessToken: string;
  /** Seconds; absent when Meta did not say (e.g. some Facebook tokens). */
  expiresIn?: number;
}

function tokenResult(data: unknown, what: string): TokenResult {
  const parsed = parseResponse(zTokenResponse, data, what);
  registerSecret(parsed.access_token);
  return parsed.expires_in !== undefined
    ? { accessToken: parsed.access_token, expiresIn: parsed.expires_in }
    : { accessToken: parsed.access_token };
}

export async function exchangeInstagramLongLived(
  http: GraphHttp,
  p: { appSecret: string; shortToken: string; signal?: AbortSignal },
): Promise<Required<TokenResult>> {
  registerSecret(p.appSecret);
  registerSecret(p.shortToken);
  const res = await http.request({
    host: 'instagram_graph',
    method: 'GET',
    path: '/access_token',
    versioned: false,
    // Documented as query parameters (server side only).
    query: { grant_type: 'ig_exchange_token', client_secret: p.appSecret, access_token: p.shortToken },
    signal: p.signal,
  });
  return requireExpiry(tokenResult(res.data, 'the Instagram long-lived token exchange'), 'long-lived exchange');
}

export async function refreshInstagramToken(
  http: GraphHttp,
  p: { token: string; signal?: AbortSignal },
): Promise<Required<TokenResult>> {
  registerSecret(p.token);
  const res = await http.request({
    host: 'instagram_graph',
    method: 'GET',
    path: '/refresh_access_token',
    versioned: false,
    query: { grant_type: 'ig_refresh_token', access_token: p.token },
    signal: p.signal,
  });
  return requireExpiry(tokenResult(res.data, 'the Instagram token refresh'), 'refresh');
}

function requireExpiry(t: TokenResult, what: string): Required<TokenResult> {
  if (t.expiresIn === undefined) {
    throw new GraphError({
      kind: 'unknown',
      message: `Instagram ${what} returned no expires_in`,
      isTransient: false,
      notApplied: false,
      hint: 'Meta answered without a token lifetime: report this.',
    });
  }
  return { accessToken: t.accessToken, expiresIn: t.expiresIn };
}

// ---------------------------------------------------------------------------------------------
// Facebook Login

export async function exchangeFacebookCode(
  http: GraphHttp,
  p: { appId: string; appSecret: string; redirectUri: string; code: string; signal?: AbortSignal },
): Promise<TokenResult> {
  registerSecret(p.appSecret);
  registerSecret(p.code);
  const res = await http.request({
    host: 'facebook_graph',
    method: 'GET',
    path: '/oauth/access_token',
    query: { client_id: p.appId, redirect_uri: p.redirectUri, client_secret: p.appSecret, code: p.code.replace(/#_?$/, '') },
    retry: 'write', // single-use code
    signal: p.signal,
  });
  return tokenResult(res.data, 'the Facebook code exchange');
}

export async function exchangeFacebookLongLived(
  http: GraphHttp,
  p: { appId: string; appSecret: string; token: string; signal?: AbortSignal },
): Promise<TokenResult> {
  registerSecret(p.appSecret);
  registerSecret(p.token);
  const res = await http.request({
    host: 'facebook_graph',
    method: 'GET',
    path: '/oauth/access_token',
    query: { grant_type: 'fb_exchange_token', client_id: p.appId, client_secret: p.appSecret, fb_exchange_token: p.token },
    signal: p.signal,
  });
  return tokenResult(res.data, 'the Facebook long-lived token exchange');
}

const zPagesResponse = z.object({
  data: z.array(
    z.object({
      id: zId,
      name: z.string().optional(),
      instagram_business_account: z.object({ id: zId }).optional(),
    }),
  ),
  paging: z
    .object({
      cursors: z.object({ after: z.string().optional() }).optional(),
      next: z.string().optional(),
    })
    .optional(),
});

export interface FacebookPage {
  pageId: string;
  name: string;
  /** The linked IG professional account, null when the Page has none. */
  igUserId: string | null;
}

/** Lists the user's Pages with their linked IG account, following every page of results. */
export async function listFacebookPages(
  http: GraphHttp,
  userToken: string,
  signal?: AbortSignal,
  maxPages = 50,
): Promise<FacebookPage[]> {
  const out: FacebookPage[] = [];
  let after: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const res = await http.request({
      host: 'facebook_graph',
      method: 'GET',
      path: '/me/accounts',
      query: { fields: 'id,name,instagram_business_account', limit: 100, after },
      token: userToken,
      signal,
    });
    const parsed = parseResponse(zPagesResponse, res.data, 'the Facebook Pages list');
    for (const p of parsed.data) {
      out.push({ pageId: p.id, name: p.name ?? '', igUserId: p.instagram_business_account?.id ?? null });
    }
    const next = parsed.paging?.next ? parsed.paging.cursors?.after : undefined;
    if (!next || next === after || parsed.data.length === 0) break;
    after = next;
  }
  return out;
}

const zDebugToken = z.object({
  data: z.object({
    app_id: zId.optional(),
    type: z.string().optional(),
    application: z.string().optional(),
    data_access_expires_at: zNum.optional(),
    expires_at: zNum.optional(),
    is_valid: z.boolean(),
    issued_at: zNum.optional(),
    scopes: z.array(z.string()).optional(),
    granular_scopes: z
      .array(z.object({ scope: z.string(), target_ids: z.array(zId).optional() }))
      .optional(),
    user_id: zId.optional(),
    error: z.object({ code: z.number().optional(), message: z.string().optional(), subcode: z.number().optional() }).optional(),
  }),
});

export interface DebugTokenInfo {
  isValid: boolean;
  appId?: string;
  type?: string;
  application?: string;
  userId?: string;
  /** Epoch seconds; 0 means never expires. */
  expiresAt?: number;
  dataAccessExpiresAt?: number;
  issuedAt?: number;
  scopes: string[];
  granularScopes: Array<{ scope: string; targetIds: string[] }>;
  error?: { code?: number; message?: string; subcode?: number };
}

/** GET /debug_token with the app token `<appId>|<appSecret>` (sent in the Authorization header). */
export async function debugFacebookToken(
  http: GraphHttp,
  p: { appId: string; appSecret: string; token: string; signal?: AbortSignal },
): Promise<DebugTokenInfo> {
  registerSecret(p.appSecret);
  registerSecret(p.token);
  const appToken = `${p.appId}|${p.appSecret}`;
  registerSecret(appToken);
  const res = await http.request({
    host: 'facebook_graph',
    method: 'GET',
    path: '/debug_token',
    query: { input_token: p.token },
    token: appToken,
    signal: p.signal,
  });
  const d = parseResponse(zDebugToken, res.data, 'debug_token').data;
  return {
    isValid: d.is_valid,
    appId: d.app_id,
    type: d.type,
    application: d.application,
    userId: d.user_id,
    expiresAt: d.expires_at,
    dataAccessExpiresAt: d.data_access_expires_at,
    issuedAt: d.issued_at,
    scopes: d.scopes ?? [],
    granularScopes: (d.granular_scopes ?? []).map((g) => ({ scope: g.scope, targetIds: g.target_ids ?? [] })),
    error: d.error,
  };
}
