import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeMp4 } from './fixtures.js';
import { call, containerStatus, publish, setup, type Harness } from './harness.js';
import { testToken } from '../../helpers/secrets.js';

const IG_BOGUS_VALUE_TOKEN = testToken('IGAA', 'bogus-token-value', 21);

/**
 * Waits for `check` over event-loop turns, bounded by count. Only for what the emulator announces by no
 * event (bytes of a body received): loopback I/O between two ends in this process needs a number of turns
 * that does not depend on the machine's speed.
 */
async function afterTurns(check: () => boolean, turns = 10_000): Promise<void> {
  for (let i = 0; i < turns && !check(); i++) await new Promise<void>((resolve) => setImmediate(resolve));
  if (!check()) throw new Error(`condition not met within ${turns} event-loop turns`);
}

async function createResumable(h: Harness, mediaType = 'REELS'): Promise<{ id: string; uri: string }> {
  const res = await call(`${h.ig}/${h.businessId}/media`, {
    method: 'POST',
    token: h.igToken,
    params: { media_type: mediaType, upload_type: 'resumable', caption: 'uploaded' },
  });
  expect(res.status).toBe(200);
  return res.json;
}

async function upload(uri: string, token: string, body: Buffer, offset: number, fileSize: number) {
  const response = await fetch(uri, {
    method: 'POST',
    headers: { authorization: `OAuth ${token}`, offset: String(offset), file_size: String(fileSize), 'content-type': 'application/octet-stream' },
    body,
  });
  return { status: response.status, json: (await response.json()) as any };
}

describe('resumable upload', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await setup({ seed: false });
  });
  afterEach(() => h.close());

  it('returns a uri under the rupload prefix and accepts the whole file', async () => {
    const { id, uri } = await createResumable(h);
    expect(uri).toBe(`${h.emulator.urls.rupload}/ig-api-upload/v24.0/${id}`);
    const before = await containerStatus(h, id);
    expect(before.json.status_code).toBe('IN_PROGRESS');
    expect(before.json.video_status.uploading_phase).toEqual({ status: 'not_started', bytes_transferred: 0 });

    const file = makeMp4(12, 3 * 1024 * 1024);
    const res = await upload(uri, h.igToken, file, 0, file.length);
    expect(res).toEqual({ status: 200, json: { success: true, message: 'Upload successful.' } });
    const container = h.emulator.container(id)!;
    expect(container.upload).toMatchObject({ bytesReceived: file.length, complete: true });
    expect(container.upload!.sha256).toBe(createHash('sha256').update(file).digest('hex'));
    expect(container.source?.durationMs).toBe(12_000);

    const processing = await containerStatus(h, id);
    expect(processing.json.status_code).toBe('IN_PROGRESS');
    expect(processing.json.video_status).toMatchObject({
      uploading_phase: { status: 'complete', bytes_transferred: file.length },
      processing_phase: { status: 'in_progress' },
    });
    h.clock.advance(5000);
    expect((await containerStatus(h, id)).json.status_code).toBe('FINISHED');
    expect((await publish(h, id)).status).toBe(200);
    const done = await containerStatus(h, id);
    expect(done.json).toMatchObject({ status_code: 'PUBLISHED', status: 'Published: Media has been successfully published.' });
  });

  it('records the bytes of an interrupted upload, refuses a wrong offset, and resumes', async () => {
    const { id, uri } = await createResumable(h);
    const file = makeMp4(20, 2 * 1024 * 1024);
    const half = 1024 * 1024;

    await new Promise<void>((resolve) => {
      const req = request(uri, {
        method: 'POST',
        headers: { authorization: `OAuth ${h.igToken}`, offset: '0', file_size: String(file.length), 'content-length': String(file.length) },
      });
      req.on('error', () => resolve());
      req.write(file.subarray(0, half));
      afterTurns(() => h.emulator.container(id)?.upload?.bytesReceived === half).then(() => {
        req.destroy();
        resolve();
      }, () => resolve());
    });
    // No wait for the emulator to see the close: it is queued before the status request below is sent, so
    // the emulator has handled it by the time that request is answered (before the next upload is made).

    const status = await containerStatus(h, id);
    expect(status.json.video_status.uploading_phase).toEqual({ status: 'in_progress', bytes_transferred: half });
    expect(status.json.status_code).toBe('IN_PROGRESS');

    const wrong = await upload(uri, h.igToken, file, 0, file.length);
    expect(wrong.status).toBe(400);
    expect(wrong.json.debug_info).toMatchObject({ retriable: false, type: 'ProcessingFailedError' });
    expect(JSON.parse(wrong.json.debug_info.message).error.message).toMatch(new RegExp(`resume with offset: ${half}`));
    expect(h.emulator.container(id)!.upload!.bytesReceived).toBe(half);

    const rest = await upload(uri, h.igToken, file.subarray(half), half, file.length);
    expect(rest.json).toEqual({ success: true, message: 'Upload successful.' });
    expect(h.emulator.container(id)!.upload!.sha256).toBe(createHash('sha256').update(file).digest('hex'));
    h.clock.advance(5000);
    expect((await containerStatus(h, id)).json.status_code).toBe('FINISHED');
  });

  it('fetches a hosted file given in the file_url header', async () => {
    const { id, uri } = await createResumable(h, 'STORIES');
    const missing = await fetch(uri, { method: 'POST', headers: { authorization: `OAuth ${h.igToken}`, file_url: h.files.url('/gone.mp4') } });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { debug_info: { retriable: boolean } }).debug_info.retriable).toBe(true);
    const response = await fetch(uri, { method: 'POST', headers: { authorization: `OAuth ${h.igToken}`, file_url: h.files.url('/story.mp4') } });
    expect((await response.json()) as unknown).toEqual({ success: true, message: 'Upload successful.' });
    h.clock.advance(5000);
    expect((await containerStatus(h, id)).json.status_code).toBe('FINISHED');
    const published = await publish(h, id);
    expect(h.emulator.media(published.json.id)).toMatchObject({ productType: 'STORY', mediaType: 'VIDEO' });
  });

  it('fails bad uploads with the debug_info shape; non-video bytes end in a container ERROR', async () => {
    const { id, uri } = await createResumable(h);
    const unauthorized = await upload(uri, IG_BOGUS_VALUE_TOKEN, Buffer.from('x'), 0, 1);
    expect(unauthorized.json).toEqual({
      debug_info: {
        retriable: false,
        type: 'ProcessingFailedError',
        message: '{"success":false,"error":{"message":"unauthorized user request"}}',
      },
    });
    const junk = Buffer.alloc(4096, 7);
    expect((await upload(uri, h.igToken, junk, 0, junk.length)).json.success).toBe(true);
    h.clock.advance(5000);
    expect((await containerStatus(h, id)).json).toMatchObject({
      status_code: 'ERROR',
      status: 'Error: Media upload has failed with error code 2207026',
    });
  });
});
