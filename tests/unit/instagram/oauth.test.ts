import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GraphError } from '../../../src/instagram/errors.js';
import {
  buildFacebookDialogUrl,
  buildInstagramAuthorizeUrl,
  createPkce,
  createState,
  debugFacebookToken,
  exchangeFacebookCode,
  exchangeFacebookLongLived,
  exchangeInstagramCode,
  exchangeInstagramLongLived,
  FACEBOOK_SCOPES,
  INSTAGRAM_SCOPES,
  listFacebookPages,
  parseCallbackUrl,
  refreshInstagramToken,
} from '../../../src/instagram/oauth.js';
import { graphError, makeHttp, sendJson, startStub, type Stub } from './stub.js';
import { testToken } from '../../helpers/secrets.js';
import { randomBytes } from 'node:crypto';

const TEST_SECRET_1 = `app-${randomBytes(8).toString('hex')}`;
const TEST_SECRET_2 = `fb-${randomBytes(8).toString('hex')}`;
const TEST_SECRET_3 = `s-${randomBytes(8).toString('hex')}`;

const IG_SHORT_TOKEN = testToken('IGAA', 'short1234567890', 19);
const IG_LONG_TOKEN = testToken('IGAA', 'long1234567890', 18);
const IG_NEW_TOKEN = testToken('IGAA', 'new1234567890', 17);
const IG_OLD_TOKEN = testToken('IGAA', 'old1234567890', 17);
const FB_SHORT_TOKEN = testToken('EAA', 'short1234567890', 18);
const FB_LONG_TOKEN = testToken('EAA', 'long1234567890', 17);
const FB_USER_TOKEN = testToken('EAA', 'user1234567890', 17);

let stub: Stub;
let fixture: ReturnType<typeof makeHttp>;

beforeEach(async () => {
  stub = await startStub();
  fixture = makeHttp(stub);
});

afterEach(async () => {
  await fixture.http.close();
  await stub.close();
});

describe('authorization URLs', () => {
  it('builds the Instagram authorize URL with comma scopes and PKCE', async () => {
    const pkce = await createPkce();
    expect(pkce.codeVerifier.length).toBeGreaterThanOrEqual(43);
    expect(pkce.codeChallenge).not.toBe(pkce.codeVerifier);
    const state = createState();
    const url = new URL(
      buildInstagramAuthorizeUrl({
        authorizeUrl: 'http://127.0.0.1:9/www.instagram.com/oauth/authorize',
        appId: '990602627938098',
        redirectUri: 'https://example.com/auth/',
        state,
        codeChallenge: pkce.codeChallenge,
      }),
    );
    expect(url.pathname).toBe('/www.instagram.com/oauth/authorize');
    expect(url.searchParams.get('client_id')).toBe('990602627938098');
    expect(url.searchParams.get('redirect_uri')).toBe('https://example.com/auth/');
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('scope')).toBe(INSTAGRAM_SCOPES.join(','));
    expect(url.searchParams.get('scope')).toBe(
      'instagram_business_basic,instagram_business_content_publish,instagram_business_manage_comments,instagram_business_manage_insights',
    );
    expect(url.searchParams.get('state')).toBe(state);
    expect(url.searchParams.get('code_challenge')).toBe(pkce.codeChallenge);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  });

  it('builds the Facebook dialog URL under a prefixed base', () => {
    const url = new URL(
      buildFacebookDialogUrl({
        dialogBaseUrl: 'http://127.0.0.1:9/www.facebook.com/',
        apiVersion: 'v24.0',
        appId: '123',
        redirectUri: 'https://example.com/cb',
        state: 's1',
      }),
    );
    expect(url.pathname).toBe('/www.facebook.com/v24.0/dialog/oauth');
    expect(url.searchParams.get('scope')).toBe(FACEBOOK_SCOPES.join(','));
    expect(url.searchParams.get('scope')).toContain('business_management');
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('state')).toBe('s1');
  });
});

describe('parseCallbackUrl', () => {
  it('reads code and state from a redirected URL and strips #_', () => {
    expect(parseCallbackUrl('https://example.com/auth/?code=AQBx-hBsH3abc&state=xyz#_')).toEqual({ code: 'AQBx-hBsH3abc', state: 'xyz' });
  });
  it('accepts a bare code with or without #_', () => {
    expect(parseCallbackUrl('AQBx-hBsH3abc#_')).toEqual({ code: 'AQBx-hBsH3abc' });
    expect(parseCallbackUrl('  AQBx-hBsH3abc  ')).toEqual({ code: 'AQBx-hBsH3abc' });
  });
  it('accepts a query string', () => {
    expect(parseCallbackUrl('?code=abc123456&state=s')).toEqual({ code: 'abc123456', state: 's' });
  });
  it('reports a cancelled login', () => {
    expect(
      parseCallbackUrl('https://example.com/auth/?error=access_denied&error_reason=user_denied&error_description=The+user+denied+your+request&state=s#_'),
    ).toEqual({
      state: 's',
      error: { error: 'access_denied', reason: 'user_denied', description: 'The user denied your request' },
    });
  });
  it('returns nothing for an empty input', () => {
    expect(parseCallbackUrl('  ')).toEqual({});
  });
});

