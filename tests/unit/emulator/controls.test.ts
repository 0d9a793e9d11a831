import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmulator } from '../../../src/emulator/index.js';
import { VirtualClock } from '../../../src/clock.js';
import { call, containerStatus, createImageContainer, publish, setup, type Harness } from './harness.js';
import { randomBytes } from 'node:crypto';

const TEST_SECRET_1 = `AQsecret-${randomBytes(8).toString('hex')}`;

const PUBLISH_PATH = /^\/\d+\/media_publish$/;

describe('rate limits and headers', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await setup({ seed: false, rateLimits: { callBudgetPerHour: 5 } });
  });
  afterEach(() => h.close());

  it('sends usage and trace headers on every Graph response', async () => {
    const res = await call(`${h.ig}/me`, { token: h.igToken, params: { fields: 'username' } });
    const appUsage = JSON.parse(res.headers.get('x-app-usage')!);
    expect(Object.keys(appUsage).sort()).toEqual(['call_count', 'total_cputime', 'total_time']);
    for (const value of Object.values(appUsage)) expect(Number.isInteger(value)).toBe(true);
    const buc = JSON.parse(res.headers.get('x-business-use-case-usage')!);
    expect(buc[h.businessId]).toEqual([
      { type: 'instagram', call_count: 20, total_cputime: 10, total_time: 15, estimated_time_to_regain_access: 0 },
    ]);
    expect(res.headers.get('x-fb-trace-id')).toBeTruthy();
    expect(res.headers.get('x-fb-request-id')).toBeTruthy();
    const error = await call(`${h.ig}/me`, { token: h.igToken, params: { fields: 'nope' } });
    expect(error.headers.get('x-app-usage')).toBeTruthy();
    expect(error.json.error.fbtrace_id).toBe(error.headers.get('x-fb-trace-id'));
  });

  it('throttles an account once its budget is spent (80002, transient) and recovers over emulator time', async () => {
    for (let i = 0; i < 5; i++) expect((await call(`${h.ig}/me`, { token: h.igToken })).status).toBe(200);
    const limited = await call(`${h.ig}/me`, { token: h.igToken });
    expect(limited.status).toBe(400);
    expect(limited.json.error).toMatchObject({
      code: 80002,
      is_transient: true,
      message: 'There have been too many calls to this Instagram account. Wait a bit and try again.',
    });
    const usage = JSON.parse(limited.headers.get('x-business-use-case-usage')!)[h.businessId][0];
    expect(usage.call_count).toBe(100);
    expect(usage.estimated_time_to_regain_access).toBe(60);
    // Another account is unaffected.
    const creator = h.emulator.issueToken({ userId: h.creatorId, loginType: 'instagram' });
    expect((await call(`${h.ig}/me`, { token: creator })).status).toBe(200);
    h.clock.advance(3_600_000);
    expect((await call(`${h.ig}/me`, { token: h.igToken })).status).toBe(200);
  });

  it('throttles the app with code 4 and answers the configured BUC code', async () => {
    h.emulator.setRateLimits({ appCallBudgetPerHour: 2, callBudgetPerHour: 100 });
    h.emulator.resetRateLimits();
    await call(`${h.ig}/me`, { token: h.igToken });
    await call(`${h.ig}/me`, { token: h.igToken });
    const app = await call(`${h.ig}/me`, { token: h.igToken });
    expect(app.json.error).toMatchObject({ code: 4, is_transient: true, message: '(#4) Application request limit reached' });
    expect(JSON.parse(app.headers.get('x-app-usage')!).call_count).toBe(100);

    h.emulator.setRateLimits({ appCallBudgetPerHour: 1000, callBudgetPerHour: 1, bucErrorCode: 613 });
    h.emulator.resetRateLimits();
    await call(`${h.ig}/me`, { token: h.igToken });
    expect((await call(`${h.ig}/me`, { token: h.igToken })).json.error.code).toBe(613);
  });
});

