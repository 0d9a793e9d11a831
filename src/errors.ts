/**
 * An error meant for the agent: a stable code, a message saying what is wrong, and a hint saying how
 * to recover. Services throw these; the MCP layer turns them into `isError` results.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** The parts of any error an agent may see: code, message, hint and safe details. */
export interface ErrorReport {
  code: string;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

/** Duck-typed so lower layers (Graph errors, media errors) need not know about AppError. */
export function describeError(err: unknown): ErrorReport {
  if (err instanceof AppError) return { code: err.code, message: err.message, hint: err.hint, details: err.details };
  if (err && typeof err === 'object') {
    const e = err as { name?: string; message?: string; hint?: unknown; kind?: unknown; code?: unknown; subcode?: unknown; retryAfterMs?: unknown };
    if (e.name === 'GraphError') {
      const details: Record<string, unknown> = {};
      if (typeof e.code === 'number') details.graph_code = e.code;
      if (typeof e.subcode === 'number') details.graph_subcode = e.subcode;
      if (typeof e.retryAfterMs === 'number') details.retry_after_seconds = Math.ceil(e.retryAfterMs / 1000);
      return { code: `instagram_${String(e.kind ?? 'error')}`, message: e.message ?? 'Instagram API error', hint: typeof e.hint === 'string' ? e.hint : undefined, details };
    }
    if (typeof e.message === 'string') {
      const code = typeof e.code === 'string' ? e.code : (e.name ?? 'error').replace(/Error$/, '').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase() || 'error';
      return { code, message: e.message, hint: typeof e.hint === 'string' ? e.hint : undefined };
    }
  }
  return { code: 'error', message: String(err) };
}