describe('Instagram Login token endpoints', () => {
  it('exchanges a code (flat shape, numeric user_id kept exact, array permissions)', async () => {
    stub.handler = (_r, res) =>
      sendJson(res, 200, `{"access_token":"${IG_SHORT_TOKEN}","user_id":17841405793187218,"permissions":["instagram_business_basic","instagram_business_content_publish"]}`);
    const out = await exchangeInstagramCode(fixture.http, {
      appId: '990602627938098',
      appSecret: 'a1b2C3D4secret',
      redirectUri: 'https://example.com/auth/',
      code: 'AQBx-hBsH3#_',
    });
    expect(out).toEqual({
      accessToken: IG_SHORT_TOKEN,
      userId: '17841405793187218',
      permissions: ['instagram_business_basic', 'instagram_business_content_publish'],
    });
    const seen = stub.requests[0]!;
    expect(seen.method).toBe('POST');
    expect(seen.path).toBe('/api.instagram.com/oauth/access_token');
    expect(seen.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(seen.form)).toEqual({
      client_id: '990602627938098',
      client_secret: 'a1b2C3D4secret',
      grant_type: 'authorization_code',
      redirect_uri: 'https://example.com/auth/',
      code: 'AQBx-hBsH3',
    });
    expect(seen.url).not.toContain('secret');
  });

  it('exchanges a code (data[] shape, string user_id, comma-separated permissions)', async () => {
    stub.handler = (_r, res) =>
      sendJson(res, 200, {
        data: [{ access_token: IG_SHORT_TOKEN, user_id: '17841405793187218', permissions: 'instagram_business_basic,instagram_business_content_publish' }],
      });
    const out = await exchangeInstagramCode(fixture.http, { appId: '1', appSecret: TEST_SECRET_3, redirectUri: 'r', code: 'c', codeVerifier: 'v'.repeat(43) });
    expect(out).toEqual({
      accessToken: IG_SHORT_TOKEN,
      userId: '17841405793187218',
      permissions: ['instagram_business_basic', 'instagram_business_content_publish'],
    });
    expect(stub.requests[0]!.form.get('code_verifier')).toBe('v'.repeat(43));
  });

  it('does not retry a code exchange on a transient error (single-use code)', async () => {
    stub.handler = (_r, res) => graphError(res, 2, { status: 500 });
    await expect(exchangeInstagramCode(fixture.http, { appId: '1', appSecret: 's', redirectUri: 'r', code: 'c' })).rejects.toBeInstanceOf(GraphError);
    expect(stub.requests).toHaveLength(1);
  });

  it('rejects an unexpected shape with a GraphError', async () => {
    stub.handler = (_r, res) => sendJson(res, 200, { hello: 'world' });
    await expect(exchangeInstagramCode(fixture.http, { appId: '1', appSecret: 's', redirectUri: 'r', code: 'c' })).rejects.toMatchObject({
      kind: 'unknown',
    });
  });

  it('exchanges for a long-lived token (unversioned GET, documented query params)', async () => {
    stub.handler = (_r, res) => sendJson(res, 200, { access_token: IG_LONG_TOKEN, token_type: 'bearer', expires_in: 5184000 });
    const out = await exchangeInstagramLongLived(fixture.http, { appSecret: TEST_SECRET_1, shortToken: IG_SHORT_TOKEN });
    expect(out).toEqual({ accessToken: IG_LONG_TOKEN, expiresIn: 5184000 });
    const seen = stub.requests[0]!;
    expect(seen.method).toBe('GET');
    expect(seen.path).toBe('/graph.instagram.com/access_token');
    expect(seen.query.get('grant_type')).toBe('ig_exchange_token');
    expect(seen.query.get('client_secret')).toBe(TEST_SECRET_1);
    expect(seen.query.get('access_token')).toBe(IG_SHORT_TOKEN);
    expect(fixture.logs.join('\n')).not.toContain(TEST_SECRET_1);
  });

  it('refreshes a long-lived token', async () => {
    stub.handler = (_r, res) => sendJson(res, 200, { access_token: IG_NEW_TOKEN, token_type: 'bearer', expires_in: 5183944 });
    const out = await refreshInstagramToken(fixture.http, { token: IG_OLD_TOKEN });
    expect(out).toEqual({ accessToken: IG_NEW_TOKEN, expiresIn: 5183944 });
    const seen = stub.requests[0]!;
    expect(seen.path).toBe('/graph.instagram.com/refresh_access_token');
    expect(seen.query.get('grant_type')).toBe('ig_refresh_token');
    expect(seen.query.get('access_token')).toBe(IG_OLD_TOKEN);
  });

  it('surfaces an expired token on refresh as reauth', async () => {
    stub.handler = (_r, res) => graphError(res, 190, { subcode: 463, message: 'Session has expired' });
    await expect(refreshInstagramToken(fixture.http, { token: IG_OLD_TOKEN })).rejects.toMatchObject({ kind: 'reauth', subcode: 463 });
  });
});

