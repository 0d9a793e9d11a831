/**
 * Faults that misreport what happened (issue #12, item 3): an error answered for a request the emulator
 * applied (Instagram answering code 4 on a publish it made live), and a container read answered from a
 * lagging replica.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { containerStatus, createImageContainer, publish, setup, type Harness } from './harness.js';

const PUBLISH_PATH = /^\/\d+\/media_publish$/;

describe('faults that misreport the outcome', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await setup({ seed: false });
  });
  afterEach(() => h.close());

  it('graph_error with applied: the publish goes live, the client gets the error', async () => {
    h.emulator.injectFaults({ path: PUBLISH_PATH, times: 1, kind: { type: 'graph_error', code: 4, message: '(#4) Application request limit reached', applied: true } });
    const id = await createImageContainer(h);
    const res = await publish(h, id);
    expect(res.json.error).toMatchObject({ code: 4, message: '(#4) Application request limit reached' });
    expect(res.json.error.error_subcode).toBeUndefined();
    expect(h.emulator.publishedMedia()).toHaveLength(1);
    expect((await containerStatus(h, id)).json.status_code).toBe('PUBLISHED');
    expect(h.emulator.requestLog().find((e) => PUBLISH_PATH.test(e.path))).toMatchObject({ status: 400, fault: 'graph_error' });
  });

  it('stale_status: a container read answers the status given, the next one the truth; an error passes as it is', async () => {
    const id = await createImageContainer(h);
    expect((await publish(h, id)).status).toBe(200);
    h.emulator.injectFaults({ method: 'GET', path: /^\/\d+$/, times: 2, kind: { type: 'stale_status', statusCode: 'FINISHED' } });
    const stale = await containerStatus(h, id);
    expect(stale.json).toMatchObject({ id, status_code: 'FINISHED', status: 'Finished: Media has been uploaded and it is ready to be published.' });
    const missing = await containerStatus(h, '178000000000000000');
    expect(missing.json.error).toMatchObject({ code: 100 });
    expect((await containerStatus(h, id)).json.status_code).toBe('PUBLISHED');
  });
});
