/**
 * Graph API error classification — the one place that turns Meta's error bodies (reference §9) into
 * a kind, a retry decision and one actionable hint.
 */
import { redactString } from '../log.js';

export type GraphErrorKind =
  | 'transient'
  | 'rate_limited'
  | 'reauth'
  | 'quota'
  | 'invalid_input'
  | 'not_found'
  | 'permission'
  | 'not_ready'
  | 'network'
  | 'unknown';

export interface GraphErrorInit {
  kind: GraphErrorKind;
  message: string;
  httpStatus?: number;
  code?: number;
  subcode?: number;
  type?: string;
  isTransient: boolean;
  userTitle?: string;
  userMessage?: string;
  fbtraceId?: string;
  retryAfterMs?: number;
  notApplied: boolean;
  hint: string;
  cause?: unknown;
}

export class GraphError extends Error {
  override name = 'GraphError';
  kind: GraphErrorKind;
  httpStatus?: number;
  code?: number;
  subcode?: number;
  type?: string;
  /** Retrying the same request later may succeed (reads / idempotent writes). */
  isTransient: boolean;
  userTitle?: string;
  userMessage?: string;
  fbtraceId?: string;
  /** From estimated_time_to_regain_access (minutes → ms) or Retry-After, where present. */
  retryAfterMs?: number;
  /** True only when the error proves the request had no effect (safe to retry even a publish). */
  notApplied: boolean;
  /** One actionable sentence for an agent. */
  hint: string;
  /** The raw Graph message (redacted), without the code prefix. */
  graphMessage: string;

  constructor(init: GraphErrorInit) {
    super(redactString(init.message), init.cause !== undefined ? { cause: init.cause } : undefined);
    this.kind = init.kind;
    this.httpStatus = init.httpStatus;
    this.code = init.code;
    this.subcode = init.subcode;
    this.type = init.type;
    this.isTransient = init.isTransient;
    this.userTitle = init.userTitle;
    this.userMessage = init.userMessage;
    this.fbtraceId = init.fbtraceId;
    this.retryAfterMs = init.retryAfterMs;
    this.notApplied = init.notApplied;
    this.hint = init.hint;
    this.graphMessage = redactString(init.message);
  }

