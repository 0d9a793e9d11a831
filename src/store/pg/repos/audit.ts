/** The audit log on PostgreSQL: the same behaviour as ../../audit.ts (details redacted, newest first). */
import { desc, eq } from 'drizzle-orm';
import { redact } from '../../../log.js';
import type { AuditEntry, AuditRecordInput, AuditRepo } from '../../types.js';
import type { PgRepoContext } from '../context.js';
import { auditLog } from '../schema.js';

const DEFAULT_LIST_LIMIT = 100;

export function createPgAuditRepo({ run, clock }: PgRepoContext): AuditRepo {
  return {
    async record(e: AuditRecordInput) {
      const detailJson = JSON.stringify(redact(e.detail ?? {}));
      const createdAt = clock.now();
      await run.asOwner(e.owner, (db) => db.insert(auditLog).values({ owner: e.owner, agent: e.agent, accountId: e.accountId, action: e.action, detailJson, createdAt }));
    },

    async list(owner, limit = DEFAULT_LIST_LIMIT): Promise<AuditEntry[]> {
      return run.asOwner(owner, async (db) =>
        (
          await db
            .select()
            .from(auditLog)
            .where(eq(auditLog.owner, owner))
            .orderBy(desc(auditLog.id))
            .limit(Math.max(1, Math.floor(limit)))
        ).map(({ detailJson, ...rest }) => ({ ...rest, detail: JSON.parse(detailJson) as Record<string, unknown> })),
      );
    },
  };
}
