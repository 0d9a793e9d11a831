import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, setup, type Harness } from './harness.js';

describe('tokens', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await setup({ seed: false });
  });
  afterAll(() => h.close());

  it('answers 104 when no token is sent', async () => {
    const res = await call(`${h.ig}/me`);
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({
      code: 104,
      type: 'OAuthException',
      message: 'An access token is required to request this resource.',
    });
    expect(res.json.error.fbtrace_id).toBe(res.headers.get('x-fb-trace-id'));
  });

  it('answers 190 for an unknown token', async () => {
    const res = await call(`${h.ig}/me`, { token: `IGAA${randomBytes(12).toString('hex')}` });
    expect(res.json.error).toMatchObject({ code: 190, message: 'Invalid OAuth access token - Cannot parse access token' });
  });

  it('rejects an Instagram token on graph.facebook.com and a Facebook token on graph.instagram.com', async () => {
    const onFb = await call(`${h.fb}/${h.fbIgId}`, { token: h.igToken });
    expect(onFb.json.error).toMatchObject({ code: 190, message: 'Invalid OAuth access token - Cannot parse access token' });
    expect(onFb.headers.get('www-authenticate')).toMatch(/^OAuth "Facebook Platform" "invalid_token"/);
    const onIg = await call(`${h.ig}/me`, { token: h.fbToken });
    expect(onIg.json.error).toMatchObject({ code: 190, message: 'Invalid OAuth access token - Cannot parse access token' });
  });

  it('accepts the token as query, form body, Bearer or OAuth header', async () => {
    for (const auth of ['param', 'bearer', 'oauth'] as const) {
      const res = await call(`${h.ig}/me`, { token: h.igToken, auth, params: { fields: 'username' } });
      expect(res.json).toMatchObject({ username: 'sandbox_bakery' });
    }
    const viaBody = await call(`${h.ig}/${h.businessId}/media`, {
      method: 'POST',
      token: h.igToken,
      params: { image_url: h.files.url('/square.jpg') },
      body: 'json',
    });
    expect(viaBody.status).toBe(200);
  });

  it('answers the permission error when a scope is missing', async () => {
    const basicOnly = h.emulator.issueToken({ userId: h.businessId, loginType: 'instagram', scopes: ['instagram_business_basic'] });
    const res = await call(`${h.ig}/${h.businessId}/media`, {
      method: 'POST',
      token: basicOnly,
      params: { image_url: h.files.url('/square.jpg') },
    });
    expect(res.status).toBe(403);
    expect(res.json.error).toMatchObject({ code: 10, message: '(#10) Application does not have permission for this action' });
    const noPages = h.emulator.issueToken({ userId: h.emulator.users.facebookUser.id, loginType: 'facebook', scopes: ['instagram_basic'] });
    expect((await call(`${h.fb}/me/accounts`, { token: noPages })).json.error.code).toBe(10);
  });

  it('treats the version prefix as optional', async () => {
    const res = await call(`${h.emulator.urls.instagramGraph}/me`, { token: h.igToken, params: { fields: 'username' } });
    expect(res.json.username).toBe('sandbox_bakery');
  });
});

describe('profiles', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await setup();
  });
  afterAll(() => h.close());

  it('answers /me with user_id differing from the app-scoped id, and the counts', async () => {
    const res = await call(`${h.ig}/me`, {
      token: h.igToken,
      params: { fields: 'user_id,username,name,account_type,profile_picture_url,followers_count,follows_count,media_count' },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      user_id: h.businessId,
      username: 'sandbox_bakery',
      account_type: 'BUSINESS',
      followers_count: 1204,
      follows_count: 87,
      media_count: 30,
    });
    expect(res.json.id).toBe(h.emulator.users.instagramBusiness.appScopedId);
    expect(res.json.id).not.toBe(res.json.user_id);
    expect(Object.keys(res.json).at(-1)).toBe('id');
  });

  it('returns only the id without fields, and always the id', async () => {
    expect((await call(`${h.ig}/me`, { token: h.igToken })).json).toEqual({ id: h.emulator.users.instagramBusiness.appScopedId });
    expect((await call(`${h.ig}/me`, { token: h.igToken, params: { fields: 'username' } })).json).toHaveProperty('id');
  });

  it('serves the MEDIA_CREATOR account and its user id path', async () => {
    const token = h.emulator.issueToken({ userId: h.creatorId, loginType: 'instagram' });
    const res = await call(`${h.ig}/${h.creatorId}`, { token, params: { fields: 'account_type,username,user_id' } });
    expect(res.json).toMatchObject({ account_type: 'MEDIA_CREATOR', username: 'sandbox_creator', user_id: h.creatorId });
  });

  it('fails the whole call on an unknown field', async () => {
    const res = await call(`${h.ig}/me`, { token: h.igToken, params: { fields: 'username,foo' } });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 100, message: '(#100) Tried accessing nonexisting field (foo) on node type (User)' });
  });

  it("answers 100/33 for another account's id", async () => {
    const res = await call(`${h.ig}/${h.creatorId}`, { token: h.igToken, params: { fields: 'username' } });
    expect(res.json.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
    expect(res.json.error.message).toMatch(
      new RegExp(`^Unsupported get request\\. Object with ID '${h.creatorId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`),
    );
  });

  it('serves the Facebook-Login IG user on graph.facebook.com', async () => {
    const res = await call(`${h.fb}/${h.fbIgId}`, { token: h.fbToken, params: { fields: 'biography,id,username,website,followers_count' } });
    expect(res.json).toMatchObject({ id: h.fbIgId, username: 'sandbox_coffee', followers_count: 3410 });
    const me = await call(`${h.fb}/me`, { token: h.fbToken });
    expect(me.json).toEqual({ name: 'Sandbox Owner', id: h.emulator.users.facebookUser.id });
  });

  it('answers unknown edges of a known node with "Unknown path components"', async () => {
    const res = await call(`${h.ig}/me/nothing_here`, { token: h.igToken });
    expect(res.json.error).toMatchObject({ code: 2500, message: 'Unknown path components: /nothing_here' });
  });
});