describe('Facebook Login', () => {
  it('exchanges a code on the versioned FB host', async () => {
    stub.handler = (_r, res) => sendJson(res, 200, { access_token: FB_SHORT_TOKEN, token_type: 'bearer' });
    const out = await exchangeFacebookCode(fixture.http, { appId: '123', appSecret: TEST_SECRET_2, redirectUri: 'https://e/cb', code: 'CODE123#_' });
    expect(out).toEqual({ accessToken: FB_SHORT_TOKEN });
    const seen = stub.requests[0]!;
    expect(seen.path).toBe('/graph.facebook.com/v24.0/oauth/access_token');
    expect(Object.fromEntries(seen.query)).toEqual({ client_id: '123', redirect_uri: 'https://e/cb', client_secret: TEST_SECRET_2, code: 'CODE123' });
  });

  it('exchanges for a long-lived token', async () => {
    stub.handler = (_r, res) => sendJson(res, 200, { access_token: FB_LONG_TOKEN, token_type: 'bearer', expires_in: 5183944 });
    const out = await exchangeFacebookLongLived(fixture.http, { appId: '123', appSecret: TEST_SECRET_2, token: FB_SHORT_TOKEN });
    expect(out).toEqual({ accessToken: FB_LONG_TOKEN, expiresIn: 5183944 });
    const q = stub.requests[0]!.query;
    expect(q.get('grant_type')).toBe('fb_exchange_token');
    expect(q.get('fb_exchange_token')).toBe(FB_SHORT_TOKEN);
  });

  it('lists Pages with their IG account, following paging', async () => {
    stub.handler = (r, res) => {
      expect(r.headers['authorization']).toBe(`Bearer ${FB_USER_TOKEN}`);
      expect(r.url).not.toContain('access_token');
      if (!r.query.get('after')) {
        sendJson(
          res,
          200,
          '{"data":[{"id":"134895793791914","name":"Metricsaurus","access_token":"EAApage1","instagram_business_account":{"id":"17841405309211844"}},{"id":"2","name":"No IG"}],"paging":{"cursors":{"before":"B","after":"CUR1"},"next":"https://graph.facebook.com/v24.0/me/accounts?after=CUR1"}}',
        );
      } else {
        expect(r.query.get('after')).toBe('CUR1');
        sendJson(res, 200, { data: [{ id: '3', name: 'Third', instagram_business_account: { id: '17841400000000003' } }], paging: { cursors: { after: 'CUR2' } } });
      }
    };
    const pages = await listFacebookPages(fixture.http, FB_USER_TOKEN);
    expect(pages).toEqual([
      { pageId: '134895793791914', name: 'Metricsaurus', igUserId: '17841405309211844' },
      { pageId: '2', name: 'No IG', igUserId: null },
      { pageId: '3', name: 'Third', igUserId: '17841400000000003' },
    ]);
    expect(stub.requests).toHaveLength(2);
    expect(stub.requests[0]!.path).toBe('/graph.facebook.com/v24.0/me/accounts');
    expect(stub.requests[0]!.query.get('fields')).toBe('id,name,instagram_business_account');
  });

  it('debugs a token with the app token in the header', async () => {
    stub.handler = (_r, res) =>
      sendJson(res, 200, {
        data: {
          app_id: '123',
          type: 'USER',
          application: 'App',
          expires_at: 1790000000,
          data_access_expires_at: 1795000000,
          is_valid: true,
          issued_at: 1780000000,
          scopes: ['instagram_basic', 'pages_show_list'],
          granular_scopes: [{ scope: 'instagram_basic', target_ids: ['17841405309211844'] }],
          user_id: '10158',
        },
      });
    const info = await debugFacebookToken(fixture.http, { appId: '123', appSecret: TEST_SECRET_2, token: FB_USER_TOKEN });
    expect(info).toMatchObject({
      isValid: true,
      appId: '123',
      type: 'USER',
      expiresAt: 1790000000,
      scopes: ['instagram_basic', 'pages_show_list'],
      granularScopes: [{ scope: 'instagram_basic', targetIds: ['17841405309211844'] }],
      userId: '10158',
    });
    const seen = stub.requests[0]!;
    expect(seen.path).toBe('/graph.facebook.com/v24.0/debug_token');
    expect(seen.query.get('input_token')).toBe(FB_USER_TOKEN);
    expect(seen.headers['authorization']).toBe(`Bearer 123|${TEST_SECRET_2}`);
  });
});
