/**
 * Meta's usage percentages are shared through the store: two servers on one data directory (two
 * processes of one user, or two replicas), one of them calling Meta until its account's usage is
 * high; the other, which never called, slows down for that account once it has read the store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { RATE_LIMIT_SHARE_MS } from '../../../src/app.js';
import type { VirtualClock } from '../../../src/clock.js';
import { startHarness, type Harness } from '../../helpers/harness.js';

const open: Harness[] = [];
let dataDir: string | undefined;

afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

it('a server that never called Meta slows down for an account another server saw near its limit', async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-shared-usage-'));
  // One key file in the shared data directory, as two processes of one user have.
  const a = await startHarness({ dataDir, env: { INSTAGRAM_MCP_ENCRYPTION_KEY: '' }, emulator: { rateLimits: { callBudgetPerHour: 20 } } });
  open.push(a);
  const b = await startHarness({ dataDir, env: { INSTAGRAM_MCP_ENCRYPTION_KEY: '' }, existingEmulator: a.emulator });
  open.push(b);
  await a.app.startBackground();
  await b.app.startBackground();
  const login = await a.connectAccount('business');
  expect(login.isError, login.text).toBe(false);
  const accountId = a.emulator.users.instagramBusiness.id;
  // Calls through a until Meta reports the account at 85 % or more of its budget.
  while (a.app.graph.slowDownDelay(accountId) === 0) {
    const r = await a.call('instagram_get_posts', { limit: 1 });
    expect(r.isError, r.text).toBe(false);
  }
  expect(b.app.graph.slowDownDelay(accountId)).toBe(0);

  // b reads the shared figures on its next look (every RATE_LIMIT_SHARE_MS).
  (b.clock as VirtualClock).advance(RATE_LIMIT_SHARE_MS);
  for (let i = 0; i < 50 && b.app.graph.slowDownDelay(accountId) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(b.app.graph.slowDownDelay(accountId)).toBeGreaterThan(0);
  expect(b.app.graph.usage().accounts[accountId]![0]!.callCount).toBeGreaterThanOrEqual(80);
  // Only for that account.
  expect(b.app.graph.slowDownDelay(a.emulator.users.instagramCreator.id)).toBe(0);
});
