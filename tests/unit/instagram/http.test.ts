import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock.js';
import { GraphError } from '../../../src/instagram/errors.js';
import { GraphHttp, joinUrl, parseAppUsage, parseBucUsage } from '../../../src/instagram/http.js';
import { graphError, makeHttp, sendJson, startStub, type Stub } from './stub.js';
import { testToken } from '../../helpers/secrets.js';
import { randomBytes } from 'node:crypto';

const TEST_SECRET_1 = `super-${randomBytes(8).toString('hex')}`;

const IG_TEST_TOKEN = testToken('IGAA', 'testtoken1234567890', 23);

const TOKEN = IG_TEST_TOKEN;

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

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('URLs, auth and bodies', () => {
  it('sends the token only in the Authorization header, under the versioned, prefixed path', async () => {
    stub.handler = (_r, res) => sendJson(res, 200, { id: '1' });
    await fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/me', query: { fields: 'user_id,username' }, token: TOKEN });
    const seen = stub.requests[0]!;
    expect(seen.path).toBe('/graph.instagram.com/v24.0/me');
    expect(seen.query.get('fields')).toBe('user_id,username');
    expect(seen.url).not.toContain('access_token');
    expect(seen.url).not.toContain(TOKEN);
    expect(seen.headers['authorization']).toBe(`Bearer ${TOKEN}`);
  });

  it('keeps each host prefix, honours versioned:false and the OAuth scheme', async () => {
    await fixture.http.request({ host: 'facebook_graph', method: 'GET', path: '/17841400000000001/media' });
    await fixture.http.request({ host: 'instagram_api', method: 'POST', path: '/oauth/access_token', versioned: false, form: { a: 'b' } });
    await fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/refresh_access_token', versioned: false });
    await fixture.http.request({ host: 'rupload', method: 'POST', path: '/ig-api-upload/v24.0/55', token: TOKEN, tokenScheme: 'OAuth' });
    expect(stub.requests.map((r) => r.path)).toEqual([
      '/graph.facebook.com/v24.0/17841400000000001/media',
      '/api.instagram.com/oauth/access_token',
      '/graph.instagram.com/refresh_access_token',
      '/rupload.facebook.com/ig-api-upload/v24.0/55',
    ]);
    expect(stub.requests[3]!.headers['authorization']).toBe(`OAuth ${TOKEN}`);
  });

  it('joinUrl never replaces a base path prefix', () => {
    expect(joinUrl('http://h:1/pre/fix/', '/v24.0', '/me')).toBe('http://h:1/pre/fix/v24.0/me');
    expect(joinUrl('https://graph.instagram.com', 'v24.0', 'me')).toBe('https://graph.instagram.com/v24.0/me');
  });

  it('encodes form and JSON bodies', async () => {
    await fixture.http.request({ host: 'instagram_graph', method: 'POST', path: '/x', form: { caption: 'a b&c', n: 3, t: true, skip: undefined } });
    await fixture.http.request({ host: 'instagram_graph', method: 'POST', path: '/y', json: { recipient: { id: '1' } } });
    const [form, json] = stub.requests;
    expect(form!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(form!.form.get('caption')).toBe('a b&c');
    expect(form!.form.get('n')).toBe('3');
    expect(form!.form.get('t')).toBe('true');
    expect(form!.form.has('skip')).toBe(false);
    expect(json!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(json!.body.toString())).toEqual({ recipient: { id: '1' } });
  });

  it('parses bodies losslessly and tolerates non-JSON bodies', async () => {
    stub.handler = (r, res) => {
      if (r.path.endsWith('/big')) sendJson(res, 200, '{"user_id":17841400000000123,"small":42}');
      else {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('plain text');
      }
    };
    const big = await fixture.http.request<{ user_id: string; small: number }>({ host: 'instagram_graph', method: 'GET', path: '/big' });
    expect(big.data.user_id).toBe('17841400000000123');
    expect(big.data.small).toBe(42);
    const text = await fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/text' });
    expect(text.data).toBe('plain text');
    expect(text.headers['content-type']).toBe('text/plain');
  });

  it('never logs a token, a secret query parameter or a URL query string', async () => {
    stub.handler = (_r, res) => graphError(res, 100, { message: 'bad' });
    await expect(
      fixture.http.request({
        host: 'instagram_graph',
        method: 'GET',
        path: '/access_token',
        versioned: false,
        query: { grant_type: 'ig_exchange_token', client_secret: TEST_SECRET_1, access_token: 'shorttokenvalue123' },
      }),
    ).rejects.toBeInstanceOf(GraphError);
    await fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/me', token: TOKEN }).catch(() => {});
    const all = fixture.logs.join('\n');
    expect(fixture.logs.length).toBeGreaterThan(0);
    expect(all).not.toContain(TEST_SECRET_1);
    expect(all).not.toContain('shorttokenvalue123');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('grant_type');
  });

  it('treats a 200 carrying an error object as an error', async () => {
    stub.handler = (_r, res) => sendJson(res, 200, { error: { code: 100, message: 'x' } });
    await expect(fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/me' })).rejects.toMatchObject({ kind: 'invalid_input' });
  });
});

describe('retries', () => {
  it('retries a GET on HTTP 500 with exponential full-jitter backoff on the virtual clock', async () => {
    let n = 0;
    stub.handler = (_r, res) => (++n < 3 ? sendJson(res, 500, 'oops') : sendJson(res, 200, { ok: true }));
    const start = fixture.clock.now();
    const res = await fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/me' });
    expect(res.data).toEqual({ ok: true });
    expect(stub.requests).toHaveLength(3);
    // random() = 0.5: 0.5 × 500 + 0.5 × 1000
    expect(fixture.clock.now() - start).toBe(250 + 500);
    expect(fixture.infos.map((i) => [i.attempt, i.status])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
  });

  it('retries a GET on code 2 and gives up after maxRetries', async () => {
    stub.handler = (_r, res) => graphError(res, 2, { status: 500, transient: true });
    const err = await fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/me' }).catch((e) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect(err.kind).toBe('transient');
    expect(stub.requests).toHaveLength(4); // 1 + maxRetries(3)
  });

  it('caps the backoff at maxBackoffMs', async () => {
    const local = makeHttp(stub, { random: () => 0.999, baseBackoffMs: 1000, maxBackoffMs: 1500, maxRetries: 3 });
    stub.handler = (_r, res) => graphError(res, 1, { status: 500 });
    const start = local.clock.now();
    await local.http.request({ host: 'instagram_graph', method: 'GET', path: '/me' }).catch(() => {});
    // floor(0.999×1000) + floor(0.999×1500) × 2
    expect(local.clock.now() - start).toBe(999 + 1498 + 1498);
    await local.http.close();
  });

  it('retries a GET after a dropped connection', async () => {
    let n = 0;
    stub.handler = (_r, res, raw) => {
      if (++n === 1) raw.socket.destroy();
      else sendJson(res, 200, { ok: 1 });
    };
    const res = await fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/me' });
    expect(res.data).toEqual({ ok: 1 });
    expect(stub.requests).toHaveLength(2);
    expect(fixture.infos[0]!.status).toBe(0);
  });

  it('does NOT retry a write on code 2', async () => {
    stub.handler = (_r, res) => graphError(res, 2, { status: 500, transient: true });
    const err = await fixture.http
      .request({ host: 'instagram_graph', method: 'POST', path: '/1/media_publish', form: { creation_id: '9' } })
      .catch((e) => e);
    expect(err.kind).toBe('transient');
    expect(err.notApplied).toBe(false);
    expect(stub.requests).toHaveLength(1);
  });

  it('does NOT retry a write after a dropped connection: network, notApplied false', async () => {
    stub.handler = (_r, _res, raw) => {
      raw.socket.destroy();
    };
    const err = await fixture.http
      .request({ host: 'instagram_graph', method: 'POST', path: '/1/media_publish', form: { creation_id: '9' } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect(err.kind).toBe('network');
    expect(err.notApplied).toBe(false);
    expect(stub.requests).toHaveLength(1);
  });

  it('does not retry a write on code 4 (a throttling answer does not prove the publish was not applied)', async () => {
    stub.handler = (_r, res) => graphError(res, 4, { transient: true });
    const err = await fixture.http.request({ host: 'instagram_graph', method: 'POST', path: '/1/media_publish', form: { creation_id: '9' } }).catch((e) => e);
    expect(err).toMatchObject({ kind: 'rate_limited', code: 4, notApplied: false });
    expect(stub.requests).toHaveLength(1);
  });

  it('still retries a read on code 4', async () => {
    let n = 0;
    stub.handler = (_r, res) => (++n === 1 ? graphError(res, 4, { transient: true }) : sendJson(res, 200, { id: '777' }));
    const res = await fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/1' });
    expect(res.data).toEqual({ id: '777' });
    expect(stub.requests).toHaveLength(2);
  });

  it('does not retry a write on the 4/2207051 spam block', async () => {
    stub.handler = (_r, res) => graphError(res, 4, { subcode: 2207051 });
    const err = await fixture.http.request({ host: 'instagram_graph', method: 'POST', path: '/1/media_publish' }).catch((e) => e);
    expect(err.kind).toBe('rate_limited');
    expect(err.notApplied).toBe(false);
    expect(stub.requests).toHaveLength(1);
  });

  it('retries an idempotent_write like a read', async () => {
    let n = 0;
    stub.handler = (_r, res) => (++n === 1 ? graphError(res, 2, { status: 500 }) : sendJson(res, 200, { id: '5' }));
    await fixture.http.request({ host: 'instagram_graph', method: 'POST', path: '/1/media', retry: 'idempotent_write' });
    expect(stub.requests).toHaveLength(2);
  });

  it('does not retry permanent errors', async () => {
    stub.handler = (_r, res) => graphError(res, 190, { subcode: 463 });
    const err = await fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/me' }).catch((e) => e);
    expect(err.kind).toBe('reauth');
    expect(stub.requests).toHaveLength(1);
  });

  it('connection refused: notApplied, so even a write is retried, then thrown as network', async () => {
    const port = await freePort();
    const clock = new VirtualClock();
    let attempts = 0;
    const http = new GraphHttp({
      baseUrls: {
        instagramGraph: `http://127.0.0.1:${port}/ig`,
        facebookGraph: `http://127.0.0.1:${port}/fb`,
        instagramApi: `http://127.0.0.1:${port}/api`,
        rupload: `http://127.0.0.1:${port}/ru`,
      },
      apiVersion: 'v24.0',
      clock,
      maxRetries: 2,
      random: () => 0,
      onRequest: () => attempts++,
    });
    const err = await http.request({ host: 'instagram_graph', method: 'POST', path: '/1/media_publish' }).catch((e) => e);
    await http.close();
    expect(err).toBeInstanceOf(GraphError);
    expect(err.kind).toBe('network');
    expect(err.notApplied).toBe(true);
    expect(attempts).toBe(3);
  });

  it('times out an attempt (network, not applied unknown)', async () => {
    const local = makeHttp(stub, { timeoutMs: 100, maxRetries: 0 });
    stub.handler = () => {
      /* never answers */
    };
    const err = await local.http.request({ host: 'instagram_graph', method: 'GET', path: '/slow' }).catch((e) => e);
    await local.http.close();
    expect(err.kind).toBe('network');
    expect(err.notApplied).toBe(false);
    expect(err.message).toMatch(/100 ms/);
  });
});

describe('rate limits and usage', () => {
  it('parses X-App-Usage and X-Business-Use-Case-Usage', async () => {
    stub.handler = (_r, res) =>
      sendJson(res, 200, {}, {
        'x-app-usage': '{"call_count":28,"total_time":25,"total_cputime":12}',
        'x-business-use-case-usage':
          '{"17841405822304914":[{"type":"instagram","call_count":12,"total_cputime":3,"total_time":5,"estimated_time_to_regain_access":0}]}',
      });
    await fixture.http.request({ host: 'facebook_graph', method: 'GET', path: '/me' });
    const u = fixture.http.usage();
    expect(u.app).toMatchObject({ callCount: 28, totalTime: 25, totalCputime: 12 });
    expect(u.accounts['17841405822304914']).toEqual([
      { type: 'instagram', callCount: 12, totalCputime: 3, totalTime: 5, estimatedTimeToRegainAccessMin: 0, at: fixture.clock.now() },
    ]);
    expect(u.blockedUntil).toEqual({});
  });

  it('tolerates absent and malformed usage headers', async () => {
    stub.handler = (_r, res) => sendJson(res, 200, {}, { 'x-app-usage': '{not json', 'x-business-use-case-usage': '[1,2' });
    await fixture.http.request({ host: 'facebook_graph', method: 'GET', path: '/me' });
    expect(fixture.http.usage()).toEqual({ app: undefined, accounts: {}, blockedUntil: {} });
    expect(parseAppUsage('"x"', 0)).toBeUndefined();
    expect(parseAppUsage(undefined, 0)).toBeUndefined();
    expect(parseBucUsage('{"1":"nope","2":[null,{"call_count":"7"}]}', 5)).toEqual({
      '2': [{ type: 'unknown', callCount: 7, totalTime: 0, totalCputime: 0, estimatedTimeToRegainAccessMin: 0, at: 5 }],
    });
  });

  it('slows down calls for an account whose usage is above the threshold', async () => {
    let usage = 95;
    stub.handler = (_r, res) =>
      sendJson(res, 200, {}, {
        'x-business-use-case-usage': JSON.stringify({ '111': [{ type: 'instagram', call_count: usage, total_time: 1, total_cputime: 1 }] }),
      });
    await fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/a', accountId: '111' });
    const t0 = fixture.clock.now();
    await fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/b', accountId: '222' });
    expect(fixture.clock.now() - t0).toBe(0); // other account: no delay
    await fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/c', accountId: '111' });
    const delayed = fixture.clock.now() - t0;
    // 95 % with threshold 80 → (95 - 80 + 1) / 21 of the 5 s maximum
    expect(delayed).toBe(Math.round((5000 * 16) / 21));
    usage = 10;
    await fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/d', accountId: '111' });
    const t1 = fixture.clock.now();
    await fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/e', accountId: '111' });
    expect(fixture.clock.now() - t1).toBe(0);
  });

  it('slow-down grows with usage and is capped', () => {
    const http = fixture.http as unknown as { appUsage: unknown; slowDownDelay(a?: string): number };
    const at = fixture.clock.now();
    http.appUsage = { callCount: 79, totalTime: 0, totalCputime: 0, at };
    expect(http.slowDownDelay()).toBe(0);
    http.appUsage = { callCount: 85, totalTime: 0, totalCputime: 0, at };
    const mid = http.slowDownDelay();
    http.appUsage = { callCount: 100, totalTime: 0, totalCputime: 0, at };
    const full = http.slowDownDelay();
    http.appUsage = { callCount: 250, totalTime: 0, totalCputime: 0, at };
    expect(mid).toBeGreaterThan(0);
    expect(full).toBeGreaterThan(mid);
    expect(http.slowDownDelay()).toBe(full);
    expect(full).toBe(5000);
  });

  it('honours estimated_time_to_regain_access: blockedUntil and fail fast without calling', async () => {
    stub.handler = (_r, res) =>
      graphError(res, 80002, {
        transient: true,
        headers: {
          'x-business-use-case-usage': JSON.stringify({
            '17841400000000001': [{ type: 'instagram', call_count: 100, total_time: 20, total_cputime: 10, estimated_time_to_regain_access: 5 }],
          }),
        },
      });
    const now = fixture.clock.now();
    const err = await fixture.http
      .request({ host: 'instagram_graph', method: 'GET', path: '/x', accountId: '17841400000000001' })
      .catch((e) => e);
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAfterMs).toBe(5 * 60_000); // > 60 s cap: thrown instead of waiting
    expect(stub.requests).toHaveLength(1);
    expect(fixture.http.usage().blockedUntil).toEqual({ '17841400000000001': now + 300_000 });

    // Fails fast while blocked: the stub sees nothing.
    const fast = await fixture.http
      .request({ host: 'instagram_graph', method: 'GET', path: '/y', accountId: '17841400000000001' })
      .catch((e) => e);
    expect(fast).toBeInstanceOf(GraphError);
    expect(fast.kind).toBe('rate_limited');
    expect(fast.notApplied).toBe(true);
    expect(fast.retryAfterMs).toBe(300_000);
    expect(stub.requests).toHaveLength(1);

    // Another account is not blocked.
    stub.handler = (_r, res) => sendJson(res, 200, { ok: true });
    await fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/z', accountId: '999' });
    expect(stub.requests).toHaveLength(2);

    // After the block, calls flow again.
    fixture.clock.advance(300_001);
    await fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/y', accountId: '17841400000000001' });
    expect(stub.requests).toHaveLength(3);
    expect(fixture.http.usage().blockedUntil).toEqual({});
  });

  it('tells the store of a throttle it is given, and holds back for one another process was given', async () => {
    const told: Array<[string, number]> = [];
    const a = makeHttp(stub, { onBlock: (key, until) => told.push([key, until]) });
    const b = makeHttp(stub);
    stub.handler = (_r, res) =>
      graphError(res, 80002, {
        transient: true,
        headers: { 'x-business-use-case-usage': JSON.stringify({ '17841400000000001': [{ type: 'instagram', call_count: 100, total_time: 20, total_cputime: 10, estimated_time_to_regain_access: 5 }] }) },
      });
    const now = a.clock.now();
    await a.http.request({ host: 'instagram_graph', method: 'GET', path: '/x', accountId: '17841400000000001' }).catch(() => null);
    expect(told).toEqual([['17841400000000001', now + 300_000]]);
    // The same block seen again is not told twice.
    await a.http.request({ host: 'instagram_graph', method: 'GET', path: '/x', accountId: '17841400000000001' }).catch(() => null);
    expect(told).toHaveLength(1);

    // Another process (b) adopts it from the store: it refuses without calling Meta, and only for that key.
    stub.handler = (_r, res) => sendJson(res, 200, { ok: true });
    const before = stub.requests.length;
    b.http.adoptBlocks({ '17841400000000001': b.clock.now() + 300_000, '17841400000000002': b.clock.now() - 1 });
    const refused = await b.http.request({ host: 'instagram_graph', method: 'GET', path: '/y', accountId: '17841400000000001' }).catch((e) => e);
    expect(refused).toBeInstanceOf(GraphError);
    expect(refused.kind).toBe('rate_limited');
    expect(stub.requests.length).toBe(before);
    await b.http.request({ host: 'instagram_graph', method: 'GET', path: '/z', accountId: '17841400000000002' });
    expect(stub.requests.length).toBe(before + 1);
    await a.http.close();
    await b.http.close();
  });

  it('shares the usage Meta reports and slows down for usage another process saw', async () => {
    const told: Array<[string, number, unknown]> = [];
    const a = makeHttp(stub, { onUsage: (key, at, usage) => told.push([key, at, usage]) });
    const b = makeHttp(stub, { maxSlowDownMs: 4_000 });
    const headersAt = (pct: number) => ({
      'x-app-usage': JSON.stringify({ call_count: 10, total_time: 5, total_cputime: 2 }),
      'x-business-use-case-usage': JSON.stringify({ '17841400000000001': [{ type: 'instagram', call_count: pct, total_time: 1, total_cputime: 1, estimated_time_to_regain_access: 0 }] }),
    });
    stub.handler = (_r, res) => sendJson(res, 200, { ok: true }, headersAt(95));
    await a.http.request({ host: 'instagram_graph', method: 'GET', path: '/x', accountId: '17841400000000001' });
    expect(told.map(([key]) => key).sort()).toEqual(['17841400000000001', 'app']);
    const account = told.find(([key]) => key === '17841400000000001')!;
    expect(account[2]).toEqual([expect.objectContaining({ type: 'instagram', callCount: 95 })]);
    // The same figures again are not shared again (until 30 s have passed); changed ones are.
    await a.http.request({ host: 'instagram_graph', method: 'GET', path: '/x', accountId: '17841400000000001' });
    expect(told).toHaveLength(2);
    stub.handler = (_r, res) => sendJson(res, 200, { ok: true }, headersAt(96));
    await a.http.request({ host: 'instagram_graph', method: 'GET', path: '/x', accountId: '17841400000000001' });
    expect(told.filter(([key]) => key === '17841400000000001')).toHaveLength(2);

    // b never called Meta: it adopts the shared figures (through JSON, as from the store) and slows down for that account only.
    expect(b.http.slowDownDelay('17841400000000001')).toBe(0);
    b.http.adoptUsage(told.map(([key, at, usage]) => ({ key, observedAt: at, usage: JSON.parse(JSON.stringify(usage)) as unknown })));
    expect(b.http.slowDownDelay('17841400000000001')).toBeGreaterThan(0);
    expect(b.http.slowDownDelay('17841400000000002')).toBe(0);
    expect(b.http.usage().accounts['17841400000000001']![0]!.callCount).toBe(96);
    // Older than what b saw itself, or not the shape written: ignored.
    b.http.adoptUsage([
      { key: '17841400000000001', observedAt: 1, usage: [{ type: 'instagram', callCount: 1, totalTime: 1, totalCputime: 1, estimatedTimeToRegainAccessMin: 0 }] },
      { key: 'app', observedAt: b.clock.now() + 1, usage: { callCount: 'lots' } },
    ]);
    expect(b.http.usage().accounts['17841400000000001']![0]!.callCount).toBe(96);
    expect(b.http.usage().app!.callCount).toBe(10);
    await a.http.close();
    await b.http.close();
  });

  it('waits a short estimated_time_to_regain_access then retries', async () => {
    let n = 0;
    stub.handler = (_r, res) =>
      ++n === 1
        ? graphError(res, 17, {
            transient: true,
            headers: { 'x-business-use-case-usage': '{"42":[{"type":"instagram","call_count":100,"total_time":1,"total_cputime":1,"estimated_time_to_regain_access":1}]}' },
          })
        : sendJson(res, 200, { ok: true });
    const start = fixture.clock.now();
    const res = await fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/me', accountId: '42' });
    expect(res.data).toEqual({ ok: true });
    expect(fixture.clock.now() - start).toBeGreaterThanOrEqual(60_000);
  });

  it('a code 4 throttle with a wait blocks the whole app', async () => {
    stub.handler = (_r, res) =>
      graphError(res, 4, {
        headers: { 'x-business-use-case-usage': '{"42":[{"type":"instagram","call_count":100,"total_time":1,"total_cputime":1,"estimated_time_to_regain_access":10}]}' },
      });
    await fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/me', accountId: '42' }).catch(() => {});
    expect(Object.keys(fixture.http.usage().blockedUntil).sort()).toEqual(['42', 'app']);
    await expect(fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/me', accountId: '7' })).rejects.toMatchObject({
      kind: 'rate_limited',
    });
    expect(stub.requests).toHaveLength(1);
  });
});

describe('hostile or broken answers', () => {
  it('refuses an answer larger than the cap while it streams, without buffering it', async () => {
    const { http } = makeHttp(stub, { maxResponseBytes: 1024 * 1024 });
    let sent = 0;
    stub.handler = (_r, res) => {
      // 50 MB would be sent if the client kept reading: it must stop near the cap.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data":[');
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (sent < 50 * 1024 * 1024) {
          if (res.destroyed) return; // the client hung up
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end(']}');
      };
      pump();
    };
    const err = await http.request({ host: 'instagram_graph', method: 'GET', path: '/me/media' }).catch((e) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect(err.message).toMatch(/larger than 1 MiB/);
    expect(err.isTransient).toBe(false);
    expect(stub.requests).toHaveLength(1); // not retried
    expect(sent).toBeLessThan(50 * 1024 * 1024); // the client hung up long before the end
    await http.close();
  });

  it('refuses a number literal no Graph value could have', async () => {
    stub.handler = (_r, res) => sendJson(res, 200, `{"id":"1","followers_count":${'9'.repeat(100_000)}}`);
    const err = await fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/me' }).catch((e) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect(err.message).toMatch(/number longer than 64 characters/);
  });

  it('caps a throttle estimate at 24 hours and says so', async () => {
    stub.handler = (_r, res) =>
      graphError(res, 80002, {
        headers: { 'x-business-use-case-usage': JSON.stringify({ '42': [{ type: 'instagram', call_count: 100, total_time: 1, total_cputime: 1, estimated_time_to_regain_access: 999_999_999 }] }) },
      });
    const now = fixture.clock.now();
    const err = await fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/me', accountId: '42' }).catch((e) => e);
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAfterMs).toBe(24 * 60 * 60_000);
    expect(err.hint).toMatch(/at most 24 hours/);
    expect(fixture.http.usage().blockedUntil['42']).toBe(now + 24 * 60 * 60_000);
  });
});

describe('cancellation', () => {
  it('an AbortSignal cancels an in-flight request', async () => {
    stub.handler = () => {
      /* never answers */
    };
    const controller = new AbortController();
    const pending = fixture.http.request({ host: 'instagram_graph', method: 'GET', path: '/slow', signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const err = await pending.catch((e) => e);
    expect(err).not.toBeInstanceOf(GraphError);
    expect((err as Error).name).toBe('AbortError');
  });

  it('an AbortSignal cancels a backoff sleep', async () => {
    const controller = new AbortController();
    stub.handler = (_r, res) => {
      controller.abort();
      sendJson(res, 500, 'x');
    };
    const err = await fixture.http
      .request({ host: 'instagram_graph', method: 'GET', path: '/me', signal: controller.signal })
      .catch((e) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(stub.requests).toHaveLength(1);
  });

  it('an already aborted signal makes no call', async () => {
    const err = await fixture.http
      .request({ host: 'instagram_graph', method: 'GET', path: '/me', signal: AbortSignal.abort() })
      .catch((e) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(stub.requests).toHaveLength(0);
  });
});