describe('faults, holds, latency and the request log', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await setup({ seed: false });
  });
  afterEach(() => h.close());

  it('plays a scripted sequence of faults on one endpoint', async () => {
    h.emulator.injectFaults({
      method: 'POST',
      path: PUBLISH_PATH,
      sequence: [{ type: 'graph_error', code: 2 }, { type: 'http_5xx', status: 503 }, 'none'],
    });
    const id = await createImageContainer(h);
    const first = await publish(h, id);
    expect(first.status).toBe(500);
    expect(first.headers.get('x-app-usage')).toBeTruthy();
    expect(first.json.error.fbtrace_id).toBe(first.headers.get('x-fb-trace-id'));
    expect(first.json.error).toMatchObject({ code: 2, is_transient: true, message: 'An unexpected error has occurred. Please retry your request later.' });
    const second = await publish(h, id);
    expect(second.status).toBe(503);
    expect(second.json).toBeUndefined();
    expect((await publish(h, id)).status).toBe(200);
    expect(h.emulator.publishedMedia()).toHaveLength(1);
  });

  it('injects a documented publishing error with subcode', async () => {
    h.emulator.injectFaults({ path: PUBLISH_PATH, kind: { type: 'graph_error', code: 4, subcode: 2207051 }, times: 1 });
    const res = await publish(h, await createImageContainer(h));
    expect(res.json.error).toMatchObject({
      code: 4,
      error_subcode: 2207051,
      message: 'We restrict certain activity to protect our community. Tell us if you think we made a mistake.',
    });
  });

  it('drops connections without applying the request', async () => {
    h.emulator.injectFaults({ path: PUBLISH_PATH, kind: { type: 'drop_connection' }, times: 1 });
    const id = await createImageContainer(h);
    await expect(publish(h, id)).rejects.toThrow();
    expect(h.emulator.publishedMedia()).toHaveLength(0);
    const entry = h.emulator.requestLog().find((e) => e.path.endsWith('/media_publish'))!;
    expect(entry).toMatchObject({ status: 0, fault: 'drop_connection' });
  });

  it('lost_response applies the publish and then vanishes (the duplicate-post trap)', async () => {
    h.emulator.injectFaults({ path: PUBLISH_PATH, kind: { type: 'lost_response' }, times: 1 });
    const id = await createImageContainer(h);
    await expect(publish(h, id)).rejects.toThrow();
    expect(h.emulator.publishedMedia()).toHaveLength(1);
    expect((await containerStatus(h, id)).json.status_code).toBe('PUBLISHED');
    const retry = await publish(h, id);
    expect(retry.json.error).toMatchObject({ code: 24, error_subcode: 2207008 });
    expect(h.emulator.publishedMedia()).toHaveLength(1);
  });

  it('slows responses on the emulator clock, and adds latency', async () => {
    h.emulator.injectFaults({ path: '/me', kind: { type: 'slow', ms: 30_000 }, times: 1 });
    const start = h.clock.now();
    expect((await call(`${h.ig}/me`, { token: h.igToken })).status).toBe(200);
    expect(h.clock.now() - start).toBe(30_000);
    h.emulator.setLatency(250);
    const before = h.clock.now();
    await call(`${h.ig}/me`, { token: h.igToken });
    expect(h.clock.now() - before).toBe(250);
  });

  it('applies rate-based faults deterministically from the seed', async () => {
    async function pattern(): Promise<number[]> {
      const clock = new VirtualClock();
      const emulator = createEmulator({ clock, seed: false, randomSeed: 42 });
      const base = await emulator.start();
      const token = emulator.issueToken({ userId: emulator.users.instagramBusiness.id, loginType: 'instagram' });
      emulator.injectFaults({ path: '/me', rate: 0.5, kind: { type: 'graph_error', code: 1 } });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await call(`${base}/graph.instagram.com/me`, { token })).status);
      await emulator.stop();
      return statuses;
    }
    const a = await pattern();
    expect(a).toEqual(await pattern());
    expect(a).toContain(500);
    expect(a).toContain(200);
  });

  it('holds matching requests until released', async () => {
    const id = await createImageContainer(h);
    const hold = h.emulator.hold({ method: 'POST', path: PUBLISH_PATH });
    const pending = publish(h, id);
    await hold.waitForRequest();
    expect(hold.heldCount).toBe(1);
    expect(h.emulator.publishedMedia()).toHaveLength(0);
    hold.release();
    expect((await pending).status).toBe(200);
    expect(h.emulator.publishedMedia()).toHaveLength(1);
    // Released holds stop holding.
    expect((await call(`${h.ig}/me`, { token: h.igToken })).status).toBe(200);
  });

  it('logs requests with every token and secret masked', async () => {
    await call(`${h.ig}/me`, { token: h.igToken, params: { fields: 'username' } });
    await call(`${h.ig}/me`, { token: h.igToken, auth: 'bearer' });
    await call(`${h.emulator.urls.instagramApi}/oauth/access_token`, {
      method: 'POST',
      params: { client_id: h.emulator.apps.instagramAppId, client_secret: h.emulator.apps.instagramAppSecret, code: TEST_SECRET_1, grant_type: 'authorization_code', redirect_uri: 'https://x.example/cb' },
    });
    await call(`${h.emulator.urls.instagramGraph}/access_token`, {
      params: { grant_type: 'ig_exchange_token', client_secret: h.emulator.apps.instagramAppSecret, access_token: h.igToken },
    });
    const log = h.emulator.requestLog();
    const text = JSON.stringify(log);
    expect(text).not.toContain(h.igToken);
    expect(text).not.toContain(h.emulator.apps.instagramAppSecret);
    expect(text).not.toContain(TEST_SECRET_1);
    expect(log[0]).toMatchObject({ method: 'GET', hostRole: 'instagram_graph', path: '/me', version: 'v24.0', status: 200 });
    expect(log[0]!.params).toEqual({ fields: 'username', access_token: 'IGAA[masked]' });
    expect(log[1]!.headers['authorization']).toBe('Bearer IGAA[masked]');
    expect(log[2]!.hostRole).toBe('instagram_api');
    expect(log[2]!.params['client_secret']).toBe('[masked]');
    h.emulator.clearLog();
    expect(h.emulator.requestLog()).toEqual([]);
  });
});

