import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJsonLossless } from '../../../src/json.js';
import { completeAuthorization } from '../../../src/emulator/index.js';
import { call, setup, type Harness } from './harness.js';

const REDIRECT = 'https://app.example.com/auth/callback';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function authorizeUrl(h: Harness, extra: Record<string, string> = {}): string {
  const url = new URL(h.emulator.urls.instagramAuthorize);
  url.search = new URLSearchParams({
    client_id: h.emulator.apps.instagramAppId,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'instagram_business_basic,instagram_business_content_publish',
    state: 'csrf-123',
    ...extra,
  }).toString();
  return url.toString();
}

async function getCode(h: Harness): Promise<string> {
  const location = await completeAuthorization(authorizeUrl(h));
  return new URL(location).searchParams.get('code')!;
}

function exchange(h: Harness, code: string, overrides: Record<string, string> = {}, body: 'form' | 'json' = 'form') {
  return call(`${h.emulator.urls.instagramApi}/oauth/access_token`, {
    method: 'POST',
    body,
    params: {
      client_id: h.emulator.apps.instagramAppId,
      client_secret: h.emulator.apps.instagramAppSecret,
      grant_type: 'authorization_code',
      redirect_uri: REDIRECT,
      code,
      ...overrides,
    },
  });
}

describe('Instagram Login', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await setup({ seed: false });
  });
  afterEach(() => h.close());

  it('redirects from the authorize page with code, state and #_', async () => {
    const res = await call(authorizeUrl(h));
    expect(res.status).toBe(302);
    const location = res.headers.get('location')!;
    expect(location.startsWith(REDIRECT + '?')).toBe(true);
    expect(location.endsWith('#_')).toBe(true);
    const url = new URL(location);
    expect(url.searchParams.get('code')).toMatch(/^AQ/);
    expect(url.searchParams.get('state')).toBe('csrf-123');
  });

  it('accepts the api.instagram.com authorize URL too', async () => {
    const url = authorizeUrl(h).replace('/www.instagram.com/', '/api.instagram.com/');
    const location = await completeAuthorization(url);
    expect(new URL(location).searchParams.get('code')).toMatch(/^AQ/);
  });

  it('redirects with the documented access_denied error when the user denies', async () => {
    h.emulator.setDenyingUser(true);
    const location = await completeAuthorization(authorizeUrl(h));
    expect(location).toContain('error=access_denied&error_reason=user_denied&error_description=The+user+denied+your+request');
    expect(new URL(location).searchParams.get('code')).toBeNull();
  });

  it('rejects an unknown client_id on the authorize page', async () => {
    const res = await call(authorizeUrl(h, { client_id: '123' }));
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error_type: 'OAuthException', code: 400, error_message: 'Invalid platform app' });
  });

  it('exchanges a code for a short-lived token: flat shape with user_id as an unquoted number > 2^53', async () => {
    const res = await exchange(h, await getCode(h));
    expect(res.status).toBe(200);
    expect(res.text).toMatch(new RegExp(`"user_id":${h.businessId}[,}]`));
    expect(BigInt(h.businessId) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    const body = parseJsonLossless(res.text) as { access_token: string; user_id: string; permissions: string[] };
    expect(body.user_id).toBe(h.businessId);
    expect(body.access_token).toMatch(/^IGAA/);
    expect(body.permissions).toEqual(['instagram_business_basic', 'instagram_business_content_publish']);
    // Short-lived: valid now, 190/463 after an hour.
    const me = await call(`${h.ig}/me`, { token: body.access_token, params: { fields: 'user_id' } });
    expect(me.json.user_id).toBe(h.businessId);
    h.clock.advance(HOUR);
    const expired = await call(`${h.ig}/me`, { token: body.access_token });
    expect(expired.json.error).toMatchObject({ code: 190, error_subcode: 463 });
  });

  it('answers the data-wrapper shape when configured', async () => {
    const other = await setup({ seed: false, codeExchangeShape: 'data' });
    try {
      const res = await exchange(other, await getCode(other));
      expect(res.json.data[0]).toMatchObject({
        user_id: other.businessId,
        permissions: 'instagram_business_basic,instagram_business_content_publish',
      });
      expect(res.json.data[0].access_token).toMatch(/^IGAA/);
    } finally {
      await other.close();
    }
  });

  it('refuses a JSON body on the code exchange', async () => {
    const res = await exchange(h, await getCode(h), {}, 'json');
    expect(res.status).toBe(400);
    expect(res.json.error_type).toBe('OAuthException');
    expect(res.json.error_message).toMatch(/Missing required field client_id/);
  });

  it('accepts multipart/form-data (curl -F) on the code exchange', async () => {
    const code = await getCode(h);
    const form = new FormData();
    form.set('client_id', h.emulator.apps.instagramAppId);
    form.set('client_secret', h.emulator.apps.instagramAppSecret);
    form.set('grant_type', 'authorization_code');
    form.set('redirect_uri', REDIRECT);
    form.set('code', code);
    const res = await fetch(`${h.emulator.urls.instagramApi}/oauth/access_token`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/"access_token":"IGAA/);
  });

  it('uses codes once, for one hour, with the same redirect_uri and the right secret', async () => {
    const code = await getCode(h);
    expect((await exchange(h, code, { client_secret: 'wrong' })).json.error_message).toBe('Error validating client secret.');
    expect((await exchange(h, code, { redirect_uri: REDIRECT + '/other' })).json.error_message).toMatch(/redirect_uri is identical/);
    expect((await exchange(h, code)).status).toBe(200);
    const again = await exchange(h, code);
    expect(again.status).toBe(400);
    expect(again.json.error_message).toBe('This authorization code has been used');
    const late = await getCode(h);
    h.clock.advance(HOUR);
    expect((await exchange(h, late)).json.error_message).toBe('This authorization code has expired');
    expect((await exchange(h, 'AQnot-a-code')).json.error_message).toBe('Invalid authorization code');
  });

  it('exchanges a short-lived token for a 60-day token, which expires with 190/463', async () => {
    const short = h.emulator.issueToken({ userId: h.businessId, loginType: 'instagram', lifetime: 'short' });
    const res = await call(`${h.emulator.urls.instagramGraph}/access_token`, {
      params: { grant_type: 'ig_exchange_token', client_secret: h.emulator.apps.instagramAppSecret, access_token: short },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ token_type: 'bearer', expires_in: 5184000 });
    const long = res.json.access_token as string;
    expect(long).toMatch(/^IGAA/);
    h.clock.advance(60 * DAY - 1000);
    expect((await call(`${h.ig}/me`, { token: long })).status).toBe(200);
    h.clock.advance(1000);
    const expired = await call(`${h.ig}/me`, { token: long });
    expect(expired.status).toBe(400);
    expect(expired.json.error).toMatchObject({ code: 190, error_subcode: 463, type: 'OAuthException' });
    expect(expired.json.error.message).toMatch(
      /^Error validating access token: Session has expired on \w+, \d{2}-\w{3}-\d{2} \d{2}:\d{2}:\d{2} P[SD]T\. The current time is .+\.$/,
    );
  });

  it('refuses the long-lived exchange with a wrong secret or an expired short-lived token', async () => {
    const short = h.emulator.issueToken({ userId: h.businessId, loginType: 'instagram', lifetime: 'short' });
    const url = `${h.emulator.urls.instagramGraph}/access_token`;
    const bad = await call(url, { params: { grant_type: 'ig_exchange_token', client_secret: 'nope', access_token: short } });
    expect(bad.json.error.message).toBe('Error validating client secret.');
    h.clock.advance(HOUR);
    const late = await call(url, {
      params: { grant_type: 'ig_exchange_token', client_secret: h.emulator.apps.instagramAppSecret, access_token: short },
    });
    expect(late.json.error).toMatchObject({ code: 190, error_subcode: 463 });
  });

  it('refuses to refresh a token younger than 24 h, refreshes it afterwards for 60 days from the refresh', async () => {
    const url = `${h.emulator.urls.instagramGraph}/refresh_access_token`;
    const token = h.emulator.issueToken({ userId: h.businessId, loginType: 'instagram' });
    const young = await call(url, { params: { grant_type: 'ig_refresh_token', access_token: token } });
    expect(young.status).toBe(400);
    expect(young.json.error.code).toBe(190);
    expect(young.json.error.message).toMatch(/less than 24 hours ago and cannot be refreshed yet/);

    h.clock.advance(DAY);
    const ok = await call(url, { params: { grant_type: 'ig_refresh_token', access_token: token } });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ token_type: 'bearer', expires_in: 5184000 });
    const refreshed = ok.json.access_token as string;
    expect(refreshed).not.toBe(token);
    // The old token dies 60 days after its issue; the refreshed one 60 days after the refresh.
    h.clock.advance(59 * DAY);
    expect((await call(`${h.ig}/me`, { token })).json.error).toMatchObject({ code: 190, error_subcode: 463 });
    expect((await call(`${h.ig}/me`, { token: refreshed })).status).toBe(200);
    h.clock.advance(DAY);
    expect((await call(`${h.ig}/me`, { token: refreshed })).json.error).toMatchObject({ code: 190, error_subcode: 463 });
    // An expired token cannot be refreshed.
    const dead = await call(url, { params: { grant_type: 'ig_refresh_token', access_token: refreshed } });
    expect(dead.json.error).toMatchObject({ code: 190, error_subcode: 463 });
  });

  it('refreshes an unversioned path and a versioned one alike', async () => {
    const token = h.emulator.issueToken({ userId: h.businessId, loginType: 'instagram', issuedAt: h.clock.now() - 2 * DAY });
    const res = await call(`${h.ig}/refresh_access_token`, { params: { grant_type: 'ig_refresh_token', access_token: token } });
    expect(res.status).toBe(200);
  });
});

