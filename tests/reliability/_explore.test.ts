import { it } from 'vitest';
import { startHarness } from '../helpers/harness.js';
import { jpeg, writeMedia } from '../publishing/helpers.js';
it('explore', async () => {
  const h = await startHarness();
  await h.connectAccount('business');
  await h.connectAccount('facebook');
  const fb = h.emulator.users.facebookInstagram.id;
  const img = writeMedia(h, 'ok.jpg', await jpeg(1080, 1080));
  const show = async (n: string, a: any) => { h.emulator.clearLog(); try { const r = await h.call(n, a); console.log(n, JSON.stringify(a).slice(0,140), '=>', r.isError, r.text.slice(0, 400), '\nREQ', h.emulator.requestLog().map(r => r.method + ' ' + r.path + ' ' + r.status).join(' | ')); return r; } catch (e) { console.log(n, 'THROWS', String(e).slice(0, 600)); } };
  await show('instagram_search_hashtag', { account: fb, hashtag: '\uD800abc' });
  await show('instagram_business_discovery', { account: fb, username: '\uD800abc' });
  await show('instagram_get_post', { id: '\uD800' });
  await show('instagram_authenticate', { access_token: 'IGAA\uD800bcdefghijklmnopqrstuvwxyz' });
  await show('instagram_authenticate', { callback_url: 'http://x/?code=\uD800&state=\uDC00' });
  await show('instagram_create_post', { account: fb, media: img, caption: 'x\uD800y', wait_seconds: 0 });
  await show('instagram_create_post', { account: fb, media: { source: img }, collaborators: ['a'], user_tags: [{ username: 'x\u0000' }], wait_seconds: 0 });
  await show('instagram_create_post', { account: fb, media: [{ source: 42 }] });
  await show('instagram_create_post', { account: fb, media: [[img]] });
  await show('instagram_get_insights', { account: fb, metrics: [42] });
  try { const r = await h.client.callTool({ name: 'instagram_accounts', arguments: 'nope' as any }); console.log('STRARGS', JSON.stringify(r).slice(0, 300)); } catch (e) { console.log('STRARGS THROWS', String(e)); }
  try { const r = await h.client.callTool({ name: 'instagram_get_post', arguments: JSON.parse('{"__proto__": {"polluted": true}, "id": "1"}') }); console.log('PROTO', JSON.stringify(r).slice(0, 300), ({} as any).polluted); } catch (e) { console.log('PROTO THROWS', String(e)); }
  await h.close();
}, 60000);
