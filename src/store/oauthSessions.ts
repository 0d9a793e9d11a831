import { and, eq, gt, inArray, lte } from 'drizzle-orm';
import { redact, redactString } from '../log.js';
import { rowExists, type RepoContext } from './context.js';
import { NotFoundError } from './errors.js';
import { oauthSessions } from './schema.js';
import type { OAuthSession, OAuthSessionCreate, SyncOAuthSessionsRepo } from './types.js';

export const OAUTH_SESSION_TTL_MS = 10 * 60 * 1000;

type SessionRow = typeof oauthSessions.$inferSelect;

export function createOAuthSessionsRepo({ db, vault, clock }: RepoContext): SyncOAuthSessionsRepo {
  const toSession = (row: SessionRow): OAuthSession => {
    const { codeVerifierEnc, resultJson, ...rest } = row;
    return { ...rest, codeVerifier: vault.decrypt(codeVerifierEnc), result: resultJson === null ? null : JSON.parse(resultJson) };
  };

  // First outcome wins: a late complete()/fail() cannot overwrite a finished session.
  const finish = (state: string, set: Partial<typeof oauthSessions.$inferInsert>) => {
    const result = db
      .update(oauthSessions)
      .set(set)
      .where(and(eq(oauthSessions.state, state), inArray(oauthSessions.status, ['pending', 'exchanging'])))
      .run();
    if (result.changes === 0 && !rowExists(db, oauthSessions, eq(oauthSessions.state, state))) {
      throw new NotFoundError("no OAuth session for this state");
    }
  };

  return {
    create(s: OAuthSessionCreate) {
      const now = clock.now();
      const ttl = s.ttlMs ?? OAUTH_SESSION_TTL_MS;
      if (!(ttl > 0)) throw new RangeError(`ttlMs must be positive (got ${ttl})`);
      const row = db
        .insert(oauthSessions)
        .values({
          state: s.state,
          codeVerifierEnc: vault.encrypt(s.codeVerifier),
          loginType: s.loginType,
          owner: s.owner,
          agent: s.agent,
          redirectUri: s.redirectUri,
          status: 'pending',
          createdAt: now,
          expiresAt: now + ttl,
        })
        .returning()
        .get();
      return toSession(row);
    },

    get(state) {
      const row = db.select().from(oauthSessions).where(eq(oauthSessions.state, state)).get();
      return row && toSession(row);
    },

    claim(state) {
      // One UPDATE … RETURNING: two callbacks racing for the same state cannot both win.
      const row = db
        .update(oauthSessions)
        .set({ status: 'exchanging' })
        .where(and(eq(oauthSessions.state, state), eq(oauthSessions.status, 'pending'), gt(oauthSessions.expiresAt, clock.now())))
        .returning()
        .get();
      return row && toSession(row);
    },

    complete(state, result) {
      finish(state, { status: 'completed', resultJson: JSON.stringify(redact(result ?? null)), error: null });
    },

    fail(state, error) {
      finish(state, { status: 'failed', error: redactString(error) });
    },

    hasPending() {
      return rowExists(db, oauthSessions, and(eq(oauthSessions.status, 'pending'), gt(oauthSessions.expiresAt, clock.now())));
    },

    purgeExpired() {
      return db.delete(oauthSessions).where(lte(oauthSessions.expiresAt, clock.now())).run().changes;
    },
  };
}
