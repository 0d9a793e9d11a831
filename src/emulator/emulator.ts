/**
 * `createEmulator()`: wires state, controls and the HTTP server into the `Emulator` handle used by
 * tests (in process) and by the CLI / sandbox mode.
 */
import { systemClock, type Clock, type Timer } from '../clock.js';
import path from 'node:path';
import { adminRoutes } from './admin.js';
import { PersistentState, rebaseStrings } from './persistence.js';
import { SANDBOX_ID_PATH, handlePreview } from './preview.js';
import { FaultInjector, HoldRegistry, RequestLog } from './controls.js';
import { Prng, randomDigits, randomHex } from './random.js';
import { RateLimiter } from './ratelimit.js';
import { createAccounts, seedDemo } from './seed.js';
import { EmulatorServer } from './server.js';
import { EmulatorState, type EmulatorConfig } from './state.js';
import type {
  AccountType,
  ContainerStatusCode,
  EmulatedContainer,
  EmulatedIgUser,
  EmulatedMedia,
  EmulatorApps,
  EmulatorOptions,
  EmulatorUsers,
  FaultRule,
  Hold,
  LoggedRequest,
  LoginType,
  RateLimitOptions,
  RequestMatcher,
} from './types.js';

export interface EmulatorUrls {
  /** `${base}/graph.instagram.com` */
  instagramGraph: string;
  /** `${base}/graph.facebook.com` */
  facebookGraph: string;
  /** `${base}/api.instagram.com` */
  instagramApi: string;
  /** `${base}/www.instagram.com/oauth/authorize` */
  instagramAuthorize: string;
  /** `${base}/www.facebook.com` (dialog at `/vXX.X/dialog/oauth`) */
  facebookDialog: string;
  /** `${base}/rupload.facebook.com` */
  rupload: string;
  /** `${base}/__emulator` (admin API) */
  admin: string;
}

export interface IssueTokenOptions {
  /** IG user id (instagram) or FB user id (facebook; an IG id reached through a Page also works). */
  userId: string;
  loginType: LoginType;
  lifetime?: 'short' | 'long';
  /** Epoch ms on the emulator clock (default now). */
  issuedAt?: number;
  /** Default: every scope of the login type. */
  scopes?: string[];
}

export interface Emulator {
  start(port?: number, host?: string): Promise<string>;
  stop(): Promise<void>;
  readonly baseUrl: string;
  readonly urls: EmulatorUrls;
  readonly apps: EmulatorApps;
  readonly clock: Clock;
  readonly users: EmulatorUsers;
  /** Internal state, for route-module tests and extensions. */
  readonly state: EmulatorState;
  issueToken(opts: IssueTokenOptions): string;
  /**
   * One more Instagram-Login professional account (beside the seeded ones), for tests and benchmarks
   * that need many; it lives as long as this emulator (a sandbox directory does not keep it).
   */
  addInstagramAccount(opts: { username: string; name?: string; accountType?: AccountType; followersCount?: number }): EmulatedIgUser;
  setDenyingUser(deny: boolean): void;
  /** Which account completes the authorize step (default: business IG account / the FB user). */
  setAuthorizingUser(loginType: LoginType, userId: string): void;
  setLatency(ms: number): void;
  injectFaults(rule: FaultRule): void;
  clearFaults(): void;
  setProcessingTime(kind: 'image' | 'video', ms: number): void;
  setQuotaTotal(total: number): void;
  setRateLimits(limits: RateLimitOptions): void;
  resetRateLimits(): void;
  hold(match: RequestMatcher): Hold;
  /** A hold made through the admin API (`POST /__emulator/holds`), to await its requests in process. */
  holdById(id: string): Hold | undefined;
  requestLog(): LoggedRequest[];
  clearLog(): void;
  /** Media published through the API (no carousel children), newest first. */
  publishedMedia(userId?: string): EmulatedMedia[];
  media(id: string): EmulatedMedia | undefined;
  container(id: string): EmulatedContainer | undefined;
  containers(userId?: string): EmulatedContainer[];
  containerStatus(id: string): ContainerStatusCode | undefined;
  quotaUsage(userId: string): number;
}