  /** A plain object safe to log or to return to an agent. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      kind: this.kind,
      message: this.message,
      httpStatus: this.httpStatus,
      code: this.code,
      subcode: this.subcode,
      type: this.type,
      isTransient: this.isTransient,
      notApplied: this.notApplied,
      retryAfterMs: this.retryAfterMs,
      userTitle: this.userTitle,
      userMessage: this.userMessage,
      fbtraceId: this.fbtraceId,
      hint: this.hint,
    };
  }
}

export function isGraphError(value: unknown): value is GraphError {
  return value instanceof GraphError;
}

/** Meaning of the publishing subcodes of §9.4 (plus container-only and token subcodes). */
const SUBCODES: Record<number, string> = {
  // Content publishing (§9.4)
  2207001: 'Instagram server error; try again.',
  2207003: 'Downloading the media took too long; try again.',
  2207004: 'The image is too large to download (maximum 8 MiB).',
  2207005: 'The image format is not supported; use JPEG.',
  2207006: 'The media cannot be found; create a new container.',
  2207008: 'The media container does not exist or has expired; retry within a couple of minutes, then create a new container.',
  2207009: 'The image aspect ratio is not allowed (must be between 4:5 and 1.91:1).',
  2207010: 'The caption is too long (maximum 2200 characters).',
  2207020: 'The media has expired; upload it again with a new container.',
  2207023: 'The media type is unknown.',
  2207026: 'The video format is not supported; check the video specification.',
  2207027: 'The media is not ready for publishing yet (still processing); wait and poll the container.',
  2207028: 'A carousel needs between 2 and 10 photos or videos.',
  2207032: 'Creating the media failed; create the container again.',
  2207035: 'Product tag positions must not be given for video media.',
  2207036: 'Product tag positions are required for photo media.',
  2207037: 'Some product tags could not be added (wrong, deleted or not permitted product).',
  2207040: 'Too many tags for one media (maximum 20 @tags).',
  2207042: 'The daily limit of posts published through the API has been reached; wait for the quota window.',
  2207050: 'The Instagram account is restricted; the user must resolve it in the Instagram app.',
  2207051: 'Instagram restricted this activity to protect the community (spam block); slow down and do not retry automatically.',
  2207052: 'The media could not be fetched from the given URL; it must be publicly reachable.',
  2207053: 'Unknown upload error; create the video container again.',
  2207057: 'The thumbnail offset must be at least 0 and less than the video duration.',
  // Container-only subcodes seen in the status string [OBS]
  2207076: 'The media could not be fetched or processed (e.g. the host does not support Range requests).',
  2207077: 'The media could not be fetched or processed yet.',
  2207082: 'The video is too large or could not be transcoded.',
  // Access-token subcodes (code 190)
  458: 'The user removed the app (deauthorized).',
  459: 'The user is checkpointed and must log in to Instagram/Facebook.',
  460: 'The password changed, invalidating the token.',
  463: 'The access token expired.',
  464: 'The user is unconfirmed.',
  467: 'The access token is invalid.',
  492: 'The session is invalid (the user lacks a role on the Page).',
  33: 'The object does not exist, cannot be loaded due to missing permissions, or does not support this operation.',
};

export function describeSubcode(subcode: number): string | undefined {
  return SUBCODES[subcode];
}

// A throttling answer does not prove the write was not applied: Instagram has answered code 4 to
// media_publish calls it made live. Only our own refusal to send (http.ts, while blocked) proves it.
const RATE_LIMIT_CODES = new Set([4, 17, 32, 341, 613, 80001, 80002, 80003, 80004, 80005, 80006, 80008, 80009, 80014]);
const TRANSIENT_SUBCODES = new Set([2207001, 2207003, 2207032, 2207053]);
const REAUTH_CODES = new Set([102, 104, 190]);

interface ParsedBody {
  message?: string;
  type?: string;
  code?: number;
  subcode?: number;
  isTransient?: boolean;
  userTitle?: string;
  userMessage?: string;
  fbtraceId?: string;
  retryAfterMs?: number;
  hasShape: boolean;
}

function toInt(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) {
    const n = Number(value.trim());
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function parseBody(body: unknown): ParsedBody {
  if (typeof body === 'string') {
    const trimmed = body.trim();
    return { message: trimmed ? trimmed.slice(0, 300) : undefined, hasShape: false };
  }
  if (!body || typeof body !== 'object') return { hasShape: false };
  const root = body as Record<string, unknown>;
  const err = root['error'];
  if (err && typeof err === 'object') {
    const e = err as Record<string, unknown>;
    const errorData = e['error_data'] && typeof e['error_data'] === 'object' ? (e['error_data'] as Record<string, unknown>) : undefined;
    const eta = toInt(errorData?.['estimated_time_to_regain_access']);
    return {
      message: str(e['message']),
      type: str(e['type']),
      code: toInt(e['code']),
      subcode: toInt(e['error_subcode']),
      isTransient: typeof e['is_transient'] === 'boolean' ? (e['is_transient'] as boolean) : undefined,
      userTitle: str(e['error_user_title']),
      userMessage: str(e['error_user_msg']),
      fbtraceId: str(e['fbtrace_id']),
      retryAfterMs: eta && eta > 0 ? eta * 60_000 : undefined,
      hasShape: true,
    };
  }
  // OAuth-style error: {"error":"invalid_request","error_description":"..."}
  if (typeof err === 'string') {
    return { message: str(root['error_description']) ?? err, type: err, hasShape: true };
  }
  // Legacy Instagram shape: {"error_type":"OAuthException","code":400,"error_message":"..."}
  if (typeof root['error_type'] === 'string' || typeof root['error_message'] === 'string') {
    return { message: str(root['error_message']), type: str(root['error_type']), hasShape: true };
  }
  // rupload failure: {"debug_info":{"retriable":false,"type":"ProcessingFailedError","message":"..."}}
  const debugInfo = root['debug_info'];
  if (debugInfo && typeof debugInfo === 'object') {
    const d = debugInfo as Record<string, unknown>;
    return {
      message: str(d['message']),
      type: str(d['type']),
      isTransient: typeof d['retriable'] === 'boolean' ? (d['retriable'] as boolean) : undefined,
      hasShape: true,
    };
  }
  return { message: str(root['message']), hasShape: false };
}

interface Decision {
  kind: GraphErrorKind;
  isTransient: boolean;
  notApplied: boolean;
  hint: string;
}

function decide(p: ParsedBody, httpStatus: number): Decision {
  const { code, subcode } = p;
  const sub = subcode !== undefined ? describeSubcode(subcode) : undefined;
  const d = (kind: GraphErrorKind, hint: string, isTransient = false, notApplied = false): Decision => ({ kind, hint, isTransient, notApplied });

  // Specific publishing subcodes first: they override the generic meaning of their code.
  if (subcode === 2207051) {
    return d('rate_limited', 'Instagram flagged this activity as possible spam: stop, check in the Instagram app whether it actually happened, and do not retry automatically.');
  }
  if (subcode === 2207057) return d('invalid_input', sub!);
  if (code === 9 || subcode === 2207042) {
    return d('quota', 'The publishing quota for the last 24 hours is used up: check instagram content_publishing_limit and publish after the window frees up.');
  }
  if (code === 9007 || subcode === 2207027) {
    return d('not_ready', 'The media container is still processing: poll its status until FINISHED, then publish.');
  }
  if (subcode === 2207020 || subcode === 2207006 || subcode === 2207008 || code === 24) {
    return d('not_found', sub ?? 'The media container was not found or has expired: create a new container.');
  }
  if (code === 25 || subcode === 2207050) return d('permission', describeSubcode(2207050)!);
  if (code !== undefined && RATE_LIMIT_CODES.has(code)) {
    return d('rate_limited', 'Meta rate limit reached: wait before calling again (continuing extends the block).', true, false);
  }
  if (code === 368) return d('rate_limited', 'The account is temporarily blocked for a policy violation: wait before trying again.');
  if (code !== undefined && REAUTH_CODES.has(code)) {
    const why = sub && code === 190 ? ` (${sub})` : '';
    return d('reauth', `The access token is no longer valid${why}: run instagram_authenticate to reconnect this account.`);
  }
  if (code === 10 || code === 3 || (code !== undefined && code >= 200 && code <= 299)) {
    return d('permission', 'The app or token lacks a permission for this action: reconnect with the required scopes or check the account role.');
  }
  if ((code === 100 && subcode === 33) || code === 803) {
    return d('not_found', 'The object does not exist or is not visible to this token (a freshly created container may need a moment).');
  }
  if (code === 1 || code === 2 || code === -1 || code === -2) {
    return d('transient', sub ?? 'Temporary Meta server error: retry shortly.', true, false);
  }
  if (subcode !== undefined && TRANSIENT_SUBCODES.has(subcode)) return d('transient', sub!, true, false);
  if (p.isTransient === true) return d('transient', 'Temporary Meta error: retry shortly.', true, false);
  if (httpStatus === 429) {
    return d('rate_limited', 'Meta rate limit reached (HTTP 429): wait before calling again.', true, false);
  }
  if (httpStatus >= 500) return d('transient', 'Meta returned a server error: retry shortly.', true, false);
  if (
    code === 100 ||
    code === 352 ||
    code === 9004 ||
    code === 506 ||
    code === 1609005 ||
    (code !== undefined && code >= 36000 && code <= 36004) ||
    (subcode !== undefined && subcode >= 2207000 && subcode <= 2207999)
  ) {
    if (code === 506) return d('invalid_input', 'Instagram rejected this as a duplicate post.');
    return d('invalid_input', sub ?? 'Meta rejected a parameter of the request: fix it and try again.');
  }
  if (p.type === 'OAuthException' && code === undefined && p.hasShape) {
    return d('invalid_input', 'Meta rejected the OAuth request (code, redirect URI or app credentials): start instagram_authenticate again.');
  }
  if (httpStatus === 401) return d('reauth', 'The access token was rejected: run instagram_authenticate to reconnect this account.');
  if (httpStatus === 403) return d('permission', 'Meta refused this action for this token.');
  if (httpStatus === 404) return d('not_found', 'The requested object or endpoint was not found.');
  if (httpStatus === 400 || httpStatus === 422) return d('invalid_input', 'Meta rejected the request: check its parameters.');
  return d('unknown', 'Unexpected error from Meta: check the message and try again later.');
}

/**
 * Classifies a Graph API error body (`{error:{message,type,code,error_subcode,is_transient,...}}`, also
 * the legacy/OAuth/rupload shapes, a raw text body or nothing) with its HTTP status.
 */
export function classifyGraphError(body: unknown, httpStatus: number): GraphError {
  const p = parseBody(body);
  const decision = decide(p, httpStatus);
  const codePart = p.code !== undefined ? `(#${p.code}${p.subcode !== undefined ? `/${p.subcode}` : ''}) ` : '';
  const text = p.message ?? (httpStatus ? `HTTP ${httpStatus}` : 'Unknown Graph API error');
  // Meta's own messages often start with "(#100)" already: never say it twice.
  const prefix = text.startsWith(`(#${p.code}`) ? '' : codePart;
  return new GraphError({
    kind: decision.kind,
    message: `${prefix}${text}`.trim(),
    httpStatus: httpStatus || undefined,
    code: p.code,
    subcode: p.subcode,
    type: p.type,
    isTransient: decision.isTransient,
    userTitle: p.userTitle,
    userMessage: p.userMessage,
    fbtraceId: p.fbtraceId,
    retryAfterMs: p.retryAfterMs,
    notApplied: decision.notApplied,
    hint: decision.hint,
  });
}

/** A transport failure (no Graph answer). `notApplied` only when the request provably never left. */
export function networkError(message: string, opts: { notApplied: boolean; cause?: unknown; timeout?: boolean }): GraphError {
  return new GraphError({
    kind: 'network',
    message,
    isTransient: true,
    notApplied: opts.notApplied,
    hint: opts.notApplied
      ? 'Could not reach Meta (nothing was sent): check the network and retry.'
      : opts.timeout
        ? 'Meta did not answer in time; the request may or may not have been applied: check its effect before retrying a write.'
        : 'The connection to Meta broke; the request may or may not have been applied: check its effect before retrying a write.',
    cause: opts.cause,
  });
}

// ---------------------------------------------------------------------------------------------- publishing rules
// What a failed call means for the publishing workflow: decided here, asked by services/publishing.

/** 100/33 right after a container was created: Instagram has not caught up with it yet. */
export function isNotFoundYet(err: unknown): boolean {
  return err instanceof GraphError && err.code === 100 && err.subcode === 33;
}

/** A read that got no answer about its object (transient or network): worth reading again. */
export function isTransientRead(err: unknown): boolean {
  return err instanceof GraphError && (err.isTransient || err.kind === 'network');
}

/** A Graph answer that settles a status read: not transient, not network, not a fresh container's 100/33. */
export function isConclusiveReadError(err: unknown): boolean {
  return err instanceof GraphError && !isTransientRead(err) && !isNotFoundYet(err);
}

/** A failure that says nothing about the request itself: the same call may well pass later. */
export function mayPassLater(err: unknown): boolean {
  return err instanceof GraphError && (err.isTransient || err.notApplied || err.kind === 'network' || err.kind === 'transient' || err.kind === 'rate_limited');
}

/** Instagram refused the request as such (input, permission, token, quota): sending it again fails again. */
export function isRefusal(err: unknown): boolean {
  return err instanceof GraphError && (err.kind === 'invalid_input' || err.kind === 'permission' || err.kind === 'reauth' || err.kind === 'quota');
}

/** The app may not use resumable uploads: the video has to be served at a URL instead. */
export function refusesResumableUpload(err: unknown): boolean {
  return err instanceof GraphError && (err.kind === 'permission' || (err.kind === 'invalid_input' && /upload_type|resumable/i.test(err.message)));
}

/** A write that failed this way may or may not have been applied: never repeat it blindly. */
export function mayHaveApplied(err: unknown): boolean {
  return err instanceof GraphError && !err.notApplied && (err.kind === 'network' || err.kind === 'unknown');
}

/**
 * How to read a failed media_publish. Only `not_ready` (9007), `not_applied` (never sent) and `quota`
 * (9/2207042) prove nothing went live. `refused` will not pass on a retry and `unknown` may: both may
 * have gone live all the same (a spam block 2207051 or a code 4 on a publish Instagram applied), so
 * the container and the account's media decide before anything else is done.
 */
export type PublishFailure = 'not_ready' | 'not_applied' | 'quota' | 'refused' | 'unknown';

export function readPublishFailure(err: unknown): PublishFailure {
  if (!(err instanceof GraphError)) return 'unknown';
  if (err.kind === 'not_ready') return 'not_ready';
  if (err.notApplied) return 'not_applied';
  if (err.kind === 'quota') return 'quota';
  if (err.kind === 'invalid_input' || err.kind === 'permission' || err.kind === 'not_found' || err.subcode === 2207051) return 'refused';
  return 'unknown';
}

/** What a failed post records: the Graph code and subcode, the message, our code and a hint. */
export interface FailureReport {
  code: number | null;
  subcode: number | null;
  message: string;
  failureCode: string;
  hint?: string;
}

/** A failure decided earlier and kept (the post's proof that it is not live was finished later). */
export class ReportedFailureError extends Error {
  override name = 'ReportedFailureError';
  constructor(readonly report: FailureReport) {
    super(report.message);
  }
}

export function graphFailureReport(err: GraphError): FailureReport {
  return { code: err.code ?? null, subcode: err.subcode ?? null, message: err.message, failureCode: `instagram_${err.kind}`, ...(err.hint ? { hint: err.hint } : {}) };
}

/** The status of a container that ended in ERROR or EXPIRED. */
export interface FailedContainerStatus {
  statusCode: 'ERROR' | 'EXPIRED';
  status?: string;
  errorSubcode?: number;
}

/** A container that ended in ERROR or EXPIRED: the post cannot go live from it. */
export class ContainerFailedError extends Error {
  override name = 'ContainerFailedError';
  constructor(
    readonly status: FailedContainerStatus,
    what: string,
  ) {
    super(
      status.statusCode === 'EXPIRED'
        ? `The media container of ${what} expired before it was published (containers live 24 hours).`
        : `Instagram could not process ${what}${status.status ? `: ${status.status}` : '.'}`,
    );
  }

  report(): FailureReport {
    const subcode = this.status.errorSubcode ?? null;
    const expired = this.status.statusCode === 'EXPIRED';
    const hint = expired ? 'Create the post again.' : subcode ? describeSubcode(subcode) : undefined;
    return { code: null, subcode, message: this.message, failureCode: expired ? 'container_expired' : 'container_error', ...(hint ? { hint } : {}) };
  }
}

/** What a failure means for the user: the subcode's meaning, else the hint recorded with it. */
export function failureMeaning(subcode: number | null, hint: string | undefined): string | null {
  return (subcode ? describeSubcode(subcode) : undefined) ?? hint ?? null;
}

/** An interrupted resumable upload worth resuming: not refused by Instagram, not a bad offset or a changed file (RangeError). */
export function isUploadResumable(err: unknown): boolean {
  return !(err instanceof RangeError) && !isRefusal(err);
}

/** How long Meta asked to wait before trying again (0 when it did not say). */
export function retryAfterMsOf(err: unknown): number {
  return err instanceof GraphError ? (err.retryAfterMs ?? 0) : 0;
}
