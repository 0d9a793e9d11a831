/** The OAuth sessions repository on PostgreSQL: the same behaviour as ../../oauthSessions.ts. */
import { and, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import { redact, redactString } from '../../../log.js';
import { NotFoundError } from '../../errors.js';
import { OAUTH_SESSION_TTL_MS } from '../../oauthSessions.js';
import type { OAuthSession, OAuthSessionCreate, OAuthSessionsRepo } from '../../types.js';
import type { PgRepoContext } from '../context.js';
import { oauthSessions } from '../schema.js';

type SessionRow = typeof oauthSessions.$inferSelect;

export function createPgOAuthSessionsRepo({ run, vault, clock }: PgRepoContext): OAuthSessionsRepo {
  const toSession = (row: SessionRow): OAuthSession => {
    const { codeVerifierEnc, resultJson, ...rest } = row;
    return { ...rest, codeVerifier: vault.decrypt(codeVerifierEnc), result: resultJson === null ? null : JSON.parse(resultJson) };
  };

  // First outcome wins: a late complete()/fail() cannot overwrite a finished session. By state: system scope.
  const finish = (state: string, set: Partial<typeof oauthSessions.$inferInsert>) =>
    run.asSystem(async (db) => {
      const result = await db
        .update(oauthSessions)
        .set(set)
        .where(and(eq(oauthSessions.state, state), inArray(oauthSessions.status, ['pending', 'exchanging'])));
      if (result.rowCount === 0) {
        const [exists] = await db.select({ one: sql`1` }).from(oauthSessions).where(eq(oauthSessions.state, state)).limit(1);
        if (!exists) throw new NotFoundError('no OAuth session for this state');
      }
    });

  return {
    async create(s: OAuthSessionCreate) {
      const now = clock.now();
      const ttl = s.ttlMs ?? OAUTH_SESSION_TTL_MS;
      if (!(ttl > 0)) throw new RangeError(`ttlMs must be positive (got ${ttl})`);
      const codeVerifierEnc = vault.encrypt(s.codeVerifier);
      return run.asOwner(s.owner, async (db) => {
        const [row] = await db
          .insert(oauthSessions)
          .values({
            state: s.state,
            codeVerifierEnc,
            loginType: s.loginType,
            owner: s.owner,
            agent: s.agent,
            redirectUri: s.redirectUri,
            status: 'pending',
            createdAt: now,
            expiresAt: now + ttl,
          })
          .returning();
        return toSession(row!);
      });
    },

    async get(state) {
      return run.asSystem(async (db) => {
        const [row] = await db.select().from(oauthSessions).where(eq(oauthSessions.state, state));
        return row && toSession(row);
      });
    },

    async claim(state) {
      // One UPDATE … RETURNING: two callbacks racing for the same state (on any replica) cannot both win.
      return run.asSystem(async (db) => {
        const [row] = await db
          .update(oauthSessions)
          .set({ status: 'exchanging' })
          .where(and(eq(oauthSessions.state, state), eq(oauthSessions.status, 'pending'), gt(oauthSessions.expiresAt, clock.now())))
          .returning();
        return row && toSession(row);
      });
    },

    async complete(state, result) {
      return finish(state, { status: 'completed', resultJson: JSON.stringify(redact(result ?? null)), error: null });
    },

    async fail(state, error) {
      return finish(state, { status: 'failed', error: redactString(error) });
    },

    async hasPending() {
      return run.asSystem(async (db) => {
        const rows = await db
          .select({ one: sql`1` })
          .from(oauthSessions)
          .where(and(eq(oauthSessions.status, 'pending'), gt(oauthSessions.expiresAt, clock.now())))
          .limit(1);
        return rows.length > 0;
      });
    },

    async purgeExpired() {
      return run.asSystem(async (db) => (await db.delete(oauthSessions).where(lte(oauthSessions.expiresAt, clock.now()))).rowCount ?? 0);
    },
  };
}
