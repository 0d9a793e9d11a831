/**
 * The one network layer for Meta's hosts and the one place for the retry policy.
 *
 * - Tokens travel in the Authorization header only (except the few token endpoints where Meta
 *   documents them as query parameters; callers put those in `query`). Every secret is registered
 *   for redaction and no URL with a query string is ever logged.
 * - Every body is parsed with `parseJsonLossless` so ids above 2^53 stay exact strings.
 * - Usage headers (X-App-Usage, X-Business-Use-Case-Usage) are tracked; high usage slows calls
 *   down, a throttle with estimated_time_to_regain_access blocks further calls locally.
 */
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { Agent, request as undiciRequest } from 'undici';
import type { Clock } from '../clock.js';
import { JsonTooDeepOrLong, parseJsonLossless } from '../json.js';
import { registerSecret, redactString, silentLogger, type Logger } from '../log.js';
import { classifyGraphError, GraphError, networkError } from './errors.js';

export type HostRole = 'instagram_graph' | 'facebook_graph' | 'instagram_api' | 'rupload';

/** Base URL per host, e.g. https://graph.instagram.com. May carry a path prefix (emulator). */
export interface BaseUrls {
  instagramGraph: string;
  facebookGraph: string;
  instagramApi: string;
  rupload: string;
}

/**
 * - `read`: retry transient and rate-limited errors and network failures with backoff.
 * - `idempotent_write`: a duplicate is harmless (e.g. creating a container): retried like reads.
 * - `write`: publish, comment: retried ONLY when the error proves the request had no effect.
 */
export type RetryPolicy = 'read' | 'idempotent_write' | 'write';

type QueryValue = string | number | boolean | undefined;

export interface GraphRequest {
  host: HostRole;
  method: 'GET' | 'POST' | 'DELETE';
  /** '/me', '/123/media' — joined to the host's base URL (and version). */
  path: string;
  /** Default true for the graph hosts, false for instagram_api and rupload. */
  versioned?: boolean;
  query?: Record<string, QueryValue>;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, QueryValue>;
  /** Sent as application/json. */
  json?: unknown;
  /** Raw binary body (rupload). A stream can be sent only once, so stream bodies are never retried. */
  body?: Readable | Buffer;
  headers?: Record<string, string>;
  /** Always sent in the Authorization header. */
  token?: string;
  /** Default 'Bearer'; the rupload host wants 'OAuth'. */
  tokenScheme?: 'Bearer' | 'OAuth';
  /** Default: GET → read, otherwise write. */
  retry?: RetryPolicy;
  signal?: AbortSignal;
  /** IG account the call acts for: usage tracking, slow-down and local blocking. */
  accountId?: string;
  /** Overall time for one attempt (headers + body); 0 disables. Default from options (30 s). */
  timeoutMs?: number;
}

export interface GraphResponse<T = unknown> {
  status: number;
  data: T;
  headers: Record<string, string>;
}

export interface AppUsage {
  callCount: number;
  totalTime: number;
  totalCputime: number;
  at: number;
}

export interface BucUsage {
  type: string;
  callCount: number;
  totalTime: number;
  totalCputime: number;
  estimatedTimeToRegainAccessMin: number;
  at: number;
}

export interface UsageSnapshot {
  app?: AppUsage;
  accounts: Record<string, BucUsage[]>;
  /** accountId or 'app' → epoch ms until which calls fail fast. */
  blockedUntil: Record<string, number>;
}

export interface RequestInfo {
  host: HostRole;
  method: string;
  path: string;
  /** 0 when no HTTP answer was received. */
  status: number;
  durationMs: number;
  attempt: number;
}

