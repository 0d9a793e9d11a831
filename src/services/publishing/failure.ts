/** Failing a post: what the error means (rules in instagram/errors.ts), the move to `failed`, the audit entry. */
import type { Clock } from '../../clock.js';
import { AppError, describeError } from '../../errors.js';
import { ContainerFailedError, graphFailureReport, isGraphError, ReportedFailureError, type FailureReport } from '../../instagram/errors.js';
import type { Logger } from '../../log.js';
import type { LeaseFence, PostRecord, Store } from '../../store/index.js';
import { failedChange, isInFlight, transition } from './stateTable.js';

export function failureReportOf(err: unknown): FailureReport {
  if (err instanceof ContainerFailedError) return err.report();
  if (err instanceof ReportedFailureError) return err.report;
  if (isGraphError(err)) return graphFailureReport(err);
  const report = describeError(err);
  return {
    code: typeof report.details?.graph_code === 'number' ? report.details.graph_code : null,
    subcode: typeof report.details?.graph_subcode === 'number' ? report.details.graph_subcode : null,
    message: report.message,
    failureCode: report.code,
    ...(report.hint ? { hint: report.hint } : {}),
  };
}

/** Moves the post to `failed` (a post already finished, or live with its media id, stays as it is). */
export async function failPost(ctx: { store: Store; clock: Clock; logger: Logger; fence?: LeaseFence }, post: PostRecord, err: unknown): Promise<void> {
  const current = (await ctx.store.posts.getById(post.id)) ?? post;
  if (!isInFlight(current.state)) {
    ctx.logger.warn('a finished post met an error; it stays as it is', { post: post.id, state: current.state, error: describeError(err).message });
    return;
  }
  if (current.mediaId) {
    // A media id means it is live: whatever went wrong afterwards, the post is completed, never failed.
    ctx.logger.error('a live post met an error; it is not marked failed', { post: post.id, state: current.state, error: describeError(err).message });
    return;
  }
  const report = failureReportOf(err);
  if (!(err instanceof AppError) && !isGraphError(err) && !(err instanceof ContainerFailedError) && !(err instanceof ReportedFailureError)) {
    ctx.logger.error('post failed on an unexpected error', { post: post.id, error: err instanceof Error ? err.stack : String(err) });
  }
  await ctx.store.transaction(async () => {
    await transition(ctx, current, 'failed', failedChange(report));
    await ctx.store.audit.record({
      owner: post.owner,
      agent: post.settings.agent ?? null,
      accountId: post.accountId,
      action: 'post.failed',
      detail: { post_id: post.id, kind: post.kind, state: current.state, code: report.code ?? report.failureCode, subcode: report.subcode, message: report.message },
    });
  });
  ctx.logger.warn('post failed', { post: post.id, state: current.state, code: report.code ?? report.failureCode, subcode: report.subcode });
}