/** A clock that follows another but can be pushed forward (admin `clock/advance` on a real clock). */
export class AdjustableClock implements Clock {
  private offset = 0;
  /** Armed timers by due time on this clock, re-armed on the base when pushed forward. */
  private readonly timers = new Set<{ due: number; fn: () => void; armed: Timer }>();
  constructor(private readonly base: Clock = systemClock) {}
  now(): number {
    return this.base.now() + this.offset;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.base.sleep(ms, signal);
  }
  setTimer(ms: number, fn: () => void): Timer {
    const timer = { due: this.now() + Math.max(0, ms), fn, armed: undefined as unknown as Timer };
    this.arm(timer);
    this.timers.add(timer);
    return {
      cancel: () => {
        timer.armed.cancel();
        this.timers.delete(timer);
      },
    };
  }
  advance(ms: number): void {
    this.offset += Math.max(0, ms);
    for (const timer of this.timers) {
      timer.armed.cancel();
      this.arm(timer);
    }
  }
  private arm(timer: { due: number; fn: () => void; armed: Timer }): void {
    timer.armed = this.base.setTimer(timer.due - this.now(), () => {
      this.timers.delete(timer);
      timer.fn();
    });
  }
}

const DEFAULT_REFRESH_TOO_EARLY = {
  code: 190,
  message:
    'Error validating access token: the long-lived token was issued less than 24 hours ago and cannot be refreshed yet. It is still valid; keep using it and refresh later.',
};

/** Sandbox mode (sandbox.ts): the state is saved in `dir` across processes, and permalinks point at the emulator. */
export interface SandboxStateOptions {
  sandboxDir?: string;
}

/** Permalinks of a sandbox seeded before its address is known; rewritten once it listens. */
const UNBOUND_BASE = 'http://sandbox-emulator.invalid';

export function createEmulator(options: EmulatorOptions & SandboxStateOptions = {}): Emulator {
  return new InstagramEmulator(options);
}

class InstagramEmulator implements Emulator {
  readonly state: EmulatorState;
  readonly apps: EmulatorApps;
  readonly clock: Clock;
  readonly users: EmulatorUsers;
  private readonly faults: FaultInjector;
  private readonly holds = new HoldRegistry();
  private readonly log = new RequestLog();
  private readonly limiter: RateLimiter;
  private readonly server: EmulatorServer;
  private readonly persistence: PersistentState | undefined;
  private addedAccounts = 0;
  private base = '';