export interface GraphHttpOptions {
  baseUrls: BaseUrls;
  /** e.g. 'v24.0' */
  apiVersion: string;
  clock: Clock;
  logger?: Logger;
  /** Per-attempt timeout, default 30 s. */
  timeoutMs?: number;
  /** Retries after the first attempt, default 3. */
  maxRetries?: number;
  /** Default 500 ms. */
  baseBackoffMs?: number;
  /** Default 30 s. */
  maxBackoffMs?: number;
  /** A wait longer than this (e.g. estimated_time_to_regain_access) is not slept: the error is thrown. Default 60 s. */
  maxRetryWaitMs?: number;
  /** An answer larger than this is cut off and refused while it streams in (default 16 MiB; Graph pages are far smaller). */
  maxResponseBytes?: number;
  random?: () => number;
  /** Usage percentage from which calls are slowed down, default 80. */
  slowDownThreshold?: number;
  /** Delay added per call at 100 % usage (linear from the threshold), default 5 s. */
  maxSlowDownMs?: number;
  userAgent?: string;
  onRequest?: (info: RequestInfo) => void;
  /**
   * Told when Meta throttles a key ('app' or an account id) until a time, so other processes sharing
   * the store can hold back too (see adoptBlocks).
   */
  onBlock?: (key: string, until: number) => void;
  /**
   * Told when Meta reports a key's usage ('app': X-App-Usage; an account id: its
   * X-Business-Use-Case-Usage entries), when it changed or at least every 30 s, so other processes
   * sharing the store slow down near the limit too (see adoptUsage).
   */
  onUsage?: (key: string, observedAt: number, usage: AppUsage | BucUsage[]) => void;
  /** Custom undici dispatcher options (tests); default keep-alive Agent. */
  agentOptions?: ConstructorParameters<typeof Agent>[0];
}

const CONNECT_PHASE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
/** A key's usage is shared again after this long even when Meta reports the same percentages. */
const USAGE_RESHARE_MS = 30_000;
/** Usage snapshots older than this no longer slow calls down. */
const USAGE_STALE_MS = 60 * 60_000;
/** The longest throttle taken from Meta's headers: a larger estimate is a broken or hostile answer, not a plan. */
export const MAX_THROTTLE_MS = 24 * 60 * 60_000;
const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** Keys whose values are registered as secrets when they appear in a query or a form. */
const SECRET_PARAM_KEYS = new Set(['access_token', 'client_secret', 'fb_exchange_token', 'input_token', 'code', 'code_verifier']);

function hostBase(baseUrls: BaseUrls, host: HostRole): string {
  switch (host) {
    case 'instagram_graph':
      return baseUrls.instagramGraph;
    case 'facebook_graph':
      return baseUrls.facebookGraph;
    case 'instagram_api':
      return baseUrls.instagramApi;
    case 'rupload':
      return baseUrls.rupload;
  }
}

/** Joins a base URL (which may carry a path prefix) and a path, never replacing the prefix. */
export function joinUrl(base: string, ...parts: string[]): string {
  const url = new URL(base);
  let path = url.pathname.replace(/\/+$/, '');
  for (const part of parts) {
    const clean = part.replace(/^\/+/, '').replace(/\/+$/, '');
    if (clean) path += `/${clean}`;
  }
  url.pathname = path || '/';
  url.search = '';
  url.hash = '';
  return url.toString();
}

function encodeParams(params: Record<string, QueryValue> | undefined): URLSearchParams {
  const out = new URLSearchParams();
  if (!params) return out;
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    out.append(key, String(value));
  }
  return out;
}