describe('Facebook Login', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await setup({ seed: false });
  });
  afterEach(() => h.close());

  function dialogUrl(extra: Record<string, string> = {}): string {
    const url = new URL(`${h.emulator.urls.facebookDialog}/v24.0/dialog/oauth`);
    url.search = new URLSearchParams({
      client_id: h.emulator.apps.facebookAppId,
      redirect_uri: REDIRECT,
      state: 'fb-state',
      response_type: 'code',
      scope: 'instagram_basic,instagram_content_publish,pages_show_list,pages_read_engagement',
      ...extra,
    }).toString();
    return url.toString();
  }

  it('runs dialog → code → short-lived token → long-lived token', async () => {
    const location = await completeAuthorization(dialogUrl());
    const url = new URL(location);
    expect(url.searchParams.get('state')).toBe('fb-state');
    const code = url.searchParams.get('code')!;
    const base = { client_id: h.emulator.apps.facebookAppId, client_secret: h.emulator.apps.facebookAppSecret };
    const res = await call(`${h.fb}/oauth/access_token`, { params: { ...base, redirect_uri: REDIRECT, code } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ token_type: 'bearer', expires_in: 3600 });
    expect(res.json.access_token).toMatch(/^EAA/);
    const again = await call(`${h.fb}/oauth/access_token`, { params: { ...base, redirect_uri: REDIRECT, code } });
    expect(again.json.error).toMatchObject({ code: 100, error_subcode: 36009 });

    const long = await call(`${h.fb}/oauth/access_token`, {
      params: { ...base, grant_type: 'fb_exchange_token', fb_exchange_token: res.json.access_token },
    });
    expect(long.json).toMatchObject({ token_type: 'bearer', expires_in: 5184000 });
    expect(long.json.access_token).toMatch(/^EAA/);
  });

  it('redirects with access_denied when the user cancels', async () => {
    h.emulator.setDenyingUser(true);
    const location = await completeAuthorization(dialogUrl());
    const url = new URL(location);
    expect(url.searchParams.get('error')).toBe('access_denied');
    expect(url.searchParams.get('error_reason')).toBe('user_denied');
  });

  it('lists two pages, only one with instagram_business_account, and resolves the page', async () => {
    const res = await call(`${h.fb}/me/accounts`, {
      token: h.fbToken,
      params: { fields: 'id,name,access_token,instagram_business_account' },
    });
    expect(res.status).toBe(200);
    expect(res.json.data).toHaveLength(2);
    const [linked, unlinked] = res.json.data;
    expect(linked).toMatchObject({ id: h.emulator.users.linkedPage.id, instagram_business_account: { id: h.fbIgId } });
    expect(linked.access_token).toMatch(/^EAA/);
    expect(unlinked.id).toBe(h.emulator.users.unlinkedPage.id);
    expect(unlinked).not.toHaveProperty('instagram_business_account');
    expect(res.json.paging.cursors).toHaveProperty('after');

    const plain = await call(`${h.fb}/me/accounts`, { token: h.fbToken });
    expect(Object.keys(plain.json.data[0]).sort()).toEqual(['access_token', 'category', 'category_list', 'id', 'name', 'tasks']);

    const page = await call(`${h.fb}/${h.emulator.users.linkedPage.id}`, {
      token: h.fbToken,
      params: { fields: 'instagram_business_account' },
    });
    expect(page.json).toEqual({ instagram_business_account: { id: h.fbIgId }, id: h.emulator.users.linkedPage.id });

    // The page token reaches the linked IG account too.
    const viaPage = await call(`${h.fb}/${h.fbIgId}`, { token: linked.access_token, params: { fields: 'username' } });
    expect(viaPage.json).toEqual({ username: 'sandbox_coffee', id: h.fbIgId });
  });

  it('introspects tokens with debug_token', async () => {
    const appToken = `${h.emulator.apps.facebookAppId}|${h.emulator.apps.facebookAppSecret}`;
    const res = await call(`${h.fb}/debug_token`, { params: { input_token: h.fbToken, access_token: appToken } });
    expect(res.status).toBe(200);
    expect(res.json.data).toMatchObject({
      app_id: h.emulator.apps.facebookAppId,
      type: 'USER',
      is_valid: true,
      user_id: h.emulator.users.facebookUser.id,
    });
    expect(res.json.data.scopes).toContain('instagram_basic');
    expect(res.json.data.granular_scopes.find((g: { scope: string }) => g.scope === 'instagram_basic').target_ids).toEqual([h.fbIgId]);
    h.clock.advance(61 * DAY);
    const expired = await call(`${h.fb}/debug_token`, { params: { input_token: h.fbToken, access_token: appToken } });
    expect(expired.json.data.is_valid).toBe(false);
    expect(expired.json.data.error).toMatchObject({ code: 190, subcode: 463 });
  });
});
