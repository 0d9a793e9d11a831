/** Per-agent account toggles on PostgreSQL: the same behaviour as ../../agentAccounts.ts (no row means enabled). */
import { and, eq } from 'drizzle-orm';
import type { AgentAccountsRepo } from '../../types.js';
import type { PgRepoContext } from '../context.js';
import { agentAccounts } from '../schema.js';

export function createPgAgentAccountsRepo({ run, clock }: PgRepoContext): AgentAccountsRepo {
  const byKey = (owner: string, agent: string, accountId: string) =>
    and(eq(agentAccounts.owner, owner), eq(agentAccounts.agent, agent), eq(agentAccounts.accountId, accountId));

  return {
    async setEnabled(owner, agent, accountId, enabled) {
      const updatedAt = clock.now();
      await run.asOwner(owner, (db) =>
        db
          .insert(agentAccounts)
          .values({ owner, agent, accountId, enabled, updatedAt })
          .onConflictDoUpdate({ target: [agentAccounts.owner, agentAccounts.agent, agentAccounts.accountId], set: { enabled, updatedAt } }),
      );
    },

    async isEnabled(owner, agent, accountId) {
      return run.asOwner(owner, async (db) => {
        const [row] = await db.select({ enabled: agentAccounts.enabled }).from(agentAccounts).where(byKey(owner, agent, accountId));
        return row?.enabled ?? true;
      });
    },

    async disabledFor(owner, agent) {
      return run.asOwner(owner, async (db) => {
        const rows = await db
          .select({ accountId: agentAccounts.accountId })
          .from(agentAccounts)
          .where(and(eq(agentAccounts.owner, owner), eq(agentAccounts.agent, agent), eq(agentAccounts.enabled, false)));
        return new Set(rows.map((r) => r.accountId));
      });
    },
  };
}