function registerParamSecrets(params: Record<string, QueryValue> | undefined): void {
  if (!params) return;
  for (const [key, value] of Object.entries(params)) {
    if (typeof value === 'string' && SECRET_PARAM_KEYS.has(key)) registerSecret(value);
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function intOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.round(value);
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Math.round(Number(value));
  return undefined;
}

/** Parses X-App-Usage; undefined when absent or malformed. */
export function parseAppUsage(header: string | undefined, at: number): AppUsage | undefined {
  if (!header) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(header);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const o = parsed as Record<string, unknown>;
  const callCount = intOf(o['call_count']);
  const totalTime = intOf(o['total_time']);
  const totalCputime = intOf(o['total_cputime']);
  if (callCount === undefined && totalTime === undefined && totalCputime === undefined) return undefined;
  return { callCount: callCount ?? 0, totalTime: totalTime ?? 0, totalCputime: totalCputime ?? 0, at };
}

/** Parses X-Business-Use-Case-Usage; entries that do not parse are skipped. */
export function parseBucUsage(header: string | undefined, at: number): Record<string, BucUsage[]> | undefined {
  if (!header) return undefined;
  let parsed: unknown;
  try {
    parsed = parseJsonLossless(header);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const out: Record<string, BucUsage[]> = {};
  for (const [id, raw] of Object.entries(parsed as Record<string, unknown>)) {
    const list = Array.isArray(raw) ? raw : raw && typeof raw === 'object' ? [raw] : [];
    const entries: BucUsage[] = [];
    for (const item of list) {
      if (!item || typeof item !== 'object') continue;
      const o = item as Record<string, unknown>;
      const callCount = intOf(o['call_count']);
      const totalTime = intOf(o['total_time']);
      const totalCputime = intOf(o['total_cputime']);
      if (callCount === undefined && totalTime === undefined && totalCputime === undefined) continue;
      entries.push({
        type: typeof o['type'] === 'string' ? (o['type'] as string) : 'unknown',
        callCount: callCount ?? 0,
        totalTime: totalTime ?? 0,
        totalCputime: totalCputime ?? 0,
        estimatedTimeToRegainAccessMin: Math.max(0, intOf(o['estimated_time_to_regain_access']) ?? 0),
        at,
      });
    }
    if (entries.length) out[id] = entries;
  }
  return Object.keys(out).length ? out : undefined;
}

function collectErrorCodes(err: unknown, depth = 0): string[] {
  if (!err || typeof err !== 'object' || depth > 4) return [];
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  const codes: string[] = [];
  if (typeof e.code === 'string') codes.push(e.code);
  if (e.cause) codes.push(...collectErrorCodes(e.cause, depth + 1));
  if (Array.isArray(e.errors)) for (const inner of e.errors) codes.push(...collectErrorCodes(inner, depth + 1));
  return codes;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

function isPlainErrorBody(data: unknown): boolean {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return false;
  const err = (data as Record<string, unknown>)['error'];
  return !!err && typeof err === 'object' && ('code' in (err as object) || 'message' in (err as object));
}

export class GraphHttp {
  readonly apiVersion: string;
  readonly baseUrls: BaseUrls;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxRetryWaitMs: number;
  private readonly maxResponseBytes: number;
  private readonly random: () => number;
  private readonly slowDownThreshold: number;
  private readonly maxSlowDownMs: number;
  private readonly userAgent: string;
  private readonly onRequest?: (info: RequestInfo) => void;
  private readonly onBlock?: (key: string, until: number) => void;
  private readonly onUsage?: (key: string, observedAt: number, usage: AppUsage | BucUsage[]) => void;
  /** What was last shared per key: its percentages and when. */
  private readonly sharedUsage = new Map<string, { figures: string; at: number }>();
  private readonly agent: Agent;
  private appUsage?: AppUsage;
  private readonly accountUsage: Record<string, BucUsage[]> = {};
  private readonly blocked: Record<string, number> = {};
  private closed = false;

  constructor(opts: GraphHttpOptions) {
    this.apiVersion = opts.apiVersion.startsWith('v') ? opts.apiVersion : `v${opts.apiVersion}`;
    this.baseUrls = { ...opts.baseUrls };
    for (const base of Object.values(this.baseUrls)) new URL(base); // fail early on a bad base URL
    this.clock = opts.clock;
    this.logger = opts.logger ?? silentLogger;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxRetries = Math.max(0, opts.maxRetries ?? 3);
    this.baseBackoffMs = opts.baseBackoffMs ?? 500;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    this.maxRetryWaitMs = opts.maxRetryWaitMs ?? 60_000;
    this.maxResponseBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.random = opts.random ?? Math.random;
    this.slowDownThreshold = opts.slowDownThreshold ?? 80;
    this.maxSlowDownMs = opts.maxSlowDownMs ?? 5_000;
    this.userAgent = opts.userAgent ?? 'instagram-mcp';
    this.onRequest = opts.onRequest;
    this.onBlock = opts.onBlock;
    this.onUsage = opts.onUsage;
    this.agent = new Agent({ keepAliveTimeout: 4_000, keepAliveMaxTimeout: 60_000, connections: 16, ...opts.agentOptions });
  }

  /** The URL a request would go to (no query string: safe to log). */
  urlFor(host: HostRole, path: string, versioned?: boolean): string {
    const isGraph = host === 'instagram_graph' || host === 'facebook_graph';
    const withVersion = versioned ?? isGraph;
    return joinUrl(hostBase(this.baseUrls, host), ...(withVersion ? [this.apiVersion] : []), path);
  }

  usage(): UsageSnapshot {
    const now = this.clock.now();
    const blockedUntil: Record<string, number> = {};
    for (const [key, until] of Object.entries(this.blocked)) {
      if (until > now) blockedUntil[key] = until;
      else delete this.blocked[key];
    }
    const accounts: Record<string, BucUsage[]> = {};
    for (const [id, entries] of Object.entries(this.accountUsage)) accounts[id] = entries.map((e) => ({ ...e }));
    return { app: this.appUsage ? { ...this.appUsage } : undefined, accounts, blockedUntil };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.agent.close();
  }

  async request<T = unknown>(req: GraphRequest): Promise<GraphResponse<T>> {
    if (this.closed) throw new Error('GraphHttp is closed');
    const policy: RetryPolicy = req.retry ?? (req.method === 'GET' ? 'read' : 'write');
    const replayable = !(req.body instanceof Readable);
    if (req.token) registerSecret(req.token);
    registerParamSecrets(req.query);
    registerParamSecrets(req.form);
    const logPath = redactString(req.path);

    for (let attempt = 1; ; attempt++) {
      if (req.signal?.aborted) throw abortReason(req.signal);
      this.failIfBlocked(req.accountId);
      await this.slowDown(req.accountId, req.signal);

      let error: GraphError;
      try {
        return await this.attempt<T>(req, attempt, logPath);
      } catch (err) {
        if (!(err instanceof GraphError)) throw err; // cancellation or a local error
        error = err;
      }

      const retryable =
        replayable &&
        attempt <= this.maxRetries &&
        (policy === 'write' ? error.notApplied : error.isTransient || error.notApplied);
      if (!retryable) throw error;

      const backoffCap = Math.min(this.maxBackoffMs, this.baseBackoffMs * 2 ** (attempt - 1));
      const jittered = Math.floor(this.random() * backoffCap);
      const wait = error.retryAfterMs !== undefined ? Math.max(error.retryAfterMs, jittered) : jittered;
      if (wait > this.maxRetryWaitMs) throw error;
      this.logger.warn('graph request retry', {
        host: req.host,
        method: req.method,
        path: logPath,
        attempt,
        kind: error.kind,
        code: error.code,
        subcode: error.subcode,
        waitMs: wait,
      });
      if (wait > 0) await this.clock.sleep(wait, req.signal);
    }
  }

  private failIfBlocked(accountId: string | undefined): void {
    const now = this.clock.now();
    for (const key of ['app', ...(accountId ? [accountId] : [])]) {
      const until = this.blocked[key];
      if (until === undefined) continue;
      if (until <= now) {
        delete this.blocked[key];
        continue;
      }
      throw new GraphError({
        kind: 'rate_limited',
        message: `Rate limited by Meta: calls for ${key === 'app' ? 'this app' : `account ${key}`} are paused until ${new Date(until).toISOString()}`,
        isTransient: true,
        notApplied: true,
        retryAfterMs: until - now,
        hint: `Meta throttled ${key === 'app' ? 'this app' : 'this account'}: wait about ${Math.ceil((until - now) / 60_000)} minute(s) before calling again.`,
      });
    }
  }

  private usagePercent(key: string): number {
    const now = this.clock.now();
    if (key === 'app') {
      const u = this.appUsage;
      if (!u || now - u.at > USAGE_STALE_MS) return 0;
      return Math.max(u.callCount, u.totalTime, u.totalCputime);
    }
    const entries = this.accountUsage[key];
    if (!entries) return 0;
    let max = 0;
    for (const e of entries) {
      if (now - e.at > USAGE_STALE_MS) continue;
      max = Math.max(max, e.callCount, e.totalTime, e.totalCputime);
    }
    return max;
  }

  /** Delay (ms) before the next call: 0 below the threshold, rising linearly to maxSlowDownMs at 100 %. */
  slowDownDelay(accountId?: string): number {
    const pct = Math.max(this.usagePercent('app'), accountId ? this.usagePercent(accountId) : 0);
    if (pct < this.slowDownThreshold) return 0;
    const span = Math.max(1, 100 - this.slowDownThreshold);
    const fraction = Math.min(1, (pct - this.slowDownThreshold + 1) / (span + 1));
    return Math.round(this.maxSlowDownMs * fraction);
  }

  private async slowDown(accountId: string | undefined, signal: AbortSignal | undefined): Promise<void> {
    const delay = this.slowDownDelay(accountId);
    if (delay <= 0) return;
    this.logger.debug('graph usage high, slowing down', { accountId, delayMs: delay });
    await this.clock.sleep(delay, signal);
  }

  private recordUsage(headers: Record<string, string>): Record<string, BucUsage[]> | undefined {
    const at = this.clock.now();
    const rawApp = headers['x-app-usage'];
    const app = parseAppUsage(rawApp, at);
    if (app) {
      this.appUsage = app;
      this.share('app', app, [app.callCount, app.totalTime, app.totalCputime]);
    } else if (rawApp) this.logger.debug('ignoring malformed X-App-Usage header');
    const rawBuc = headers['x-business-use-case-usage'];
    const buc = parseBucUsage(rawBuc, at);
    if (buc) {
      for (const [id, entries] of Object.entries(buc)) {
        this.accountUsage[id] = entries;
        this.share(id, entries, entries.flatMap((e) => [e.type, e.callCount, e.totalTime, e.totalCputime, e.estimatedTimeToRegainAccessMin]));
      }
    } else if (rawBuc) this.logger.debug('ignoring malformed X-Business-Use-Case-Usage header');
    return buc;
  }

  private share(key: string, usage: AppUsage | BucUsage[], figures: Array<string | number>): void {
    if (!this.onUsage) return;
    const now = this.clock.now();
    const text = figures.join(',');
    const last = this.sharedUsage.get(key);
    if (last && last.figures === text && now - last.at < USAGE_RESHARE_MS) return;
    this.sharedUsage.set(key, { figures: text, at: now });
    this.onUsage(key, now, usage);
  }

  /**
   * Usage another process of this server saw (read from the shared store): adopted where it is newer
   * than what this process saw itself, so the slow-down near Meta's limits applies here too. Entries
   * that do not have the shape this class writes are ignored.
   */
  adoptUsage(entries: Array<{ key: string; observedAt: number; usage: unknown }>): void {
    const isFigure = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
    for (const { key, observedAt, usage } of entries) {
      if (key === 'app') {
        const u = usage as Partial<AppUsage> | null;
        if (!u || ![u.callCount, u.totalTime, u.totalCputime].every(isFigure)) continue;
        if (this.appUsage && this.appUsage.at >= observedAt) continue;
        this.appUsage = { callCount: u.callCount!, totalTime: u.totalTime!, totalCputime: u.totalCputime!, at: observedAt };
        continue;
      }
      if (!Array.isArray(usage)) continue;
      const list = (usage as Array<Partial<BucUsage> | null>).filter(
        (e): e is BucUsage => !!e && typeof e.type === 'string' && [e.callCount, e.totalTime, e.totalCputime, e.estimatedTimeToRegainAccessMin].every(isFigure),
      );
      if (list.length === 0) continue;
      const mine = this.accountUsage[key];
      if (mine && Math.max(...mine.map((e) => e.at)) >= observedAt) continue;
      this.accountUsage[key] = list.map((e) => ({ ...e, at: observedAt }));
    }
  }

  private buildBody(req: GraphRequest, headers: Record<string, string>): string | Buffer | Readable | undefined {
    if (req.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      return encodeParams(req.form).toString();
    }
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      return JSON.stringify(req.json);
    }
    return req.body;
  }

  private async attempt<T>(req: GraphRequest, attempt: number, logPath: string): Promise<GraphResponse<T>> {
    const url = new URL(this.urlFor(req.host, req.path, req.versioned));
    url.search = encodeParams(req.query).toString();

    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.userAgent };
    for (const [key, value] of Object.entries(req.headers ?? {})) headers[key.toLowerCase()] = value;
    if (req.token) headers['authorization'] = `${req.tokenScheme ?? 'Bearer'} ${req.token}`;
    const body = this.buildBody(req, headers);

    const controller = new AbortController();
    let timedOut = false;
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            controller.abort(new Error('timeout'));
          }, timeoutMs)
        : undefined;
    const onAbort = () => controller.abort(req.signal!.reason);
    req.signal?.addEventListener('abort', onAbort, { once: true });

    const started = performance.now();
    const report = (status: number) =>
      this.onRequest?.({ host: req.host, method: req.method, path: req.path, status, durationMs: Math.round(performance.now() - started), attempt });

    let status: number;
    let responseHeaders: Record<string, string>;
    let text: string;
    try {
      const res = await undiciRequest(url, {
        dispatcher: this.agent,
        method: req.method,
        headers,
        body,
        signal: controller.signal,
      });
      status = res.statusCode;
      responseHeaders = flattenHeaders(res.headers);
      text = await readCapped(res.body, this.maxResponseBytes);
    } catch (err) {
      report(0);
      if (req.signal?.aborted) throw abortReason(req.signal);
      if (err instanceof ResponseTooLarge) {
        this.logger.warn('graph answer too large', { host: req.host, method: req.method, path: logPath, limitBytes: this.maxResponseBytes });
        throw invalidAnswer(`Instagram's answer to ${req.method} ${logPath} was larger than ${Math.round(this.maxResponseBytes / 1048576)} MiB and was refused.`, req.method);
      }
      const codes = collectErrorCodes(err);
      const notApplied = codes.some((c) => CONNECT_PHASE_CODES.has(c));
      const detail = timedOut
        ? `no answer within ${timeoutMs} ms`
        : `${codes[0] ?? 'error'}: ${err instanceof Error ? err.message : String(err)}`;
      this.logger.warn('graph request failed', { host: req.host, method: req.method, path: logPath, attempt, error: detail });
      throw networkError(`Network error calling ${req.method} ${req.host} ${logPath}: ${detail}`, {
        notApplied,
        timeout: timedOut,
        cause: err,
      });
    } finally {
      if (timer) clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    }

    const durationMs = Math.round(performance.now() - started);
    report(status);
    this.logger.debug('graph request', { host: req.host, method: req.method, path: logPath, status, durationMs, attempt });

    const buc = this.recordUsage(responseHeaders);

    let data: unknown = null;
    if (text.length > 0) {
      try {
        data = parseJsonLossless(text);
      } catch (err) {
        if (err instanceof JsonTooDeepOrLong) throw invalidAnswer(`Instagram's answer to ${req.method} ${logPath} was refused: ${err.message}.`, req.method);
        data = text;
      }
    }

    if (status >= 400 || isPlainErrorBody(data)) {
      const error = classifyGraphError(data, status);
      this.applyThrottleInfo(error, req, responseHeaders, buc);
      this.logger.info('graph error', {
        host: req.host,
        method: req.method,
        path: logPath,
        status,
        kind: error.kind,
        code: error.code,
        subcode: error.subcode,
        fbtraceId: error.fbtraceId,
        message: error.message,
      });
      throw error;
    }
    return { status, data: data as T, headers: responseHeaders };
  }

  private applyThrottleInfo(
    error: GraphError,
    req: GraphRequest,
    headers: Record<string, string>,
    buc: Record<string, BucUsage[]> | undefined,
  ): void {
    if (error.kind !== 'rate_limited') return;
    const now = this.clock.now();
    if (error.retryAfterMs === undefined && buc) {
      const relevant = req.accountId && buc[req.accountId] ? [buc[req.accountId]!] : Object.values(buc);
      const etaMin = Math.max(0, ...relevant.flat().map((e) => e.estimatedTimeToRegainAccessMin));
      if (etaMin > 0) error.retryAfterMs = etaMin * 60_000;
    }
    if (error.retryAfterMs === undefined && headers['retry-after']) {
      const seconds = Number(headers['retry-after']);
      if (Number.isFinite(seconds) && seconds > 0) error.retryAfterMs = Math.round(seconds * 1000);
    }
    const asked = error.retryAfterMs;
    if (asked !== undefined && asked > MAX_THROTTLE_MS) error.retryAfterMs = MAX_THROTTLE_MS;
    if (buc) {
      for (const [id, entries] of Object.entries(buc)) {
        const etaMin = Math.max(0, ...entries.map((e) => e.estimatedTimeToRegainAccessMin));
        if (etaMin > 0) this.block(id, now + Math.min(etaMin * 60_000, MAX_THROTTLE_MS));
      }
    }
    if (error.retryAfterMs && error.retryAfterMs > 0) {
      const until = now + error.retryAfterMs;
      if (error.code === 4) this.block('app', until);
      if (req.accountId) this.block(req.accountId, until);
      const minutes = Math.ceil(error.retryAfterMs / 60_000);
      const capped = asked !== undefined && asked > MAX_THROTTLE_MS ? ` (Meta estimated ${Math.ceil(asked / 60_000)} minutes, which cannot be right: this server waits at most 24 hours before trying again)` : '';
      error.hint = `${error.hint.replace(/[.:]\s*$/, '')} — access should return in about ${minutes} minute(s)${capped}.`;
    }
  }

  private block(key: string, until: number): void {
    if (until <= (this.blocked[key] ?? 0)) return;
    this.blocked[key] = until;
    this.onBlock?.(key, until);
  }

  /**
   * Throttles another process of this server saw (read from the shared store): calls for those keys are
   * refused here too until then, rather than spent on Meta and prolonging the block.
   */
  adoptBlocks(blocks: Record<string, number>): void {
    const now = this.clock.now();
    for (const [key, until] of Object.entries(blocks)) if (until > now && until > (this.blocked[key] ?? 0)) this.blocked[key] = until;
  }
}

class ResponseTooLarge extends Error {}

/** Reads a body as text, stopping (and discarding the rest) once it passes `limit` bytes. */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(err?: Error): unknown }, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new ResponseTooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A Graph answer we will not use: never retried here (the same answer would come back); a write's outcome stays unknown. */
function invalidAnswer(message: string, method: string): GraphError {
  return new GraphError({
    kind: 'unknown',
    message,
    isTransient: false,
    notApplied: false,
    hint: method === 'GET' ? 'Try again later; if it keeps happening, the Graph API base URL may point at something that is not Instagram.' : 'The request may or may not have been applied: check its effect before retrying.',
  });
}
