import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccountAuth } from '../../../src/instagram/account.js';
import { GraphError } from '../../../src/instagram/errors.js';
import {
  containerForm,
  createContainer,
  getContainerStatus,
  getMediaPermalink,
  getPublishingLimit,
  parseStatusSubcode,
  publishContainer,
  ruploadPath,
  ruploadUrl,
  uploadVideoFromUrl,
  uploadVideoResumable,
} from '../../../src/instagram/publishing.js';
import { graphError, makeHttp, sendJson, startStub, type Stub } from './stub.js';
import { testToken } from '../../helpers/secrets.js';

const IG_TOKEN = testToken('IGAA', 'token1234567890', 19);
const FB_TOKEN = testToken('EAA', 'token1234567890', 18);

const IG: AccountAuth = { igUserId: '17841405793187218', loginType: 'instagram', accessToken: IG_TOKEN };
const FB: AccountAuth = { igUserId: '17841405822304914', loginType: 'facebook', accessToken: FB_TOKEN };

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

describe('containers', () => {
  it('serialises every container parameter', () => {
    expect(
      containerForm({
        videoUrl: 'https://cdn/r.mp4',
        mediaType: 'REELS',
        caption: 'Hi #x',
        locationId: '123',
        userTags: [{ username: '@natgeo', x: 0.5, y: 0.8 }, { username: 'bob' }],
        collaborators: ['a', '@b'],
        coverUrl: 'https://cdn/c.jpg',
        thumbOffset: 1500,
        shareToFeed: false,
        audioName: 'My tune',
        uploadType: 'resumable',
      }),
    ).toEqual({
      image_url: undefined,
      video_url: 'https://cdn/r.mp4',
      media_type: 'REELS',
      is_carousel_item: undefined,
      caption: 'Hi #x',
      alt_text: undefined,
      location_id: '123',
      user_tags: '[{"username":"natgeo","x":0.5,"y":0.8},{"username":"bob"}]',
      collaborators: '["a","b"]',
      cover_url: 'https://cdn/c.jpg',
      thumb_offset: '1500',
      share_to_feed: 'false',
      audio_name: 'My tune',
      children: undefined,
      upload_type: 'resumable',
    });
    const carousel = containerForm({ mediaType: 'CAROUSEL', children: ['C1', 'C2'], caption: 'c' });
    expect(carousel.children).toBe('C1,C2');
    const image = containerForm({ imageUrl: 'https://cdn/a.jpg', mediaType: 'IMAGE', isCarouselItem: true, altText: 'A dog' });
    expect(image.media_type).toBeUndefined();
    expect(image.is_carousel_item).toBe('true');
    expect(image.alt_text).toBe('A dog');
  });

  it('creates a container as a form POST on the account host', async () => {
    stub.handler = (_r, res) =>
      sendJson(res, 200, '{"id":17889455560051444,"uri":"https://rupload.facebook.com/ig-api-upload/v24.0/17889455560051444"}');
    const c = await createContainer(fixture.http, IG, { videoUrl: 'https://cdn/r.mp4', mediaType: 'REELS', uploadType: 'resumable' });
    expect(c).toEqual({ id: '17889455560051444', uri: 'https://rupload.facebook.com/ig-api-upload/v24.0/17889455560051444' });
    const seen = stub.requests[0]!;
    expect(seen.method).toBe('POST');
    expect(seen.path).toBe('/graph.instagram.com/v24.0/17841405793187218/media');
    expect(seen.form.get('media_type')).toBe('REELS');
    expect(seen.form.get('upload_type')).toBe('resumable');
    expect(seen.form.has('caption')).toBe(false);
    expect(seen.url).not.toContain('access_token');
  });

  it('retries container creation on a transient error (idempotent_write)', async () => {
    let n = 0;
    stub.handler = (_r, res) => (++n === 1 ? graphError(res, -1, { subcode: 2207001 }) : sendJson(res, 200, { id: '55' }));
    const c = await createContainer(fixture.http, FB, { imageUrl: 'https://cdn/a.jpg' });
    expect(c).toEqual({ id: '55' });
    expect(stub.requests).toHaveLength(2);
    expect(stub.requests[1]!.path).toBe('/graph.facebook.com/v24.0/17841405822304914/media');
  });

  it('surfaces validation errors with their subcode', async () => {
    stub.handler = (_r, res) => graphError(res, 36003, { subcode: 2207009 });
    const err = await createContainer(fixture.http, IG, { imageUrl: 'https://cdn/a.jpg' }).catch((e) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect(err).toMatchObject({ kind: 'invalid_input', code: 36003, subcode: 2207009 });
    expect(stub.requests).toHaveLength(1);
  });

  it('reads the container status, with the error subcode and bytes transferred', async () => {
    stub.handler = (r, res) => {
      if (r.path.endsWith('/1')) sendJson(res, 200, { id: '1', status_code: 'ERROR', status: 'Error: Media upload has failed with error code 2207026' });
      else
        sendJson(res, 200, {
          id: '2',
          status_code: 'IN_PROGRESS',
          status: 'In Progress: Media is still being processed.',
          video_status: { uploading_phase: { status: 'in_progress', bytes_transferred: 37006904 }, processing_phase: { status: 'not_started' } },
        });
    };
    expect(await getContainerStatus(fixture.http, IG, '1')).toEqual({
      id: '1',
      statusCode: 'ERROR',
      status: 'Error: Media upload has failed with error code 2207026',
      errorSubcode: 2207026,
    });
    expect(await getContainerStatus(fixture.http, IG, '2')).toEqual({
      id: '2',
      statusCode: 'IN_PROGRESS',
      status: 'In Progress: Media is still being processed.',
      bytesTransferred: 37006904,
      uploadingPhase: 'in_progress',
      processingPhase: 'not_started',
    });
    expect(stub.requests[0]!.query.get('fields')).toBe('id,status_code,status,video_status');
  });

  it('falls back without video_status when the host rejects that field', async () => {
    stub.handler = (r, res) =>
      r.query.get('fields')!.includes('video_status')
        ? graphError(res, 100, { message: '(#100) Tried accessing nonexisting field (video_status) on node type (ShadowIGMediaBuilder)' })
        : sendJson(res, 200, { id: '3', status_code: 'FINISHED' });
    expect(await getContainerStatus(fixture.http, IG, '3')).toEqual({ id: '3', statusCode: 'FINISHED' });
    expect(stub.requests).toHaveLength(2);
  });

  it('reports a freshly created container read as not_found (100/33) to the caller', async () => {
    stub.handler = (_r, res) => graphError(res, 100, { subcode: 33, type: 'GraphMethodException' });
    await expect(getContainerStatus(fixture.http, IG, '4')).rejects.toMatchObject({ kind: 'not_found', subcode: 33 });
  });

  it('parses status subcodes', () => {
    expect(parseStatusSubcode('Error: Media upload has failed with error code 2207026')).toBe(2207026);
    expect(parseStatusSubcode('Finished: ready')).toBeUndefined();
    expect(parseStatusSubcode(undefined)).toBeUndefined();
  });
});

describe('publish', () => {
  it('publishes a container and returns the media id exactly', async () => {
    stub.handler = (_r, res) => sendJson(res, 200, '{"id":17920238422030506}');
    expect(await publishContainer(fixture.http, IG, '17889455560051444')).toEqual({ mediaId: '17920238422030506' });
    const seen = stub.requests[0]!;
    expect(seen.path).toBe('/graph.instagram.com/v24.0/17841405793187218/media_publish');
    expect(seen.form.get('creation_id')).toBe('17889455560051444');
  });

  it('never retries a publish on a transient error or a dropped connection', async () => {
    stub.handler = (_r, res) => graphError(res, 2, { status: 500, transient: true });
    await expect(publishContainer(fixture.http, IG, '9')).rejects.toMatchObject({ kind: 'transient', notApplied: false });
    expect(stub.requests).toHaveLength(1);
    stub.handler = (_r, _res, raw) => {
      raw.socket.destroy();
    };
    await expect(publishContainer(fixture.http, IG, '9')).rejects.toMatchObject({ kind: 'network', notApplied: false });
    expect(stub.requests).toHaveLength(2);
  });

  it('does not retry 9007 (not ready): the caller polls', async () => {
    stub.handler = (_r, res) => graphError(res, 9007, { subcode: 2207027 });
    await expect(publishContainer(fixture.http, IG, '9')).rejects.toMatchObject({ kind: 'not_ready' });
    expect(stub.requests).toHaveLength(1);
  });

  it('reads the publishing limit', async () => {
    stub.handler = (_r, res) => sendJson(res, 200, { data: [{ quota_usage: 2, config: { quota_total: 100, quota_duration: 86400 } }] });
    expect(await getPublishingLimit(fixture.http, IG)).toEqual({ quotaUsage: 2, quotaTotal: 100, quotaDurationSec: 86400 });
    expect(stub.requests[0]!.path).toBe('/graph.instagram.com/v24.0/17841405793187218/content_publishing_limit');
    expect(stub.requests[0]!.query.get('fields')).toBe('quota_usage,config');
    stub.handler = (_r, res) => sendJson(res, 200, { data: [{ quota_usage: 1 }] });
    expect(await getPublishingLimit(fixture.http, IG)).toEqual({ quotaUsage: 1, quotaTotal: null, quotaDurationSec: null });
  });

  it('reads the permalink', async () => {
    stub.handler = (_r, res) => sendJson(res, 200, { permalink: 'https://www.instagram.com/p/Cabc123/', shortcode: 'Cabc123', id: '1' });
    expect(await getMediaPermalink(fixture.http, IG, '1')).toEqual({ permalink: 'https://www.instagram.com/p/Cabc123/', shortcode: 'Cabc123' });
  });
});

describe('rupload', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'igmcp-upload-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('uses only the path of the returned uri, on the configured rupload base', () => {
    expect(ruploadPath(fixture.http, '55', 'https://rupload.facebook.com/ig-api-upload/v24.0/55')).toBe('/ig-api-upload/v24.0/55');
    expect(ruploadPath(fixture.http, '55')).toBe('/ig-api-upload/v24.0/55');
    expect(ruploadUrl(fixture.http, '55', `${stub.url}/rupload.facebook.com/ig-api-upload/v24.0/55`)).toBe(
      `${stub.url}/rupload.facebook.com/ig-api-upload/v24.0/55`,
    );
  });

  it('streams a file from an offset with the rupload headers', async () => {
    const file = path.join(dir, 'video.mp4');
    const content = randomBytes(300_000);
    await writeFile(file, content);
    const offset = 123_457;
    stub.handler = (_r, res) => sendJson(res, 200, { success: true, message: 'Upload successful.' });
    const progress: number[] = [];
    const out = await uploadVideoResumable(fixture.http, {
      uri: 'https://rupload.facebook.com/ig-api-upload/v24.0/17889455560051444',
      containerId: '17889455560051444',
      token: IG_TOKEN,
      file: { path: file },
      offset,
      fileSize: content.length,
      onProgress: (n) => progress.push(n),
    });
    expect(out).toEqual({ success: true, message: 'Upload successful.' });
    const seen = stub.requests[0]!;
    expect(seen.method).toBe('POST');
    expect(seen.path).toBe('/rupload.facebook.com/ig-api-upload/v24.0/17889455560051444');
    expect(seen.headers['authorization']).toBe(`OAuth ${IG_TOKEN}`);
    expect(seen.headers['offset']).toBe(String(offset));
    expect(seen.headers['file_size']).toBe(String(content.length));
    expect(seen.headers['content-length']).toBe(String(content.length - offset));
    expect(seen.body.length).toBe(content.length - offset);
    expect(seen.body.equals(content.subarray(offset))).toBe(true);
    expect(progress.at(-1)).toBe(content.length);
    expect(progress.length).toBeGreaterThan(1);
    expect(seen.url).not.toContain('access_token');
  });

  it('a failed upload is reported (not retried: the stream cannot be replayed)', async () => {
    const file = path.join(dir, 'v.mp4');
    await writeFile(file, randomBytes(1000));
    stub.handler = (_r, res) =>
      sendJson(res, 500, { debug_info: { retriable: true, type: 'ProcessingFailedError', message: 'temporarily unavailable' } });
    const err = await uploadVideoResumable(fixture.http, {
      containerId: '9',
      token: IG_TOKEN,
      file: { path: file },
      offset: 0,
      fileSize: 1000,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect(err.kind).toBe('transient');
    expect(stub.requests).toHaveLength(1);
  });

  it('rejects a 200 without success:true', async () => {
    const file = path.join(dir, 'v.mp4');
    await writeFile(file, randomBytes(10));
    stub.handler = (_r, res) =>
      sendJson(res, 200, { debug_info: { retriable: false, type: 'ProcessingFailedError', message: '{"success":false,"error":{"message":"unauthorized user request"}}' } });
    await expect(
      uploadVideoResumable(fixture.http, { containerId: '9', token: IG_TOKEN, file: { path: file }, offset: 0, fileSize: 10 }),
    ).rejects.toMatchObject({ type: 'ProcessingFailedError' });
  });

  it('checks the offset and the file size before sending', async () => {
    const file = path.join(dir, 'v.mp4');
    await writeFile(file, randomBytes(10));
    await expect(
      uploadVideoResumable(fixture.http, { containerId: '9', token: IG_TOKEN, file: { path: file }, offset: 11, fileSize: 10 }),
    ).rejects.toBeInstanceOf(RangeError);
    await expect(
      uploadVideoResumable(fixture.http, { containerId: '9', token: IG_TOKEN, file: { path: file }, offset: 0, fileSize: 12 }),
    ).rejects.toBeInstanceOf(RangeError);
    expect(stub.requests).toHaveLength(0);
  });

  it('uploads from a hosted URL with the file_url header', async () => {
    stub.handler = (_r, res) => sendJson(res, 200, { success: true, message: 'Upload successful.' });
    await uploadVideoFromUrl(fixture.http, { containerId: '77', token: IG_TOKEN, fileUrl: 'https://cdn.example.com/v.mp4' });
    const seen = stub.requests[0]!;
    expect(seen.path).toBe('/rupload.facebook.com/ig-api-upload/v24.0/77');
    expect(seen.headers['file_url']).toBe('https://cdn.example.com/v.mp4');
    expect(seen.headers['authorization']).toBe(`OAuth ${IG_TOKEN}`);
    expect(seen.body.length).toBe(0);
  });
});
