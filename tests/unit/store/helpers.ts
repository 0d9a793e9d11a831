import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { VirtualClock } from '../../../src/clock.js';
import { openStore, TokenVault, type AccountUpsert, type Store } from '../../../src/store/index.js';
import { testToken } from '../../helpers/secrets.js';

const IG_STORED_TOKEN = testToken('IGAA', 'tokenSECRETvalue0123456789', 30);

const cleanups: Array<() => void> = [];

afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

/** A fresh temporary directory, removed after the test. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'instagram-mcp-store-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function newVault(key: Buffer = randomBytes(32)): TokenVault {
  return new TokenVault(key);
}

/** Opens a store that is closed after the test. */
export function openTestStore(opts: { file?: string; vault?: TokenVault; clock?: VirtualClock } = {}): { store: Store; clock: VirtualClock; vault: TokenVault } {
  const clock = opts.clock ?? new VirtualClock();
  const vault = opts.vault ?? newVault();
  const store = openStore({ file: opts.file ?? ':memory:', vault, clock });
  cleanups.push(() => store.close());
  return { store, clock, vault };
}

export function accountInput(overrides: Partial<AccountUpsert> = {}): AccountUpsert {
  return {
    owner: 'owner-a',
    id: '17841400000000123',
    appScopedId: '9007199254740993',
    username: 'Acme.Coffee',
    name: 'Acme Coffee',
    biography: null,
    website: null,
    profilePictureUrl: null,
    accountType: 'BUSINESS',
    loginType: 'instagram',
    pageId: null,
    followersCount: 10,
    followsCount: 2,
    mediaCount: 3,
    accessToken: IG_STORED_TOKEN,
    tokenIssuedAt: Date.UTC(2026, 10, 24),
    tokenExpiresAt: Date.UTC(2027, 0, 23),
    lastRefreshAt: null,
    status: 'active',
    ...overrides,
  };
}
