/**
 * Scheduled publishing on the emulator's virtual clock: posts (images and reels mixed) scheduled over
 * the next 48 hours across the emulator's accounts, the clock stepped a second at a time around each
 * publish_at; every post must be published exactly once, and its lateness (the emulator's publish
 * time minus publish_at) is measured for posts whose media was ready.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { VirtualClock } from '../src/clock.js';
import { makeJpeg, makeMp4, startFileServer } from '../tests/unit/emulator/fixtures.js';
import { quantile, startBenchApp } from './setup.js';

const HOUR = 60 * 60 * 1000;

export interface ScheduledResult {
  posts: number;
  accounts: number;
  published: number;
  duplicates: number;
  lateP50Ms: number;
  lateP99Ms: number;
  lateMaxMs: number;
}

export async function benchScheduled(count = 200): Promise<ScheduledResult> {
  const clock = new VirtualClock();
  const b = await startBenchApp({ clock, emulator: { processing: { imageMs: 3000, videoMs: 40_000 } } });
  // Reels by URL (the emulator fetches them), each with its own bytes.
  const reels: Record<string, Buffer> = {};
  for (let i = 0; i < count; i += 4) reels[`/r${i}.mp4`] = makeMp4(5, 1024 + i);
  const files = await startFileServer(reels);
  try {
    const u = b.emulator.users;
    for (const userId of [u.instagramCreator.id]) {
      const r = await b.call('instagram_authenticate', { access_token: b.emulator.issueToken({ userId, loginType: 'instagram', lifetime: 'long' }) });
      if (r.isError) throw new Error(r.text);
    }
    const accounts = [`@${u.instagramBusiness.username}`, `@${u.instagramCreator.username}`];
    b.app.startBackground();
    const start = clock.now();
    const times: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const reel = i % 4 === 0;
      const file = reel ? files.url(`/r${i}.mp4`) : path.join(b.mediaDir, `s${i}.jpg`);
      if (!reel) writeFileSync(file, makeJpeg(1080, 1080, 256 + i));
      // Spread over 48 hours, a few at the same minute, at odd seconds.
      const publishAt = start + 20 * 60 * 1000 + Math.floor((i * 48 * HOUR) / count) + (i % 7) * 1000;
      const out = await b.call(reel ? 'instagram_create_reel' : 'instagram_create_post', {
        account: accounts[i % accounts.length],
        ...(reel ? { video: file } : { media: file }),
        caption: `Scheduled ${i}`,
        publish_at: new Date(publishAt).toISOString(),
      });
      if (out.isError) throw new Error(`scheduling post ${i}: ${out.text}`);
      ids.push(out.data.post_id as string);
      times.push(publishAt);
    }
    const end = Math.max(...times) + 10 * 60 * 1000;
    const near = (t: number) => times.some((p) => t >= p - 50 * 60 * 1000 && t <= p + 60 * 1000);
    while (clock.now() < end) {
      clock.advance(near(clock.now()) ? 1000 : 60_000);
      await b.app.jobs.idle();
      for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const published = b.emulator.publishedMedia().filter((m) => m.caption?.startsWith('Scheduled '));
    const byCaption = new Map<string, number[]>();
    for (const m of published) byCaption.set(m.caption!, [...(byCaption.get(m.caption!) ?? []), m.timestamp]);
    const late = times.map((t, i) => (byCaption.get(`Scheduled ${i}`)?.[0] ?? NaN) - t).filter((x) => Number.isFinite(x));
    const duplicates = [...byCaption.values()].filter((v) => v.length > 1).length;
    const states = await Promise.all(ids.map(async (id) => (await b.app.store.posts.getById(id))!.state));
    if (states.some((s) => s !== 'completed')) console.error('bench scheduled: not completed:', states.filter((s) => s !== 'completed').length);
    return { posts: count, accounts: accounts.length, published: byCaption.size, duplicates, lateP50Ms: quantile(late, 0.5), lateP99Ms: quantile(late, 0.99), lateMaxMs: Math.max(...late) };
  } finally {
    await files.close();
    await b.close();
  }
}
