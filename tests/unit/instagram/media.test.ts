import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccountAuth } from '../../../src/instagram/account.js';
import { getMedia, listChildren, listMedia, listStories } from '../../../src/instagram/media.js';
import { makeHttp, sendJson, startStub, type Stub } from './stub.js';
import { testToken } from '../../helpers/secrets.js';

const IG_TOKEN = testToken('IGAA', 'token1234567890', 19);

const IG: AccountAuth = { igUserId: '17841405793187218', loginType: 'instagram', accessToken: IG_TOKEN };

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

describe('media reads', () => {
  it('lists media with cursor only when next exists', async () => {
    stub.handler = (r, res) => {
      if (!r.query.get('after')) {
        sendJson(
          res,
          200,
          '{"data":[{"id":17918195224117851,"caption":"Hello","media_type":"CAROUSEL_ALBUM","like_count":10,"children":{"data":[{"id":"1"}]}}],"paging":{"cursors":{"before":"B","after":"A1"},"next":"https://graph.instagram.com/v24.0/x/media?after=A1"}}',
        );
      } else {
        sendJson(res, 200, { data: [{ id: '2', media_type: 'VIDEO' }], paging: { cursors: { before: 'B2', after: 'A2' } } });
      }
    };
    const first = await listMedia(fixture.http, IG, { limit: 1, since: new Date('2024-01-01T00:00:00Z'), until: 1720000000 });
    expect(first.nextCursor).toBe('A1');
    expect(first.items[0]).toMatchObject({ id: '17918195224117851', caption: 'Hello', like_count: 10, children: { data: [{ id: '1' }] } });
    const q = stub.requests[0]!.query;
    expect(stub.requests[0]!.path).toBe('/graph.instagram.com/v24.0/17841405793187218/media');
    expect(q.get('limit')).toBe('1');
    expect(q.get('since')).toBe('1704067200');
    expect(q.get('until')).toBe('1720000000');
    expect(q.get('fields')).toContain('media_product_type');
    expect(stub.requests[0]!.url).not.toContain('access_token');

    const second = await listMedia(fixture.http, IG, { after: first.nextCursor!, fields: ['id', 'media_type'] });
    expect(stub.requests[1]!.query.get('after')).toBe('A1');
    expect(stub.requests[1]!.query.get('fields')).toBe('id,media_type');
    expect(second.nextCursor).toBeNull();
  });

  it('reads one media, its children and the live stories', async () => {
    stub.handler = (r, res) => {
      if (r.path.endsWith('/children')) sendJson(res, 200, { data: [{ id: '1' }, { id: '2' }] });
      else if (r.path.endsWith('/stories')) sendJson(res, 200, { data: [{ id: '17861937508009798' }] });
      else sendJson(res, 200, { id: '9', media_type: 'IMAGE', owner: { id: '17841405793187218' }, timestamp: '2019-09-26T22:36:43+0000' });
    };
    expect(await getMedia(fixture.http, IG, '9', ['id', 'media_type', 'owner', 'timestamp'])).toEqual({
      id: '9',
      media_type: 'IMAGE',
      owner: { id: '17841405793187218' },
      timestamp: '2019-09-26T22:36:43+0000',
    });
    expect(stub.requests[0]!.query.get('fields')).toBe('id,media_type,owner,timestamp');
    expect((await listChildren(fixture.http, IG, '9')).map((c) => c.id)).toEqual(['1', '2']);
    expect(stub.requests[1]!.path).toBe('/graph.instagram.com/v24.0/9/children');
    const stories = await listStories(fixture.http, IG);
    expect(stories).toEqual({ items: [{ id: '17861937508009798' }], nextCursor: null });
    expect(stub.requests[2]!.path).toBe('/graph.instagram.com/v24.0/17841405793187218/stories');
  });
});