  constructor(options: EmulatorOptions & SandboxStateOptions) {
    this.clock = options.clock ?? new AdjustableClock(systemClock);
    this.apps = {
      instagramAppId: options.apps?.instagramAppId ?? randomDigits(16),
      instagramAppSecret: options.apps?.instagramAppSecret ?? randomHex(16),
      facebookAppId: options.apps?.facebookAppId ?? randomDigits(15),
      facebookAppSecret: options.apps?.facebookAppSecret ?? randomHex(16),
    };
    const seed = options.randomSeed ?? 1;
    const config: EmulatorConfig = {
      quotaTotal: options.quotaTotal ?? 100,
      codeExchangeShape: options.codeExchangeShape ?? 'flat',
      userIdAsNumber: options.userIdAsNumber ?? true,
      notFoundAfterCreateRate: options.notFoundAfterCreateRate ?? 0,
      allowPrivateFetch: options.allowPrivateFetch ?? true,
      redirectUris: options.redirectUris,
      refreshTooEarlyError: options.refreshTooEarlyError ?? DEFAULT_REFRESH_TOO_EARLY,
      republishError: options.republishError ?? 'builder_not_found',
      expiredPublishError: options.expiredPublishError ?? 'builder_not_found',
      hashtagLimit: options.hashtagLimit ?? 'error',
      permissionErrorCode: options.permissionErrorCode ?? 10,
      requireRangeSupport: options.requireRangeSupport ?? false,
      defaultApiVersion: options.defaultApiVersion ?? 'v24.0',
      rateLimits: {
        callBudgetPerHour: options.rateLimits?.callBudgetPerHour ?? 200,
        appCallBudgetPerHour: options.rateLimits?.appCallBudgetPerHour ?? 2000,
        bucErrorCode: options.rateLimits?.bucErrorCode ?? 80002,
        appErrorCode: options.rateLimits?.appErrorCode ?? 4,
      },
      processing: { imageMs: options.processing?.imageMs ?? 0, videoMs: options.processing?.videoMs ?? 5000 },
      latencyMs: options.latencyMs ?? 0,
    };
    this.state = new EmulatorState(this.clock, this.apps, config, new Prng(seed));
    this.faults = new FaultInjector(new Prng(seed ^ 0x5bd1e995));
    this.limiter = new RateLimiter(this.state);
    this.log.registerSecret(this.apps.instagramAppSecret);
    this.log.registerSecret(this.apps.facebookAppSecret);
    if (options.sandboxDir) this.state.permalinkBase = UNBOUND_BASE;
    this.users = createAccounts(this.state);
    if (options.seed ?? true) seedDemo(this.state);
    const persistence = options.sandboxDir ? new PersistentState(path.resolve(options.sandboxDir), this.state, this.users) : undefined;
    this.persistence = persistence;
    const transaction = persistence ? <T>(fn: () => Promise<T>) => persistence.transaction(fn) : undefined;
    this.server = new EmulatorServer({
      state: this.state,
      faults: this.faults,
      holds: this.holds,
      log: this.log,
      limiter: this.limiter,
      registerAdmin: adminRoutes(this),
      transaction,
      preview:
        persistence && transaction
          ? (req, res, pathname) => handlePreview({ state: this.state, sandboxId: () => persistence.sandboxId, transaction }, req, res, pathname)
          : undefined,
    });
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.persistence) return this.startSandbox(port, host, this.persistence);
    this.base = await this.server.listen(port, host);
    this.state.baseUrl = this.base;
    return this.base;
  }

  /**
   * A saved sandbox keeps its permalinks working: its emulator listens on the port of the recorded
   * preview origin when that is free. When a sibling process's emulator holds it, that one serves the
   * same saved posts; otherwise (the port went to another program) the permalinks move here.
   */
  private async startSandbox(port: number, host: string, persistence: PersistentState): Promise<string> {
    const recorded = persistence.peek();
    const recordedPort = recorded.previewBase ? Number(new URL(recorded.previewBase).port) : 0;
    let base: string | undefined;
    if (port === 0 && recordedPort > 0) base = await this.server.listen(recordedPort, host).catch(() => undefined);
    base ??= await this.server.listen(port, host);
    const siblingHolds = base !== recorded.previewBase && recorded.previewBase !== undefined && (await this.isSiblingSandbox(recorded.previewBase, recorded.sandboxId));
    this.base = base;
    this.state.baseUrl = base;
    const log = this.log;
    await persistence.open(() => {
      const current = this.state.permalinkBase;
      if (current === base) return;
      // Written by a process that started meanwhile, or held by a running sibling: it stays.
      if (current && current !== UNBOUND_BASE && (current !== recorded.previewBase || siblingHolds)) return;
      this.state.permalinkBase = base;
      rebaseStrings(this.state, current ?? UNBOUND_BASE, base);
    });
    log.registerSecret(this.apps.instagramAppSecret);
    log.registerSecret(this.apps.facebookAppSecret);
    return base;
  }

  private async isSiblingSandbox(previewBase: string, sandboxId: string | undefined): Promise<boolean> {
    const abort = new AbortController();
    const timer = this.clock.setTimer(2_000, () => abort.abort());
    try {
      const response = await fetch(`${previewBase}${SANDBOX_ID_PATH}`, { signal: abort.signal });
      const body = (await response.json()) as { sandbox_id?: unknown };
      return sandboxId !== undefined && body.sandbox_id === sandboxId;
    } catch {
      return false;
    } finally {
      timer.cancel();
    }
  }

  async stop(): Promise<void> {
    await this.server.close();
  }

  get baseUrl(): string {
    return this.base;
  }

  get urls(): EmulatorUrls {
    const b = this.base;
    return {
      instagramGraph: `${b}/graph.instagram.com`,
      facebookGraph: `${b}/graph.facebook.com`,
      instagramApi: `${b}/api.instagram.com`,
      instagramAuthorize: `${b}/www.instagram.com/oauth/authorize`,
      facebookDialog: `${b}/www.facebook.com`,
      rupload: `${b}/rupload.facebook.com`,
      admin: `${b}/__emulator`,
    };
  }

  issueToken(opts: IssueTokenOptions): string {
    let userId = opts.userId;
    if (opts.loginType === 'instagram') {
      const user = this.state.findIgUser(userId);
      if (!user || user.loginType !== 'instagram') throw new Error(`No Instagram-Login account with id ${userId}`);
      userId = user.id;
    } else if (!this.state.fbUsers.has(userId)) {
      const page = [...this.state.pages.values()].find((p) => p.igUserId === userId);
      if (!page) throw new Error(`No Facebook user (or IG account linked to a Page) with id ${userId}`);
      userId = page.ownerId;
    }
    return this.state.issueToken({
      loginType: opts.loginType,
      userId,
      lifetime: opts.lifetime ?? 'long',
      issuedAt: opts.issuedAt,
      scopes: opts.scopes,
    }).token;
  }

  addInstagramAccount(opts: { username: string; name?: string; accountType?: AccountType; followersCount?: number }): EmulatedIgUser {
    if (!/^[a-z0-9._]{1,30}$/.test(opts.username)) throw new Error(`Not an Instagram username: ${opts.username}`);
    if ([...this.state.igUsers.values()].some((u) => u.username === opts.username)) throw new Error(`@${opts.username} exists already`);
    this.addedAccounts++;
    const serial = String(this.addedAccounts).padStart(9, '0');
    const user: EmulatedIgUser = {
      id: `17841450${serial}`,
      appScopedId: `75150${serial}`,
      username: opts.username,
      name: opts.name ?? opts.username,
      accountType: opts.accountType ?? 'BUSINESS',
      biography: `${opts.name ?? opts.username} — an emulated Instagram account.`,
      website: `https://example.com/${opts.username}`,
      profilePictureUrl: `https://scontent.cdninstagram.com/v/t51.2885-19/17841450${serial}_profile.jpg`,
      followersCount: opts.followersCount ?? 100,
      followsCount: 10,
      loginType: 'instagram',
    };
    this.state.igUsers.set(user.id, user);
    return user;
  }

  setDenyingUser(deny: boolean): void {
    this.state.denyingUser = deny;
  }

  setAuthorizingUser(loginType: LoginType, userId: string): void {
    const known = loginType === 'instagram' ? this.state.findIgUser(userId)?.loginType === 'instagram' : this.state.fbUsers.has(userId);
    if (!known) throw new Error(`Unknown ${loginType} account ${userId}`);
    this.state.authorizingUser[loginType] = loginType === 'instagram' ? this.state.findIgUser(userId)!.id : userId;
  }

  setLatency(ms: number): void {
    this.state.config.latencyMs = Math.max(0, ms);
  }

  injectFaults(rule: FaultRule): void {
    this.faults.add(rule);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  listFaults(): FaultRule[] {
    return this.faults.list();
  }

  setProcessingTime(kind: 'image' | 'video', ms: number): void {
    this.state.config.processing[kind === 'image' ? 'imageMs' : 'videoMs'] = Math.max(0, ms);
  }

  setQuotaTotal(total: number): void {
    this.state.config.quotaTotal = total;
  }

  setRateLimits(limits: RateLimitOptions): void {
    Object.assign(this.state.config.rateLimits, Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)));
  }

  resetRateLimits(): void {
    this.limiter.reset();
  }

  hold(match: RequestMatcher): Hold {
    return this.holds.create(match);
  }

  holdById(id: string): Hold | undefined {
    return this.holds.get(id);
  }

  listHolds(): ReturnType<HoldRegistry['list']> {
    return this.holds.list();
  }

  requestLog(): LoggedRequest[] {
    return this.log.all();
  }

  clearLog(): void {
    this.log.clear();
  }

  publishedMedia(userId?: string): EmulatedMedia[] {
    return [...this.state.media.values()]
      .filter((m) => m.viaApi && !m.parentId && (userId === undefined || m.ownerId === userId))
      .sort((a, b) => b.timestamp - a.timestamp);
  }

  media(id: string): EmulatedMedia | undefined {
    return this.state.media.get(id);
  }

  container(id: string): EmulatedContainer | undefined {
    return this.state.containers.get(id);
  }

  containers(userId?: string): EmulatedContainer[] {
    return [...this.state.containers.values()].filter((c) => userId === undefined || c.ownerId === userId);
  }

  containerStatus(id: string): ContainerStatusCode | undefined {
    const container = this.state.containers.get(id);
    return container ? this.state.containerStatus(container) : undefined;
  }

  quotaUsage(userId: string): number {
    return this.state.quotaUsage(userId);
  }
}

export type { InstagramEmulator };
