import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeJpeg } from './fixtures.js';
import { call, containerStatus, createImageContainer, publish, setup, type Harness } from './harness.js';

const HOUR = 3_600_000;

function createMedia(h: Harness, params: Record<string, string>, token = h.igToken) {
  return call(`${h.ig}/${h.businessId}/media`, { method: 'POST', token, params });
}

function expectError(res: { status: number; json: any }, code: number, subcode: number | undefined, message?: string | RegExp) {
  expect(res.status).toBe(400);
  expect(res.json.error.code).toBe(code);
  if (subcode !== undefined) expect(res.json.error.error_subcode).toBe(subcode);
  if (typeof message === 'string') expect(res.json.error.message).toBe(message);
  else if (message) expect(res.json.error.message).toMatch(message);
}

describe('publishing', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await setup({ seed: false });
  });
  afterEach(() => h.close());

  it('publishes an image: container FINISHED → media_publish → readable media with permalink', async () => {
    const id = await createImageContainer(h, { caption: 'Hello #world', alt_text: 'A square' });
    const status = await containerStatus(h, id);
    expect(status.json).toMatchObject({ status_code: 'FINISHED', id });
    expect(status.json.status).toMatch(/^Finished/);
    expect(h.files.requests.some((r) => r.path === '/square.jpg')).toBe(true);

    const res = await publish(h, id);
    expect(res.status).toBe(200);
    const mediaId = res.json.id as string;
    const media = await call(`${h.ig}/${mediaId}`, {
      token: h.igToken,
      params: { fields: 'id,caption,media_type,media_product_type,permalink,shortcode,timestamp,like_count,comments_count,alt_text,owner,username' },
    });
    expect(media.json).toMatchObject({
      id: mediaId,
      caption: 'Hello #world',
      media_type: 'IMAGE',
      media_product_type: 'FEED',
      like_count: 0,
      comments_count: 0,
      alt_text: 'A square',
      owner: { id: h.businessId },
      username: 'sandbox_bakery',
    });
    expect(media.json.permalink).toBe(`https://www.instagram.com/p/${media.json.shortcode}/`);
    expect(media.json.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0000$/);
    expect((await containerStatus(h, id)).json.status_code).toBe('PUBLISHED');
    expect(h.emulator.publishedMedia(h.businessId).map((m) => m.id)).toEqual([mediaId]);
  });

  it('refuses to publish the same container twice (24/2207008)', async () => {
    const id = await createImageContainer(h);
    expect((await publish(h, id)).status).toBe(200);
    expectError(await publish(h, id), 24, 2207008, `The media builder with creation id = ${id} does not exist or has been expired.`);
    expect(h.emulator.publishedMedia()).toHaveLength(1);
  });

  it('requires creation_id and a known container', async () => {
    const missing = await call(`${h.ig}/${h.businessId}/media_publish`, { method: 'POST', token: h.igToken });
    expectError(missing, 100, undefined, '(#100) The parameter creation_id is required');
    expectError(await publish(h, '17800000000000000'), 24, 2207006, 'The media with 17800000000000000 cannot be found');
  });

  it('accepts parameters as query string, form and JSON bodies', async () => {
    for (const body of ['query', 'form', 'json'] as const) {
      const res = await call(`${h.ig}/${h.businessId}/media`, {
        method: 'POST',
        token: h.igToken,
        body,
        params: { image_url: h.files.url('/portrait.jpg'), caption: `via ${body}` },
      });
      expect(res.status).toBe(200);
      expect(h.emulator.container(res.json.id)?.caption).toBe(`via ${body}`);
    }
  });

  it('validates image format: PNG → 36001/2207005', async () => {
    const res = await createMedia(h, { image_url: h.files.url('/image.png') });
    expectError(res, 36001, 2207005, 'The image format PNG is not supported. Supported formats are: JPEG.');
    expect(res.json.error.error_user_msg).toBe(res.json.error.message);
  });

  it('validates image size: > 8 MiB → 36000/2207004', async () => {
    h.files.set('/huge.jpg', makeJpeg(1080, 1080, 8 * 1024 * 1024 + 1));
    expectError(
      await createMedia(h, { image_url: h.files.url('/huge.jpg') }),
      36000,
      2207004,
      'The image is too large to download. It should be less than 8 MiB.',
    );
  });

  it('validates the aspect ratio 0.8–1.91 for feed and carousel images, not stories', async () => {
    expectError(await createMedia(h, { image_url: h.files.url('/tall.jpg') }), 36003, 2207009, /^The submitted image with aspect ratio 0\.563 cannot be published/);
    expectError(
      await createMedia(h, { image_url: h.files.url('/tall.jpg'), is_carousel_item: 'true' }),
      36003,
      2207009,
    );
    h.files.set('/too-wide.jpg', makeJpeg(2000, 1000));
    expectError(await createMedia(h, { image_url: h.files.url('/too-wide.jpg') }), 36003, 2207009);
    expect((await createMedia(h, { image_url: h.files.url('/portrait.jpg') })).status).toBe(200); // 0.8
    expect((await createMedia(h, { image_url: h.files.url('/wide.jpg') })).status).toBe(200); // 1200×628
    expect((await createMedia(h, { image_url: h.files.url('/tall.jpg'), media_type: 'STORIES' })).status).toBe(200);
  });

  it('validates captions: length 36004/2207010, hashtags, mentions 100/2207040', async () => {
    const url = h.files.url('/square.jpg');
    expectError(
      await createMedia(h, { image_url: url, caption: 'x'.repeat(2201) }),
      36004,
      2207010,
      "The submitted image's caption was 2201 characters long. The maximum number of characters permitted for a caption is 2200. Please submit media with a shorter caption.",
    );
    expect((await createMedia(h, { image_url: url, caption: 'x'.repeat(2200) })).status).toBe(200);
    const tags = (n: number) => Array.from({ length: n }, (_, i) => `#tag${i}`).join(' ');
    expect((await createMedia(h, { image_url: url, caption: tags(30) })).status).toBe(200);
    expectError(await createMedia(h, { image_url: url, caption: tags(31) }), 100, 2207040, /30 hashtags/);
    const mentions = (n: number) => Array.from({ length: n }, (_, i) => `@user${i}`).join(' ');
    expect((await createMedia(h, { image_url: url, caption: mentions(20) })).status).toBe(200);
    expectError(await createMedia(h, { image_url: url, caption: mentions(21) }), 100, 2207040, 'Cannot use more than 20 tags per created media.');
  });

  it('accepts relaxed JSON user_tags and refuses more than 20', async () => {
    const url = h.files.url('/square.jpg');
    expect((await createMedia(h, { image_url: url, user_tags: "[{username:'kevinhart4real',x:0.5,y:0.8}]" })).status).toBe(200);
    expect((await createMedia(h, { image_url: url, user_tags: '[{"username":"natgeo","x":0.5,"y":0.8}]' })).status).toBe(200);
    const many = JSON.stringify(Array.from({ length: 21 }, (_, i) => ({ username: `u${i}`, x: 0.1, y: 0.1 })));
    expectError(await createMedia(h, { image_url: url, user_tags: many }), 100, 2207040);
  });

  it('refuses an unknown media_type (100/2207023)', async () => {
    expectError(
      await createMedia(h, { image_url: h.files.url('/square.jpg'), media_type: 'HOLOGRAM' }),
      100,
      2207023,
      'The media type HOLOGRAM is unknown.',
    );
  });

  it('answers 9004/2207052 for an unreachable or failing image URL', async () => {
    const missing = h.files.url('/missing.jpg');
    expectError(await createMedia(h, { image_url: missing }), 9004, 2207052, `The media could not be fetched from this uri: ${missing}`);
    const unreachable = 'http://127.0.0.1:1/nothing.jpg';
    expectError(await createMedia(h, { image_url: unreachable }), 9004, 2207052, `The media could not be fetched from this uri: ${unreachable}`);
  });

  it('refuses private addresses when allowPrivateFetch is false', async () => {
    const strict = await setup({ seed: false, allowPrivateFetch: false });
    try {
      const url = strict.files.url('/square.jpg');
      const res = await call(`${strict.ig}/${strict.businessId}/media`, { method: 'POST', token: strict.igToken, params: { image_url: url } });
      expectError(res, 9004, 2207052, `The media could not be fetched from this uri: ${url}`);
      expect(strict.files.requests).toHaveLength(0);
    } finally {
      await strict.close();
    }
  });

  it('builds carousels: 2–10 children (100/2207028), image and video children, CAROUSEL_ALBUM with children', async () => {
    const single = await createImageContainer(h, { is_carousel_item: 'true' });
    expectError(
      await createMedia(h, { media_type: 'CAROUSEL', children: single }),
      100,
      2207028,
      "Your post won't work as a carousel. Carousels need at least 2 photos/videos and no more than 10 photos/videos.",
    );
    const many = Array.from({ length: 11 }, () => single).join(',');
    expectError(await createMedia(h, { media_type: 'CAROUSEL', children: many }), 100, 2207028);

    const image = await createImageContainer(h, { is_carousel_item: 'true' });
    const video = await createMedia(h, { media_type: 'VIDEO', video_url: h.files.url('/reel.mp4'), is_carousel_item: 'true' });
    expect(video.status).toBe(200);
    const parent = await createMedia(h, { media_type: 'CAROUSEL', children: JSON.stringify([image, video.json.id]), caption: 'Fruit candies' });
    expect(parent.status).toBe(200);
    // The parent waits for its video child.
    expect((await containerStatus(h, parent.json.id)).json.status_code).toBe('IN_PROGRESS');
    expectError(await publish(h, parent.json.id), 9007, 2207027, 'The media is not ready for publishing, please wait for a moment');
    h.clock.advance(5000);
    expect((await containerStatus(h, parent.json.id)).json.status_code).toBe('FINISHED');
    const res = await publish(h, parent.json.id);
    expect(res.status).toBe(200);
    const media = await call(`${h.ig}/${res.json.id}`, {
      token: h.igToken,
      params: { fields: 'media_type,media_product_type,caption,permalink,children{id,media_type,permalink}' },
    });
    expect(media.json).toMatchObject({ media_type: 'CAROUSEL_ALBUM', media_product_type: 'FEED', caption: 'Fruit candies' });
    expect(media.json.children.data.map((c: { media_type: string }) => c.media_type)).toEqual(['IMAGE', 'VIDEO']);
    expect(media.json.children.data[0]).not.toHaveProperty('permalink');
    const children = await call(`${h.ig}/${res.json.id}/children`, { token: h.igToken });
    expect(children.json.data).toHaveLength(2);
    expect(h.emulator.quotaUsage(h.businessId)).toBe(1);
  });

  it('processes reels on the emulator clock: IN_PROGRESS → FINISHED after the processing time, published as /reel/', async () => {
    const res = await createMedia(h, { media_type: 'REELS', video_url: h.files.url('/reel.mp4'), caption: 'reel', share_to_feed: 'false' });
    expect(res.status).toBe(200);
    const id = res.json.id as string;
    const videoFetch = h.files.requests.find((r) => r.path === '/reel.mp4');
    expect(videoFetch?.headers['range']).toBe('bytes=0-');
    const first = await containerStatus(h, id);
    expect(first.json).toMatchObject({ status_code: 'IN_PROGRESS', status: 'In Progress: Media is still being processed.' });
    expectError(await publish(h, id), 9007, 2207027);
    h.clock.advance(4999);
    expect((await containerStatus(h, id)).json.status_code).toBe('IN_PROGRESS');
    h.clock.advance(1);
    expect((await containerStatus(h, id)).json.status_code).toBe('FINISHED');
    const published = await publish(h, id);
    const media = await call(`${h.ig}/${published.json.id}`, {
      token: h.igToken,
      params: { fields: 'media_type,media_product_type,permalink,thumbnail_url,is_shared_to_feed' },
    });
    expect(media.json).toMatchObject({ media_type: 'VIDEO', media_product_type: 'REELS', is_shared_to_feed: false });
    expect(media.json.permalink).toMatch(/^https:\/\/www\.instagram\.com\/reel\/[\w-]+\/$/);
    expect(media.json.thumbnail_url).toBeTruthy();
  });

  it('reports video problems asynchronously through a container ERROR status', async () => {
    h.emulator.setProcessingTime('video', 1000);
    const notVideo = await createMedia(h, { media_type: 'REELS', video_url: h.files.url('/not-a-video.mp4') });
    expect(notVideo.status).toBe(200);
    const tooShort = await createMedia(h, { media_type: 'REELS', video_url: h.files.url('/short.mp4') });
    const missing = await createMedia(h, { media_type: 'REELS', video_url: h.files.url('/gone.mp4') });
    const thumb = await createMedia(h, { media_type: 'REELS', video_url: h.files.url('/reel.mp4'), thumb_offset: '10000' });
    expect((await containerStatus(h, notVideo.json.id)).json.status_code).toBe('IN_PROGRESS');
    h.clock.advance(1000);
    const cases: Array<[string, number]> = [
      [notVideo.json.id, 2207026],
      [tooShort.json.id, 2207026],
      [missing.json.id, 2207052],
      [thumb.json.id, 2207057],
    ];
    for (const [id, subcode] of cases) {
      const status = await containerStatus(h, id);
      expect(status.json).toMatchObject({ status_code: 'ERROR', status: `Error: Media upload has failed with error code ${subcode}` });
    }
    expectError(await publish(h, notVideo.json.id), 9007, 2207027);
  });

  it('refuses a negative thumb_offset synchronously (1/2207057)', async () => {
    expectError(
      await createMedia(h, { media_type: 'REELS', video_url: h.files.url('/reel.mp4'), thumb_offset: '-5' }),
      1,
      2207057,
      /^Thumbnail offset must be greater than or equal to 0 and less than video duration/,
    );
  });

  it('expires unpublished containers after 24 h (EXPIRED; publish → 24/2207008)', async () => {
    const id = await createImageContainer(h);
    h.clock.advance(24 * HOUR - 1);
    expect((await containerStatus(h, id)).json.status_code).toBe('FINISHED');
    h.clock.advance(1);
    expect((await containerStatus(h, id)).json.status_code).toBe('EXPIRED');
    expectError(await publish(h, id), 24, 2207008);
  });

  it('enforces the publishing quota in a rolling 24 h window (9/2207042) and reports it', async () => {
    h.emulator.setQuotaTotal(3);
    for (let i = 0; i < 3; i++) {
      expect((await publish(h, await createImageContainer(h))).status).toBe(200);
      h.clock.advance(HOUR);
    }
    const limit = await call(`${h.ig}/${h.businessId}/content_publishing_limit`, { token: h.igToken, params: { fields: 'quota_usage,config' } });
    expect(limit.json).toEqual({ data: [{ quota_usage: 3, config: { quota_total: 3, quota_duration: 86400 } }] });
    const plain = await call(`${h.ig}/${h.businessId}/content_publishing_limit`, { token: h.igToken });
    expect(plain.json).toEqual({ data: [{ quota_usage: 3 }] });
    const since = Math.floor((h.clock.now() - 90 * 60_000) / 1000);
    const recent = await call(`${h.ig}/${h.businessId}/content_publishing_limit`, { token: h.igToken, params: { since: String(since) } });
    expect(recent.json.data[0].quota_usage).toBe(1);

    const blocked = await createImageContainer(h);
    expectError(
      await publish(h, blocked),
      9,
      2207042,
      'You reached maximum number of posts that is allowed to be published by Content Publishing API.',
    );
    // The first post leaves the window 24 h after it was published.
    h.clock.advance(21 * HOUR);
    expect((await publish(h, blocked)).status).toBe(200);
  });

  it('publishes image and video stories that live for 24 h', async () => {
    const image = await createMedia(h, { media_type: 'STORIES', image_url: h.files.url('/tall.jpg') });
    const video = await createMedia(h, { media_type: 'STORIES', video_url: h.files.url('/story.mp4') });
    h.clock.advance(5000);
    const a = await publish(h, image.json.id);
    h.clock.advance(1000);
    const b = await publish(h, video.json.id);
    const stories = await call(`${h.ig}/${h.businessId}/stories`, { token: h.igToken, params: { fields: 'id,media_type,media_product_type' } });
    expect(stories.json.data).toEqual([
      { id: b.json.id, media_type: 'VIDEO', media_product_type: 'STORY' },
      { id: a.json.id, media_type: 'IMAGE', media_product_type: 'STORY' },
    ]);
    const feed = await call(`${h.ig}/${h.businessId}/media`, { token: h.igToken });
    expect(feed.json.data).toEqual([]);
    h.clock.advance(24 * HOUR);
    expect((await call(`${h.ig}/${h.businessId}/stories`, { token: h.igToken })).json.data).toEqual([]);
  });

  it('answers 100/33 on the first read of a new container when configured', async () => {
    const other = await setup({ seed: false, notFoundAfterCreateRate: 1 });
    try {
      const id = await createImageContainer(other);
      const first = await containerStatus(other, id);
      expect(first.json.error).toMatchObject({ code: 100, error_subcode: 33 });
      expect(first.json.error.message).toContain(`Object with ID '${id}' does not exist`);
      expect((await containerStatus(other, id)).json.status_code).toBe('FINISHED');
    } finally {
      await other.close();
    }
  });

  it('publishes through graph.facebook.com for the Page-linked account', async () => {
    const res = await call(`${h.fb}/${h.fbIgId}/media`, { method: 'POST', token: h.fbToken, params: { image_url: h.files.url('/square.jpg') } });
    expect(res.status).toBe(200);
    const pub = await call(`${h.fb}/${h.fbIgId}/media_publish`, { method: 'POST', token: h.fbToken, params: { creation_id: res.json.id } });
    expect(pub.status).toBe(200);
    expect(h.emulator.publishedMedia(h.fbIgId)).toHaveLength(1);
    // An IG-Login account is not reachable with the Facebook token.
    const other = await call(`${h.fb}/${h.businessId}/media`, { method: 'POST', token: h.fbToken, params: { image_url: h.files.url('/square.jpg') } });
    expect(other.json.error).toMatchObject({ code: 100, error_subcode: 33 });
  });
});
