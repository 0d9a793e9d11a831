/**
 * The HTTP transports stay bounded (issue #12, item 10): Streamable HTTP sessions left unused expire
 * on the injected clock and free their server; each owner has a cap on concurrent sessions (both
 * transports) that refuses the next one clearly and never touches another owner; JSON-RPC batches are
 * refused on the protocol versions that removed them; and `/uploads` holds at most a per-owner quota of
 * bytes and files, refusing early and keeping nothing of a refused body.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { VirtualClock } from '../../../src/clock.js';
import { startHttpServer, type HttpServerHandle } from '../../../src/transports/http.js';
import { startHarness, type Harness } from '../../helpers/harness.js';
import { jpeg } from '../publishing/helpers.js';
import { openLegacySse, rawRequest, streamableClient, type RawResponse } from './httpKit.js';

const MINUTE = 60 * 1000;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const aliceToken = `alice-${randomBytes(16).toString('hex')}`;
const bobToken = `bob-${randomBytes(16).toString('hex')}`;
const json = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const asAlice = { ...json, authorization: `Bearer ${aliceToken}` };
const asBob = { ...json, authorization: `Bearer ${bobToken}` };

async function httpHarness(env: Record<string, string> = {}): Promise<{ h: Harness; clock: VirtualClock; handle: HttpServerHandle; base: string }> {
  const h = await startHarness({ env: { INSTAGRAM_MCP_HTTP_TOKENS: `alice=${aliceToken},bob=${bobToken}`, INSTAGRAM_MCP_TRANSPORT: 'http', ...env } });
  cleanups.push(() => h.close());
  const handle = await startHttpServer(h.app, { port: 0, host: '127.0.0.1' });
  cleanups.push(() => handle.close());
  return { h, clock: h.clock as VirtualClock, handle, base: handle.url };
}

const initialize = (protocolVersion = '2025-06-18', id: number | string = 1) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });

/** An initialize by hand, as an abandoned client leaves it: no initialized notification, no DELETE. */
async function openRawSession(base: string, headers: Record<string, string>, protocolVersion = '2025-06-18'): Promise<string> {
  const res = await rawRequest(`${base}/mcp`, { method: 'POST', headers, body: initialize(protocolVersion) });
  expect(res.status, res.body).toBe(200);
  const id = res.headers['mcp-session-id'];
  expect(typeof id).toBe('string');
  return id as string;
}

function toolsList(base: string, headers: Record<string, string>, sessionId: string, protocolVersion = '2025-06-18'): Promise<RawResponse> {
  return rawRequest(`${base}/mcp`, {
    method: 'POST',
    headers: { ...headers, 'mcp-session-id': sessionId, 'mcp-protocol-version': protocolVersion },
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }),
  });
}

