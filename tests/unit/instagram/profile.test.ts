import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GraphError } from '../../../src/instagram/errors.js';
import { graphHostFor } from '../../../src/instagram/account.js';
import { detectLoginType, getIgUserProfile, getInstagramLoginProfile } from '../../../src/instagram/profile.js';
import { graphError, makeHttp, sendJson, startStub, type Stub } from './stub.js';
import { testToken } from '../../helpers/secrets.js';

const IG_TOKEN = testToken('IGAA', 'token1234567890', 19);
const FB_TOKEN = testToken('EAA', 'token1234567890', 18);
const IG_UNPROBED_TOKEN = testToken('IGAA', 'abcdefghijkl', 16);
const FB_UNPROBED_TOKEN = testToken('EAA', 'abcdefghijkl', 15);

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

const ME =
  '{"user_id":17841405793187218,"username":"metricsaurus","name":"Metricsaurus","account_type":"BUSINESS","profile_picture_url":"https://x/p.jpg","followers_count":1204,"follows_count":87,"media_count":312,"id":"7590346257705434"}';

describe('profiles', () => {
  it('graphHostFor routes each login type to its host', () => {
    expect(graphHostFor('instagram')).toBe('instagram_graph');
    expect(graphHostFor('facebook')).toBe('facebook_graph');
  });

  it('reads the Instagram Login /me (user_id vs id, lossless)', async () => {
    stub.handler = (_r, res) => sendJson(res, 200, ME);
    const p = await getInstagramLoginProfile(fixture.http, IG_TOKEN);
    expect(p).toEqual({
      igUserId: '17841405793187218',
      appScopedId: '7590346257705434',
      username: 'metricsaurus',
      name: 'Metricsaurus',
      accountType: 'BUSINESS',
      profilePictureUrl: 'https://x/p.jpg',
      followersCount: 1204,
      followsCount: 87,
      mediaCount: 312,
    });
    const seen = stub.requests[0]!;
    expect(seen.path).toBe('/graph.instagram.com/v24.0/me');
    expect(seen.query.get('fields')).toBe('user_id,username,name,account_type,profile_picture_url,followers_count,follows_count,media_count');
    expect(seen.url).not.toContain('access_token');
  });

  it('reads an IG user on the Facebook host', async () => {
    stub.handler = (_r, res) =>
      sendJson(res, 200, { id: '17841405822304914', username: 'metricsaurus', biography: 'Dino data', website: 'http://m.com/', followers_count: 5 });
    const p = await getIgUserProfile(fixture.http, { igUserId: '17841405822304914', loginType: 'facebook', accessToken: FB_TOKEN });
    expect(p).toMatchObject({ igUserId: '17841405822304914', username: 'metricsaurus', biography: 'Dino data', website: 'http://m.com/', followersCount: 5 });
    const seen = stub.requests[0]!;
    expect(seen.path).toBe('/graph.facebook.com/v24.0/17841405822304914');
    expect(seen.query.get('fields')).toContain('biography');
    expect(seen.headers['authorization']).toBe(`Bearer ${FB_TOKEN}`);
  });

  it('reads an Instagram Login account through /me', async () => {
    stub.handler = (_r, res) => sendJson(res, 200, ME);
    const p = await getIgUserProfile(fixture.http, { igUserId: '17841405793187218', loginType: 'instagram', accessToken: IG_TOKEN });
    expect(p.igUserId).toBe('17841405793187218');
    expect(stub.requests[0]!.path).toBe('/graph.instagram.com/v24.0/me');
  });
});

describe('detectLoginType', () => {
  it('uses the token prefix without calling', async () => {
    expect(await detectLoginType(fixture.http, IG_UNPROBED_TOKEN)).toBe('instagram');
    expect(await detectLoginType(fixture.http, FB_UNPROBED_TOKEN)).toBe('facebook');
    expect(stub.requests).toHaveLength(0);
  });

  it('probes graph.instagram.com then graph.facebook.com', async () => {
    stub.handler = (r, res) =>
      r.path.startsWith('/graph.instagram.com') ? graphError(res, 190, { message: 'Cannot parse access token' }) : sendJson(res, 200, { id: '1', name: 'x' });
    expect(await detectLoginType(fixture.http, 'opaque-token-1234567890')).toBe('facebook');
    expect(stub.requests.map((r) => r.path)).toEqual(['/graph.instagram.com/v24.0/me', '/graph.facebook.com/v24.0/me']);
  });

  it('accepts an unprefixed Instagram token', async () => {
    stub.handler = (_r, res) => sendJson(res, 200, { user_id: '1', username: 'u', id: '2' });
    expect(await detectLoginType(fixture.http, 'opaque-token-1234567890')).toBe('instagram');
  });

  it('throws a clear error when neither host accepts it', async () => {
    stub.handler = (_r, res) => graphError(res, 190, { message: 'Invalid OAuth access token' });
    const err = await detectLoginType(fixture.http, 'opaque-token-1234567890').catch((e) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect(err.kind).toBe('reauth');
    expect(err.message).toMatch(/neither graph\.instagram\.com .* nor graph\.facebook\.com/);
  });

  it('does not guess on a network/transient failure', async () => {
    stub.handler = (_r, res) => graphError(res, 2, { status: 500 });
    const local = makeHttp(stub, { maxRetries: 0 });
    const err = await detectLoginType(local.http, 'opaque-token-1234567890').catch((e) => e);
    await local.http.close();
    expect(err.kind).toBe('transient');
    expect(stub.requests).toHaveLength(1);
  });
});