describe('admin API', () => {
  let h: Harness;
  let admin: string;
  beforeEach(async () => {
    h = await setup({ seed: false });
    admin = `${h.emulator.baseUrl}/__emulator`;
  });
  afterEach(() => h.close());

  async function adminCall(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
    const res = await fetch(`${admin}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: (await res.json()) as any };
  }

  it('reports state and issues tokens for seeded users', async () => {
    const state = await adminCall('GET', '/state');
    expect(state.json.users.instagramBusiness.id).toBe(h.businessId);
    expect(state.json.urls.instagramGraph).toBe(h.emulator.urls.instagramGraph);
    const token = await adminCall('POST', '/tokens', { userId: h.businessId, loginType: 'instagram' });
    expect(token.json).toMatchObject({ token_type: 'bearer', expires_in: 5184000 });
    expect((await call(`${h.ig}/me`, { token: token.json.access_token })).status).toBe(200);
    const fbToken = await adminCall('POST', '/tokens', { userId: h.fbIgId, loginType: 'facebook', lifetime: 'short' });
    expect(fbToken.json.access_token).toMatch(/^EAA/);
    expect(fbToken.json.expires_in).toBe(3600);
  });

  it('controls clock, faults, processing, holds and lists published media', async () => {
    const advanced = await adminCall('POST', '/clock/advance', { ms: 1000 });
    expect(advanced.json.now).toBe(h.clock.now());

    await adminCall('POST', '/faults', { path: '^/\\d+/media_publish$', sequence: [{ type: 'graph_error', code: 9007, subcode: 2207027 }] });
    const id = await createImageContainer(h);
    expect((await publish(h, id)).json.error).toMatchObject({ code: 9007, error_subcode: 2207027 });
    await adminCall('DELETE', '/faults');

    await adminCall('POST', '/processing', { video: 60_000 });
    expect(h.emulator.state.config.processing.videoMs).toBe(60_000);

    const hold = await adminCall('POST', '/holds', { method: 'POST', path: '/media_publish$' });
    const pending = publish(h, id);
    // The admin API has no "wait"; the in-process hold it created announces the held request.
    await h.emulator.holdById(hold.json.id)!.waitForRequest();
    expect((await adminCall('GET', `/holds/${hold.json.id}`)).json).toEqual({ id: hold.json.id, heldCount: 1 });
    expect((await adminCall('POST', `/holds/${hold.json.id}/release`)).json).toEqual({ ok: true, released: 1 });
    expect((await pending).status).toBe(200);
    const published = await adminCall('GET', '/published');
    expect(published.json.data).toHaveLength(1);
    const requests = await adminCall('GET', '/requests');
    expect(requests.json.requests.length).toBeGreaterThan(0);
  });

  it('is unreachable through the Graph prefixes', async () => {
    const res = await call(`${h.emulator.urls.instagramGraph}/__emulator/state`, { token: h.igToken });
    expect(res.json.error).toMatchObject({ code: 100, error_subcode: 33 });
    const viaVersion = await call(`${h.ig}/__emulator/tokens`, { method: 'POST', token: h.igToken });
    expect(viaVersion.json).toHaveProperty('error');
    expect(viaVersion.json).not.toHaveProperty('access_token');
  });
});
