/** Seeding when an account's followers are online, through the admin API, as /insights answers it. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, setup, type Harness } from './harness.js';

describe('seeded online_followers', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await setup({ seed: false });
  });
  afterEach(() => h.close());

  const admin = (body: unknown) =>
    fetch(`${h.emulator.baseUrl}/__emulator/online-followers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const online = () => call(`${h.ig}/${h.emulator.users.instagramBusiness.id}/insights`, { token: h.igToken, params: { metric: 'online_followers', period: 'lifetime', metric_type: 'time_series' } });

  it('answers the seeded counts, each hour key placed from the start of its day window', async () => {
    const byUtcHour = Array.from({ length: 24 }, (_, hour) => (hour === 18 ? 900 : hour));
    expect((await admin({ userId: h.emulator.users.instagramBusiness.id, hours: byUtcHour })).status).toBe(200);
    const res = await online();
    const day = res.json.data[0].values[0];
    const windowStartUtcHour = new Date(Date.parse(day.end_time) - 24 * 3_600_000).getUTCHours();
    expect(day.value[String((18 - windowStartUtcHour + 24) % 24)]).toBe(900);
    expect(day.value['0']).toBe(windowStartUtcHour);
  });

  it('refuses anything but 24 counts, and null goes back to generated values', async () => {
    const id = h.emulator.users.instagramBusiness.id;
    expect((await admin({ userId: id, hours: [1, 2, 3] })).status).toBe(400);
    expect((await admin({ userId: 'nobody', hours: new Array(24).fill(5) })).status).toBe(400);
    await admin({ userId: id, hours: new Array(24).fill(5) });
    expect(Object.values((await online()).json.data[0].values[0].value)).toEqual(new Array(24).fill(5));
    await admin({ userId: id, hours: null });
    expect(Object.values((await online()).json.data[0].values[0].value)).not.toEqual(new Array(24).fill(5));
  });
});
