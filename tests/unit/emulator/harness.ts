/**
 * Test harness: an emulator on a VirtualClock, a file server with ready-made media, tokens for the
 * seeded accounts, and a small HTTP helper that returns status, headers, raw text and parsed JSON.
 */
import { VirtualClock } from '../../../src/clock.js';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../../src/emulator/index.js';
import { makeJpeg, makeMp4, makePng, startFileServer, type FileServer } from './fixtures.js';

export interface CallInit {
  method?: 'GET' | 'POST' | 'DELETE';
  params?: Record<string, string>;
  token?: string;
  /** Where the token goes (default query for GET, body for POST). */
  auth?: 'param' | 'bearer' | 'oauth';
  /** POST body encoding (default form). */
  body?: 'form' | 'json' | 'query';
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export async function call(url: string, init: CallInit = {}): Promise<CallResult> {
  const method = init.method ?? 'GET';
  const params = { ...(init.params ?? {}) };
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.token) {
    if (init.auth === 'bearer') headers['authorization'] = `Bearer ${init.token}`;
    else if (init.auth === 'oauth') headers['authorization'] = `OAuth ${init.token}`;
    else params['access_token'] = init.token;
  }
  const target = new URL(url);
  let body: string | undefined;
  if (method === 'GET' || method === 'DELETE' || init.body === 'query') {
    for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
  } else if (init.body === 'json') {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(params);
  } else {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(params).toString();
  }
  const response = await fetch(target, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export interface Harness {
  emulator: Emulator;
  clock: VirtualClock;
  files: FileServer;
  /** `${base}/graph.instagram.com/v24.0` */
  ig: string;
  /** `${base}/graph.facebook.com/v24.0` */
  fb: string;
  /** Long-lived token of the Instagram-Login business account. */
  igToken: string;
  /** Long-lived token of the Facebook-Login user. */
  fbToken: string;
  businessId: string;
  creatorId: string;
  fbIgId: string;
  close(): Promise<void>;
}

export const MEDIA = {
  square: makeJpeg(1080, 1080),
  portrait: makeJpeg(1080, 1350),
  tall: makeJpeg(1080, 1920),
  wide: makeJpeg(1200, 628),
  png: makePng(1080, 1080),
  reel: makeMp4(10),
  short: makeMp4(1),
  story: makeMp4(10),
};

export async function setup(options: EmulatorOptions = {}): Promise<Harness> {
  const clock = new VirtualClock();
  const emulator = createEmulator({ clock, ...options });
  await emulator.start();
  const files = await startFileServer({
    '/square.jpg': MEDIA.square,
    '/portrait.jpg': MEDIA.portrait,
    '/tall.jpg': MEDIA.tall,
    '/wide.jpg': MEDIA.wide,
    '/image.png': MEDIA.png,
    '/reel.mp4': MEDIA.reel,
    '/short.mp4': MEDIA.short,
    '/story.mp4': MEDIA.story,
    '/not-a-video.mp4': Buffer.from('this is plain text, not a video'.repeat(20)),
  });
  const businessId = emulator.users.instagramBusiness.id;
  return {
    emulator,
    clock,
    files,
    ig: `${emulator.urls.instagramGraph}/v24.0`,
    fb: `${emulator.urls.facebookGraph}/v24.0`,
    igToken: emulator.issueToken({ userId: businessId, loginType: 'instagram' }),
    fbToken: emulator.issueToken({ userId: emulator.users.facebookUser.id, loginType: 'facebook' }),
    businessId,
    creatorId: emulator.users.instagramCreator.id,
    fbIgId: emulator.users.facebookInstagram.id,
    close: async () => {
      await emulator.stop();
      await files.close();
    },
  };
}

/** Creates an image container and returns its id (asserting success). */
export async function createImageContainer(h: Harness, params: Record<string, string> = {}, token = h.igToken): Promise<string> {
  const res = await call(`${h.ig}/${h.businessId}/media`, {
    method: 'POST',
    token,
    params: { image_url: h.files.url('/square.jpg'), ...params },
  });
  if (res.status !== 200) throw new Error(`container creation failed: ${res.text}`);
  return res.json.id as string;
}

export async function publish(h: Harness, creationId: string, token = h.igToken): Promise<CallResult> {
  return call(`${h.ig}/${h.businessId}/media_publish`, { method: 'POST', token, params: { creation_id: creationId } });
}

export async function containerStatus(h: Harness, id: string, token = h.igToken): Promise<CallResult> {
  return call(`${h.ig}/${id}`, { token, params: { fields: 'status_code,status,id,video_status' } });
}