/** Lets the server see what the loopback sockets did (a client's stream closing); never waits on time. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 20_000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(condition(), what).toBe(true);
}

function jsonRpcError(res: RawResponse): { code: number; message: string } {
  return (JSON.parse(res.body) as { error: { code: number; message: string } }).error;
}

describe('Streamable HTTP sessions expire when unused', () => {
  it('closes sessions unused for the idle time (their server freed, the old id answers 404 "re-initialize"), counting from the last request, and keeps a connected client', async () => {
    const { clock, handle, base } = await httpHarness({ INSTAGRAM_MCP_SESSION_IDLE_MINUTES: '30' });
    const abandoned = [await openRawSession(base, asAlice), await openRawSession(base, asAlice), await openRawSession(base, asBob)];
    const usedLater = await openRawSession(base, asAlice);
    // A real client that quits without DELETE leaves its session behind too.
    const quitter = await streamableClient(base, aliceToken, 'quitter');
    const quitterSession = quitter.sessionId()!;
    await quitter.close();
    // A client still connected (its GET stream open) is in use, however long it stays quiet.
    const connected = await streamableClient(base, aliceToken, 'connected');
    cleanups.push(() => connected.close());
    expect(handle.sessions().filter((s) => s.transport === 'streamable')).toHaveLength(6);
    await until(() => handle.sessions().filter((s) => s.idle).length === 5, 'five sessions idle once the quitter is gone');

    clock.advance(20 * MINUTE);
    expect((await toolsList(base, asAlice, usedLater)).status).toBe(200);
    clock.advance(11 * MINUTE); // 31 minutes since the others were last used, 11 since usedLater was
    const left = handle.sessions();
    expect(left).toHaveLength(2);
    for (const old of [...abandoned.slice(0, 2), quitterSession]) {
      const res = await toolsList(base, asAlice, old);
      expect(res.status, res.body).toBe(404);
      expect(jsonRpcError(res).message).toMatch(/expired after 30 minutes unused/);
      expect(jsonRpcError(res).message).toMatch(/initialize/);
    }
    expect((await toolsList(base, asBob, abandoned[2]!)).status).toBe(404);
    expect((await toolsList(base, asAlice, usedLater)).status).toBe(200);
    expect((await connected.call('instagram_accounts')).isError).toBe(false);

    clock.advance(31 * MINUTE);
    expect(handle.sessions()).toHaveLength(1);
    expect((await toolsList(base, asAlice, usedLater)).status).toBe(404);
    expect((await connected.call('instagram_accounts')).isError).toBe(false);
  });
});

describe('sessions per owner', () => {
  it('refuses the session past the cap with a clear error (both transports), never counting another owner, and admits again once one closes or expires', async () => {
    const { clock, handle, base } = await httpHarness({ INSTAGRAM_MCP_MAX_SESSIONS: '3', INSTAGRAM_MCP_SESSION_IDLE_MINUTES: '30' });
    const first = await openRawSession(base, asAlice);
    await openRawSession(base, asAlice);
    const legacy = await openLegacySse(`${base}/sse`, { authorization: `Bearer ${aliceToken}` });
    cleanups.push(() => legacy.close());
    expect(legacy.status).toBe(200);

    const refused = await rawRequest(`${base}/mcp`, { method: 'POST', headers: asAlice, body: initialize() });
    expect(refused.status, refused.body).toBe(429);
    expect(refused.headers['mcp-session-id']).toBeUndefined();
    const error = jsonRpcError(refused);
    expect(error.message).toMatch(/3 open sessions/);
    expect(error.message).toMatch(/INSTAGRAM_MCP_MAX_SESSIONS/);
    expect(error.message).toMatch(/[Cc]lose/);
    expect(error.message).toMatch(/30 minutes/);
    const legacyRefused = await openLegacySse(`${base}/sse`, { authorization: `Bearer ${aliceToken}` });
    expect(legacyRefused.status).toBe(429);
    expect(handle.sessions().filter((s) => s.owner === 'alice')).toHaveLength(3);

    // Bob is not held back by alice's sessions.
    await openRawSession(base, asBob);
    const bobLegacy = await openLegacySse(`${base}/sse`, { authorization: `Bearer ${bobToken}` });
    cleanups.push(() => bobLegacy.close());
    expect(bobLegacy.status).toBe(200);
    const bob = await streamableClient(base, bobToken, 'bob-agent');
    cleanups.push(() => bob.close());
    expect((await bob.call('instagram_accounts')).isError).toBe(false);

    // Closing a session frees its place.
    const del = await rawRequest(`${base}/mcp`, { method: 'DELETE', headers: { authorization: `Bearer ${aliceToken}`, 'mcp-session-id': first, 'mcp-protocol-version': '2025-06-18' } });
    expect(del.status).toBe(200);
    await openRawSession(base, asAlice);
    expect((await rawRequest(`${base}/mcp`, { method: 'POST', headers: asAlice, body: initialize() })).status).toBe(429);
    // So does a closed SSE stream, and so does idle expiry.
    legacy.close();
    await until(() => handle.sessions().filter((s) => s.owner === 'alice').length === 2, 'the closed SSE stream is gone');
    await openRawSession(base, asAlice);
    clock.advance(31 * MINUTE);
    expect(handle.sessions().filter((s) => s.owner === 'alice')).toHaveLength(0);
    await openRawSession(base, asAlice);
  });
});

describe('JSON-RPC batches', () => {
  const batch = JSON.stringify([
    { jsonrpc: '2.0', id: 10, method: 'tools/list', params: {} },
    { jsonrpc: '2.0', id: 11, method: 'ping' },
  ]);

  it('are refused on protocol 2025-06-18 and later (by the session or the header), with a message saying to send one message per request; 2025-03-26 may still batch', async () => {
    const { base } = await httpHarness();
    const modern = await openRawSession(base, asAlice, '2025-06-18');
    for (const headers of [{ 'mcp-protocol-version': '2025-06-18' }, {}] as Array<Record<string, string>>) {
      const res = await rawRequest(`${base}/mcp`, { method: 'POST', headers: { ...asAlice, 'mcp-session-id': modern, ...headers }, body: batch });
      expect(res.status, res.body).toBe(400);
      const error = jsonRpcError(res);
      expect(error.code).toBe(-32600);
      expect(error.message).toMatch(/batch/i);
      expect(error.message).toMatch(/2025-06-18/);
      expect(error.message).toMatch(/one (JSON-RPC )?message per request/);
    }
    // The latest version too, and a 2025-03-26 session that says 2025-11-25 in its header.
    const latest = await openRawSession(base, asAlice, '2025-11-25');
    expect((await rawRequest(`${base}/mcp`, { method: 'POST', headers: { ...asAlice, 'mcp-session-id': latest }, body: batch })).status).toBe(400);
    const old = await openRawSession(base, asAlice, '2025-03-26');
    const mislabelled = await rawRequest(`${base}/mcp`, { method: 'POST', headers: { ...asAlice, 'mcp-session-id': old, 'mcp-protocol-version': '2025-11-25' }, body: batch });
    expect(mislabelled.status).toBe(400);
    // The session still answers single messages.
    expect((await toolsList(base, asAlice, modern)).status).toBe(200);

    // 2025-03-26 allowed batches: both answers come back.
    const res = await rawRequest(`${base}/mcp`, { method: 'POST', headers: { ...asAlice, 'mcp-session-id': old, 'mcp-protocol-version': '2025-03-26' }, body: batch });
    expect(res.status, res.body).toBe(200);
    expect(res.body).toMatch(/"id":10/);
    expect(res.body).toMatch(/"id":11/);
  });
});

describe('/uploads quota per owner', () => {
  const MiB = 1024 * 1024;

  function uploadsOnDisk(h: Harness): string[] {
    const dir = path.join(h.dataDir, 'uploads');
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  }

  function upload(base: string, token: string, body: Buffer): Promise<RawResponse> {
    return rawRequest(`${base}/uploads?filename=photo.jpg`, { method: 'POST', headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${token}` }, body });
  }

  /** Sends only the headers and the first KiB of a body said to be `declared` bytes long, and waits for the answer. */
  function announceUpload(base: string, token: string, declared: number): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const req = http.request(`${base}/uploads?filename=big.jpg`, {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg', 'content-length': String(declared), authorization: `Bearer ${token}` },
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.write(Buffer.alloc(1024, 0xff));
    });
  }

  /** A body without Content-Length (chunked), `total` bytes in 64 KiB writes, that starts like a JPEG. */
  function streamUpload(base: string, token: string, total: number): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const req = http.request(`${base}/uploads?filename=stream.jpg`, { method: 'POST', headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${token}` } });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, 0x11);
      chunk.set([0xff, 0xd8, 0xff, 0xe0]);
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      req.on('error', () => {});
      pump();
    });
  }

  /** Asks "Expect: 100-continue" and sends the body only if the server says to continue. */
  function expectContinue(base: string, token: string, body: Buffer, declared = body.length): Promise<RawResponse & { continued: boolean }> {
    return new Promise((resolve, reject) => {
      let continued = false;
      const req = http.request(`${base}/uploads?filename=photo.jpg`, {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg', 'content-length': String(declared), expect: '100-continue', authorization: `Bearer ${token}` },
      });
      req.on('continue', () => {
        continued = true;
        req.end(body);
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers, continued });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.flushHeaders();
    });
  }

  it('answers "Expect: 100-continue" only once the quota admits the upload', async () => {
    const { base } = await httpHarness({ INSTAGRAM_MCP_UPLOAD_QUOTA_MB: '1' });
    const photo = await jpeg(1080, 1080);
    const refused = await expectContinue(base, aliceToken, photo, 2 * MiB);
    expect(refused.status, refused.body).toBe(413);
    expect(refused.continued).toBe(false);
    const accepted = await expectContinue(base, aliceToken, photo);
    expect(accepted.status, accepted.body).toBe(201);
    expect(accepted.continued).toBe(true);
  });

  it('refuses bytes past the quota (early, from Content-Length; a streamed body is cut) and files past the count, keeps nothing of a refused body, and never counts another owner', async () => {
    const { h, clock, base } = await httpHarness({ INSTAGRAM_MCP_UPLOAD_QUOTA_MB: '1', INSTAGRAM_MCP_UPLOAD_QUOTA_FILES: '2' });
    const photo = await jpeg(1080, 1080);
    expect(photo.length).toBeLessThan(MiB / 4);
    const first = await upload(base, aliceToken, photo);
    expect(first.status, first.body).toBe(201);
    const held = uploadsOnDisk(h);
    expect(held).toHaveLength(1);

    // Declared too large for what is left: refused before the body is read.
    const declared = await announceUpload(base, aliceToken, MiB);
    expect(declared.status, declared.body).toBe(413);
    const bytesError = (JSON.parse(declared.body) as { error: { code: string; message: string; hint: string } }).error;
    expect(bytesError.code).toBe('upload_quota_bytes');
    expect(bytesError.message).toMatch(/1 MiB/);
    expect(bytesError.hint).toMatch(/INSTAGRAM_MCP_UPLOAD_QUOTA_MB/);
    expect(bytesError.hint).toMatch(/expire|publish/i);

    // Streamed with no length: cut once it passes the quota, nothing partial kept.
    const streamed = await streamUpload(base, aliceToken, 2 * MiB);
    expect(streamed.status, streamed.body).toBe(413);
    expect((JSON.parse(streamed.body) as { error: { code: string } }).error.code).toBe('upload_quota_bytes');
    expect(uploadsOnDisk(h)).toEqual(held);

    // The file count: a second file fits, a third does not.
    expect((await upload(base, aliceToken, photo)).status).toBe(201);
    const third = await upload(base, aliceToken, photo);
    expect(third.status, third.body).toBe(429);
    const filesError = (JSON.parse(third.body) as { error: { code: string; message: string; hint: string } }).error;
    expect(filesError.code).toBe('upload_quota_files');
    expect(filesError.message).toMatch(/2 files/);
    expect(filesError.hint).toMatch(/INSTAGRAM_MCP_UPLOAD_QUOTA_FILES/);
    expect(uploadsOnDisk(h)).toHaveLength(2);
    expect(readdirSync(path.join(h.dataDir, 'uploads')).filter((f) => f.endsWith('.part'))).toEqual([]);

    // Bob has his own quota.
    const bobs = await upload(base, bobToken, photo);
    expect(bobs.status, bobs.body).toBe(201);

    // Expired references no longer count: alice can upload again a day later.
    clock.advance(24 * 60 * MINUTE + 1);
    expect((await upload(base, aliceToken, photo)).status).toBe(201);
  });

  it('counts inline base64 media against the same quota: instagram_upload_media refuses past it and keeps nothing', async () => {
    const { h, base } = await httpHarness({ INSTAGRAM_MCP_UPLOAD_QUOTA_FILES: '2' });
    const alice = await streamableClient(base, aliceToken, 'inline-agent');
    cleanups.push(() => alice.close());
    const data = (await jpeg(1080, 1080)).toString('base64');
    expect((await upload(base, aliceToken, await jpeg(1080, 1080))).status).toBe(201);
    const inline = await alice.call('instagram_upload_media', { data, mime_type: 'image/jpeg' });
    expect(inline.isError, inline.text).toBe(false);
    expect(uploadsOnDisk(h)).toHaveLength(2);

    const refused = await alice.call('instagram_upload_media', { data, mime_type: 'image/jpeg' });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/2 files/);
    expect(refused.text).toMatch(/INSTAGRAM_MCP_UPLOAD_QUOTA_FILES/);
    expect(uploadsOnDisk(h)).toHaveLength(2);
    // An HTTP upload sees the inline one too.
    expect((await upload(base, aliceToken, await jpeg(1080, 1080))).status).toBe(429);
  });
});
