import { desc, eq } from 'drizzle-orm';
import { redact } from '../log.js';
import type { RepoContext } from './context.js';
import { auditLog } from './schema.js';
import type { AuditEntry, AuditRecordInput, SyncAuditRepo } from './types.js';

const DEFAULT_LIST_LIMIT = 100;

export function createAuditRepo({ db, clock }: RepoContext): SyncAuditRepo {
  return {
    record(e: AuditRecordInput) {
      db.insert(auditLog)
        .values({
          owner: e.owner,
          agent: e.agent,
          accountId: e.accountId,
          action: e.action,
          detailJson: JSON.stringify(redact(e.detail ?? {})),
          createdAt: clock.now(),
        })
        .run();
    },

    list(owner, limit = DEFAULT_LIST_LIMIT): AuditEntry[] {
      return db
        .select()
        .from(auditLog)
        .where(eq(auditLog.owner, owner))
        .orderBy(desc(auditLog.id))
        .limit(Math.max(1, Math.floor(limit)))
        .all()
        .map(({ detailJson, ...rest }) => ({ ...rest, detail: JSON.parse(detailJson) as Record<string, unknown> }));
    },
  };
}
