import { it } from 'vitest';
import { startHarness } from '../helpers/harness.js';
import { jpeg, writeMedia } from '../publishing/helpers.js';
it('explore', async () => {
  const h = await startHarness();
  await h.connectAccount('business');
  const img = writeMedia(h, 'ok.jpg', await jpeg(1080, 1080));
  const post = await h.call('instagram_create_post', { media: img, caption: 'A secret caption', wait_seconds: 60 });
  console.log(post.data.state, post.data.media_id);
  const ref = await h.call('instagram_upload_media', { source: img });
  const bob = await h.connect({ owner: 'bob' });
  await h.connectAccount('creator', bob);
  const show = async (n: string, a: any) => { h.emulator.clearLog(); try { const r = await h.call(n, a, bob); console.log(n, JSON.stringify(a).slice(0,140), '=>', r.isError, r.text.slice(0, 400), '\nREQ', h.emulator.requestLog().map(r => r.method + ' ' + r.path + ' ' + r.status).join(' | ')); return r; } catch (e) { console.log(n, 'THROWS', String(e).slice(0, 600)); } };
  const c = await h.call('instagram_post_comment', { media_id: post.data.media_id, message: 'hello from A' });
  console.log('comment', c.text.slice(0, 200));
  await show('instagram_get_post', { id: post.data.media_id });
  await show('instagram_get_post', { id: post.data.post_id });
  await show('instagram_get_comments', { media_id: post.data.media_id });
  await show('instagram_get_comments', { comment_id: c.data.comment_id });
  await show('instagram_post_comment', { media_id: post.data.media_id, message: 'x' });
  await show('instagram_moderate_comment', { comment_id: c.data.comment_id, action: 'delete' });
  await show('instagram_reply_comment', { comment_id: c.data.comment_id, message: 'x' });
  await show('instagram_set_comments_enabled', { media_id: post.data.media_id, enabled: false });
  await show('instagram_get_insights', { media_id: post.data.media_id });
  await show('instagram_create_post', { media: ref.data.reference_id, wait_seconds: 0 });
  await show('instagram_upload_media', { source: ref.data.reference_id });
  for (const uri of [`instagram://accounts/${h.emulator.users.instagramBusiness.id}`, `instagram://posts/${post.data.post_id}`, `instagram://posts/${post.data.media_id}`, 'instagram://posts/%E0%A4%A', 'instagram://accounts/..%2F..%2Fetc']) {
    try { const r = await bob.readResource({ uri }); console.log('RES', uri, JSON.stringify(r).slice(0, 300)); } catch (e) { console.log('RES', uri, 'ERR', String(e).slice(0, 300)); }
  }
  console.log(JSON.stringify(await bob.listResources()).slice(0, 500));
  await h.close();
}, 60000);
