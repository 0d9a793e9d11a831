import { afterEach, describe, expect, it } from 'vitest';
import { startFileServer, type FileServer } from '../emulator/fixtures.js';
import { jpeg, publishingHarness, requests, PUBLISH } from './helpers.js';

describe('smoke', () => {
  let files: FileServer | undefined;
  let h: Awaited<ReturnType<typeof publishingHarness>> | undefined;
  afterEach(async () => {
    await h?.close();
    await files?.close();
  });

  it('publishes an image from a URL', async () => {
    files = await startFileServer({ '/a.jpg': await jpeg(1080, 1080) });
    h = await publishingHarness();
    const r = await h.call('instagram_create_post', { media: [files.url('/a.jpg')], caption: 'hello' });
    console.error(r.text);
    expect(r.isError).toBe(false);
    expect(r.data.state).toBe('completed');
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(1);
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);
  });
});
