import { and, eq } from 'drizzle-orm';
import type { RepoContext } from './context.js';
import { agentAccounts } from './schema.js';
import type { SyncAgentAccountsRepo } from './types.js';

/** Per-agent account toggles. No row means enabled, so new agents and new accounts start enabled. */
export function createAgentAccountsRepo({ db, clock }: RepoContext): SyncAgentAccountsRepo {
  const byKey = (owner: string, agent: string, accountId: string) =>
    and(eq(agentAccounts.owner, owner), eq(agentAccounts.agent, agent), eq(agentAccounts.accountId, accountId));

  return {
    setEnabled(owner, agent, accountId, enabled) {
      const updatedAt = clock.now();
      db.insert(agentAccounts)
        .values({ owner, agent, accountId, enabled, updatedAt })
        .onConflictDoUpdate({ target: [agentAccounts.owner, agentAccounts.agent, agentAccounts.accountId], set: { enabled, updatedAt } })
        .run();
    },

    isEnabled(owner, agent, accountId) {
      const row = db.select({ enabled: agentAccounts.enabled }).from(agentAccounts).where(byKey(owner, agent, accountId)).get();
      return row?.enabled ?? true;
    },

    disabledFor(owner, agent) {
      const rows = db
        .select({ accountId: agentAccounts.accountId })
        .from(agentAccounts)
        .where(and(eq(agentAccounts.owner, owner), eq(agentAccounts.agent, agent), eq(agentAccounts.enabled, false)))
        .all();
      return new Set(rows.map((r) => r.accountId));
    },
  };
}
