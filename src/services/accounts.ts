/**
 * Account lifecycle: both login paths (Instagram Login, Facebook Login), token import, the per-agent
 * toggle, disconnecting, and the token lifecycle (refresh before expiry, re-auth marking on 190).
 * Every read and write is scoped by owner.
 */
import type { Clock } from '../clock.js';
import type { AppConfig } from '../config.js';
import { AppError } from '../errors.js';
import { registerSecret, type Logger } from '../log.js';
import type { Store, AccountRecord, LoginType } from '../store/index.js';
import type { GraphHttp } from '../instagram/http.js';
import { GraphError } from '../instagram/errors.js';
import type { AccountAuth } from '../instagram/index.js';
import {
  buildFacebookDialogUrl,
  buildInstagramAuthorizeUrl,
  createPkce,
  createState,
  debugFacebookToken,
  exchangeFacebookCode,
  exchangeFacebookLongLived,
  exchangeInstagramCode,
  exchangeInstagramLongLived,
  listFacebookPages,
  parseCallbackUrl,
  refreshInstagramToken,
} from '../instagram/oauth.js';
import { detectLoginType, getIgUserProfile, getInstagramLoginProfile } from '../instagram/profile.js';

const DAY = 24 * 60 * 60 * 1000;
/** Refresh a token this close to its expiry… */
export const REFRESH_WINDOW_MS = 7 * DAY;
/** …but only once it is this old: Meta refuses to refresh younger tokens. */
export const MIN_TOKEN_AGE_MS = DAY;
const SESSION_TTL_MS = 10 * 60 * 1000;

export interface Caller {
  owner: string;
  agent: string;
}

/** A connected account as tools may show it: the record without its token, and this agent's toggle. */
export interface ConnectedAccount {
  id: string;
  username: string;
  name: string | null;
  /** BUSINESS | MEDIA_CREATOR from Instagram Login's /me; null when unknown (graph.facebook.com has no such field). */
  accountType: string | null;
  loginType: LoginType;
  followersCount: number | null;
  followsCount: number | null;
  mediaCount: number | null;
  status: AccountRecord['status'];
  statusReason: string | null;
  enabled: boolean;
  /** Epoch ms; null when unknown (an imported token). */
  tokenExpiresAt: number | null;
  pageId: string | null;
}

export interface PageWithoutInstagram {
  pageId: string;
  name: string;
}

export interface ConnectResult {
  connected: ConnectedAccount[];
  pagesWithoutInstagram: PageWithoutInstagram[];
  loginType: LoginType;
}

/** What to do about a Facebook Page without a linked Instagram professional account (one line). */
export const LINK_PAGE_HOWTO =
  "link the Instagram professional account in the Page's settings on Facebook (Page → Settings → Linked accounts → Instagram, or Meta Business Suite → Settings → Instagram accounts), then connect again with Facebook Login";

export interface LoginStart {
  state: string;
  loginType: LoginType;
  authorizationUrl: string;
  /** Epoch ms. */
  expiresAt: number;
  /** How the redirect comes back: a listener of ours, the HTTP route, or the user pasting the URL. */
  callback: 'local_listener' | 'http_route' | 'paste_only';
}

/** The small page the browser shows after the redirect. */
export interface CallbackPage {
  status: number;
  html: string;
}

/**
 * Who receives the browser's redirect: the HTTP listeners live in transports/ (callbackListener.ts),
 * and the composition root hands them in, so this service opens no socket.
 */
export interface CallbackListeners {
  /** Makes sure a redirect to redirectUri reaches `answer` for the next `forMs`, and says how it comes back. */
  ensure(redirectUri: string, answer: (url: string) => Promise<CallbackPage>, forMs: number): Promise<LoginStart['callback']>;
  /** No login is waiting any more: stop listening. */
  stop(): void;
}

/** Sandbox mode: something plays the browser (the emulator, injected by the composition root). */
export interface SandboxLogin {
  /** Approves the login at the authorization URL and returns the URL the browser would be redirected to. */
  completeAuthorization(authorizationUrl: string): Promise<string>;
}

export interface AccountServiceOptions {
  config: AppConfig;
  clock: Clock;
  logger: Logger;
  store: Store;
  graph: GraphHttp;
  /** Without it, every login is completed by pasting the redirected URL. */
  callbackListeners?: CallbackListeners;
  /** Sandbox mode only: logins complete without a browser. */
  sandboxLogin?: SandboxLogin;
}

export class AccountService {
  private readonly refreshing = new Map<string, Promise<AccountRecord>>();
  private readonly waiters = new Map<string, Array<() => void>>();

  constructor(private readonly o: AccountServiceOptions) {}

  // ---------------------------------------------------------------- views

  view(account: AccountRecord, enabled: boolean): ConnectedAccount {
    return {
      id: account.id,
      username: account.username,
      name: account.name,
      accountType: account.accountType || null,
      loginType: account.loginType,
      followersCount: account.followersCount,
      followsCount: account.followsCount,
      mediaCount: account.mediaCount,
      status: account.status,
      statusReason: account.statusReason,
      enabled,
      tokenExpiresAt: account.tokenExpiresAt || null,
      pageId: account.pageId,
    };
  }

  /** The accounts this agent may use (or all of the owner's with includeDisabled), newest first. */
  async list(caller: Caller, options: { includeDisabled?: boolean } = {}): Promise<Array<{ account: AccountRecord; enabled: boolean }>> {
    const disabled = await this.o.store.agentAccounts.disabledFor(caller.owner, caller.agent);
    return (await this.o.store.accounts.list(caller.owner))
      .map((account) => ({ account, enabled: !disabled.has(account.id) }))
      .filter((a) => options.includeDisabled || a.enabled);
  }

  /** The owner's Facebook Pages without a linked Instagram account, as the latest Facebook login found them. */
  async pagesWithoutInstagram(caller: Pick<Caller, 'owner'>): Promise<PageWithoutInstagram[]> {
    return (await this.o.store.unlinkedFacebookPages.list(caller.owner)).map((p) => ({ pageId: p.pageId, name: p.name }));
  }

  /**
   * The account a tool acts on: by id or @username, or the only enabled one. Errors list the choices.
   */
  async resolve(caller: Caller, accountArg?: string): Promise<AccountRecord> {
    const usable = (await this.list(caller)).filter((a) => a.account.status !== 'disconnected');
    const choices = () => usable.map((a) => `@${a.account.username} (${a.account.id})`).join(', ') || 'none';
    let account: AccountRecord | undefined;
    if (accountArg && accountArg.trim()) {
      const wanted = accountArg.trim();
      account = await this.lookup(caller.owner, wanted);
      if (!account) {
        throw new AppError('account_not_found', `No connected Instagram account matches '${wanted.slice(0, 80)}'.`, `Use one of: ${choices()}; or connect it with instagram_authenticate.`);
      }
      if (!(await this.o.store.agentAccounts.isEnabled(caller.owner, caller.agent, account.id))) {
        throw new AppError('account_disabled', `@${account.username} is disabled for this agent (${caller.agent}).`, `Enable it with instagram_set_account_enabled, or use one of: ${choices()}.`);
      }
    } else {
      if (usable.length === 0) {
        throw new AppError('no_account', 'No Instagram account is connected for this agent.', 'Run instagram_authenticate to connect one (it returns a login link).');
      }
      if (usable.length > 1) {
        throw new AppError('account_required', `Several Instagram accounts are enabled; say which one with the account argument.`, `Choices: ${choices()}.`, {
          choices: usable.map((a) => ({ id: a.account.id, username: a.account.username })),
        });
      }
      account = usable[0]!.account;
    }
    if (account.status === 'disconnected' || !account.accessToken) {
      throw new AppError('account_disconnected', `@${account.username} is disconnected.`, `Run instagram_authenticate to connect it again.`);
    }
    if (account.status === 'needs_reauth') {
      throw new AppError('needs_reauth', `@${account.username} needs to be re-authenticated: ${account.statusReason ?? 'its token is no longer valid'}.`, this.reauthHint(account));
    }
    return account;
  }

  reauthHint(account: Pick<AccountRecord, 'username' | 'loginType'>): string {
    return `Run instagram_authenticate${account.loginType === 'facebook' ? ' with login_type "facebook"' : ''} to reconnect @${account.username}.`;
  }

  async setEnabled(caller: Caller, accountArg: string, enabled: boolean): Promise<AccountRecord> {
    const account = await this.findOwned(caller, accountArg);
    await this.o.store.transaction(async () => {
      await this.o.store.agentAccounts.setEnabled(caller.owner, caller.agent, account.id, enabled);
      await this.o.store.audit.record({ owner: caller.owner, agent: caller.agent, accountId: account.id, action: enabled ? 'account.enabled' : 'account.disabled' });
    });
    return account;
  }

  async disconnect(caller: Caller, accountArg?: string): Promise<AccountRecord> {
    const account = accountArg ? (await this.findOwned(caller, accountArg)) : (await this.resolve(caller));
    await this.o.store.transaction(async () => {
      await this.o.store.accounts.disconnect(caller.owner, account.id);
      await this.o.store.audit.record({ owner: caller.owner, agent: caller.agent, accountId: account.id, action: 'account.disconnected' });
    });
    return (await this.o.store.accounts.get(caller.owner, account.id))!;
  }

  /** An account of this owner by id or @username, whatever its status or toggle. */
  private async lookup(owner: string, accountArg: string): Promise<AccountRecord | undefined> {
    const wanted = accountArg.trim();
    return /^\d+$/.test(wanted) ? (this.o.store.accounts.get(owner, wanted)) : (this.o.store.accounts.findByUsername(owner, wanted));
  }

  private async findOwned(caller: Caller, accountArg: string): Promise<AccountRecord> {
    const account = await this.lookup(caller.owner, accountArg);
    if (!account) {
      const all = (await this.o.store.accounts.list(caller.owner)).map((a) => `@${a.username}`).join(', ') || 'none';
      throw new AppError('account_not_found', `No connected Instagram account matches '${accountArg.trim().slice(0, 80)}'.`, `Accounts: ${all}; connect another with instagram_authenticate.`);
    }
    return account;
  }

  /** Re-reads profiles and counts from the API. */
  async refreshProfile(caller: Caller, account: AccountRecord, signal?: AbortSignal): Promise<AccountRecord> {
    const profile = await this.call(caller, account, (auth) => getIgUserProfile(this.o.graph, auth, signal));
    await this.o.store.accounts.updateProfile(caller.owner, account.id, {
      username: profile.username ?? account.username,
      name: profile.name ?? account.name,
      biography: profile.biography ?? account.biography,
      website: profile.website ?? account.website,
      profilePictureUrl: profile.profilePictureUrl ?? account.profilePictureUrl,
      accountType: profile.accountType ?? account.accountType,
      followersCount: profile.followersCount ?? account.followersCount,
      followsCount: profile.followsCount ?? account.followsCount,
      mediaCount: profile.mediaCount ?? account.mediaCount,
    });
    return (await this.o.store.accounts.get(caller.owner, account.id))!;
  }

  // ---------------------------------------------------------------- token lifecycle

  /**
   * Runs a Graph call with a fresh token. A 190 (or any re-auth error) marks the account
   * needs_reauth and becomes an error that tells the agent to run instagram_authenticate.
   */
  async call<T>(caller: Caller, account: AccountRecord, fn: (auth: AccountAuth) => Promise<T>): Promise<T> {
    const fresh = await this.ensureFreshToken(account);
    try {
      return await fn({ igUserId: fresh.id, loginType: fresh.loginType, accessToken: fresh.accessToken! });
    } catch (err) {
      if (err instanceof GraphError && err.kind === 'reauth') {
        await this.markNeedsReauth(fresh, err.message);
        await this.o.store.audit.record({ owner: caller.owner, agent: caller.agent, accountId: fresh.id, action: 'account.needs_reauth', detail: { code: err.code, subcode: err.subcode } });
        throw new AppError('needs_reauth', `Instagram rejected the token of @${fresh.username}: ${err.message}`, this.reauthHint(fresh), {
          graph_code: err.code,
          graph_subcode: err.subcode,
        });
      }
      throw err;
    }
  }

  async markNeedsReauth(account: AccountRecord, reason: string): Promise<void> {
    await this.o.store.accounts.setStatus(account.owner, account.id, 'needs_reauth', reason.slice(0, 300));
    this.o.logger.warn('account needs re-authentication', { account: account.id, username: account.username });
  }

  private refreshDue(account: AccountRecord, now: number): boolean {
    if (!account.accessToken || account.status !== 'active') return false;
    const age = now - (account.tokenIssuedAt ?? now);
    if (age < MIN_TOKEN_AGE_MS) return false;
    // Unknown expiry (an imported token): refresh once it is old enough to learn it.
    if (account.tokenExpiresAt === null) return true;
    return account.tokenExpiresAt - now <= REFRESH_WINDOW_MS;
  }

  /** Refreshes a token inside its refresh window; a failed refresh keeps the old token while it is valid. */
  async ensureFreshToken(account: AccountRecord): Promise<AccountRecord> {
    const now = this.o.clock.now();
    if (account.tokenExpiresAt !== null && account.tokenExpiresAt <= now) {
      await this.markNeedsReauth(account, 'the access token expired');
      throw new AppError('needs_reauth', `The token of @${account.username} expired.`, this.reauthHint(account));
    }
    if (!this.refreshDue(account, now)) return account;
    const key = `${account.owner}\u0000${account.id}`;
    let pending = this.refreshing.get(key);
    if (!pending) {
      pending = this.refreshToken(account).finally(() => this.refreshing.delete(key));
      this.refreshing.set(key, pending);
    }
    return pending;
  }

  private async refreshToken(account: AccountRecord): Promise<AccountRecord> {
    const now = this.o.clock.now();
    try {
      let result: { accessToken: string; expiresIn?: number | null };
      if (account.loginType === 'instagram') {
        result = await refreshInstagramToken(this.o.graph, { token: account.accessToken! });
      } else {
        const app = this.o.config.facebookApp;
        if (!app) throw new Error('FACEBOOK_APP_ID/FACEBOOK_APP_SECRET are needed to extend a Facebook Login token');
        result = await exchangeFacebookLongLived(this.o.graph, { appId: app.appId, appSecret: app.appSecret, token: account.accessToken! });
      }
      registerSecret(result.accessToken);
      const expiresAt = result.expiresIn ? now + result.expiresIn * 1000 : null;
      await this.o.store.accounts.updateToken(account.owner, account.id, { accessToken: result.accessToken, issuedAt: now, expiresAt, lastRefreshAt: now });
      await this.o.store.audit.record({ owner: account.owner, agent: null, accountId: account.id, action: 'token.refreshed', detail: { expires_at: expiresAt } });
      this.o.logger.info('token refreshed', { account: account.id, expiresAt });
      return (await this.o.store.accounts.get(account.owner, account.id))!;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await this.o.store.accounts.recordRefreshError(account.owner, account.id, message.slice(0, 300));
      this.o.logger.warn('token refresh failed; keeping the current token while it is valid', { account: account.id, error: message });
      if (err instanceof GraphError && err.kind === 'reauth' && err.subcode === 463) {
        await this.markNeedsReauth(account, message);
        throw new AppError('needs_reauth', `The token of @${account.username} expired.`, this.reauthHint(account));
      }
      return (await this.o.store.accounts.get(account.owner, account.id)) ?? account;
    }
  }

  /** Refreshes every token that is due, for every owner, even when no tool is called. */
  async refreshSweep(): Promise<{ checked: number; refreshed: number; failed: number }> {
    let refreshed = 0;
    let failed = 0;
    const accounts = await this.o.store.accounts.listWithTokens();
    for (const account of accounts) {
      const before = account.lastRefreshAt;
      try {
        const after = await this.ensureFreshToken(account);
        if (after.lastRefreshAt !== before) refreshed++;
        else if (after.lastRefreshError && after.lastRefreshError !== account.lastRefreshError) failed++;
      } catch {
        failed++;
      }
    }
    return { checked: accounts.length, refreshed, failed };
  }

  // ---------------------------------------------------------------- login

  private redirectUri(): string {
    const uri = this.o.config.redirectUri ?? this.o.config.instagramApp?.redirectUri;
    if (!uri) {
      throw new AppError('redirect_uri_missing', 'INSTAGRAM_REDIRECT_URI is not set.', 'Set INSTAGRAM_REDIRECT_URI to the redirect URI registered on your Meta app (e.g. http://localhost:8787/oauth/callback), or import an existing token with instagram_authenticate(access_token=...).');
    }
    return uri;
  }

  defaultLoginType(): LoginType {
    if (this.o.config.instagramApp) return 'instagram';
    if (this.o.config.facebookApp) return 'facebook';
    return 'instagram';
  }

  /** Creates the OAuth session and the authorization URL. */
  async startLogin(caller: Caller, loginType: LoginType): Promise<LoginStart> {
    const app = loginType === 'instagram' ? this.o.config.instagramApp : this.o.config.facebookApp;
    if (!app) {
      const names = loginType === 'instagram' ? 'INSTAGRAM_APP_ID and INSTAGRAM_APP_SECRET' : 'FACEBOOK_APP_ID and FACEBOOK_APP_SECRET';
      throw new AppError('app_not_configured', `${loginType === 'instagram' ? 'Instagram' : 'Facebook'} Login is not configured.`, `Set ${names} (and INSTAGRAM_REDIRECT_URI), or pass an existing long-lived token as access_token.`);
    }
    const redirectUri = this.redirectUri();
    const state = createState();
    const pkce = await createPkce();
    const session = await this.o.store.oauthSessions.create({ state, codeVerifier: pkce.codeVerifier, loginType, owner: caller.owner, agent: caller.agent, redirectUri, ttlMs: SESSION_TTL_MS });
    const authorizationUrl =
      loginType === 'instagram'
        ? buildInstagramAuthorizeUrl({ authorizeUrl: this.o.config.urls.instagramAuthorize, appId: app.appId, redirectUri, state, codeChallenge: pkce.codeChallenge })
        : buildFacebookDialogUrl({ dialogBaseUrl: this.o.config.urls.facebookDialog, apiVersion: this.o.config.apiVersion, appId: app.appId, redirectUri, state });
    const callback = this.o.sandboxLogin || !this.o.callbackListeners ? 'paste_only' : await this.o.callbackListeners.ensure(redirectUri, (url) => this.handleCallbackRequest(url), SESSION_TTL_MS + 5_000);
    return { state, loginType, authorizationUrl, expiresAt: session.expiresAt, callback };
  }

  /** In the sandbox the emulator plays the browser: it approves the login and returns the redirect. */
  async completeInSandbox(caller: Caller, start: LoginStart): Promise<ConnectResult> {
    if (!this.o.sandboxLogin) throw new AppError('not_sandbox', 'Only the sandbox completes logins by itself.');
    const redirected = await this.o.sandboxLogin.completeAuthorization(start.authorizationUrl);
    return this.completeLogin(caller, redirected);
  }

  /**
   * Completes a login from the redirected URL (or a bare code plus state). State mismatch, an expired
   * session, a reused code or the user's denial is a clear error and stores nothing.
   */
  async completeLogin(caller: Caller | null, callbackUrlOrCode: string, explicitState?: string): Promise<ConnectResult> {
    const parsed = parseCallbackUrl(callbackUrlOrCode);
    const state = parsed.state ?? explicitState;
    if (!state) {
      throw new AppError('state_missing', 'The pasted value carries no state.', 'Paste the whole URL the browser was redirected to (it contains code= and state=), or pass state together with the code.');
    }
    const existing = await this.o.store.oauthSessions.get(state);
    if (!existing || (caller && existing.owner !== caller.owner)) {
      throw new AppError('state_mismatch', 'This login link was not started here (unknown state).', 'Run instagram_authenticate again and use the new link.');
    }
    if (parsed.error) {
      await this.o.store.oauthSessions.fail(state, `${parsed.error.error}: ${parsed.error.description ?? ''}`);
      this.notify(state);
      throw new AppError('login_denied', `The login was not approved (${parsed.error.reason ?? parsed.error.error}).`, 'Run instagram_authenticate again and approve the permissions, or use another account.');
    }
    if (!parsed.code) throw new AppError('code_missing', 'The pasted value has no authorization code.', 'Paste the whole redirected URL.');
    if (existing.expiresAt <= this.o.clock.now()) {
      throw new AppError('session_expired', 'This login link expired (links are valid for 10 minutes).', 'Run instagram_authenticate again for a new link.');
    }
    const session = await this.o.store.oauthSessions.claim(state);
    if (!session) {
      throw new AppError('state_used', 'This login link was already used.', 'Run instagram_authenticate again for a new link.');
    }
    const who: Caller = { owner: session.owner, agent: session.agent };
    try {
      const result =
        session.loginType === 'instagram'
          ? await this.finishInstagramLogin(who, parsed.code, session.redirectUri, session.codeVerifier)
          : await this.finishFacebookLogin(who, parsed.code, session.redirectUri);
      await this.o.store.oauthSessions.complete(state, { accounts: result.connected.map((a) => a.id) });
      return result;
    } catch (err) {
      await this.o.store.oauthSessions.fail(state, err instanceof Error ? err.message : String(err));
      if (err instanceof GraphError) {
        throw new AppError('login_failed', `Instagram refused the login: ${err.message}`, 'The code may have expired or been used already; run instagram_authenticate again.', { graph_code: err.code, graph_subcode: err.subcode });
      }
      throw err;
    } finally {
      this.notify(state);
      await this.maybeStopListener();
    }
  }

  private async finishInstagramLogin(who: Caller, code: string, redirectUri: string, codeVerifier: string): Promise<ConnectResult> {
    const app = this.o.config.instagramApp!;
    const short = await exchangeInstagramCode(this.o.graph, { appId: app.appId, appSecret: app.appSecret, redirectUri, code, codeVerifier });
    registerSecret(short.accessToken);
    const long = await exchangeInstagramLongLived(this.o.graph, { appSecret: app.appSecret, shortToken: short.accessToken });
    registerSecret(long.accessToken);
    const now = this.o.clock.now();
    const profile = await getInstagramLoginProfile(this.o.graph, long.accessToken);
    const account = await this.saveAccount(who, {
      id: profile.igUserId ?? short.userId,
      loginType: 'instagram',
      accessToken: long.accessToken,
      issuedAt: now,
      expiresAt: long.expiresIn ? now + long.expiresIn * 1000 : null,
      pageId: null,
      profile,
    });
    return { connected: [this.view(account, true)], pagesWithoutInstagram: [], loginType: 'instagram' };
  }

  private async finishFacebookLogin(who: Caller, code: string, redirectUri: string): Promise<ConnectResult> {
    const app = this.o.config.facebookApp!;
    const short = await exchangeFacebookCode(this.o.graph, { appId: app.appId, appSecret: app.appSecret, redirectUri, code });
    registerSecret(short.accessToken);
    const long = await exchangeFacebookLongLived(this.o.graph, { appId: app.appId, appSecret: app.appSecret, token: short.accessToken });
    registerSecret(long.accessToken);
    return this.connectFacebookUser(who, long.accessToken, long.expiresIn ?? null);
  }

  private async connectFacebookUser(who: Caller, userToken: string, expiresIn: number | null): Promise<ConnectResult> {
    const now = this.o.clock.now();
    const pages = await listFacebookPages(this.o.graph, userToken);
    const withIg = pages.filter((p) => p.igUserId);
    const profiles = await Promise.all(
      withIg.map(async (page) => ({
        page,
        profile: await getIgUserProfile(this.o.graph, { igUserId: page.igUserId!, loginType: 'facebook', accessToken: userToken }),
      })),
    );
    const withoutIg = pages.filter((p) => !p.igUserId);
    const connected = await this.o.store.transaction(async () => {
      // Kept until the owner's next Facebook login, so instagram_accounts can keep naming them.
      await this.o.store.unlinkedFacebookPages.replace(who.owner, withoutIg.map((p) => ({ pageId: p.pageId, name: p.name })));
      const saved = [];
      for (const { page, profile } of profiles) {
        saved.push(
          await this.saveAccount(who, {
            id: page.igUserId!,
            loginType: 'facebook',
            accessToken: userToken,
            issuedAt: now,
            expiresAt: expiresIn ? now + expiresIn * 1000 : null,
            pageId: page.pageId,
            profile,
          }),
        );
      }
      return saved;
    });
    return {
      connected: connected.map((a) => this.view(a, true)),
      pagesWithoutInstagram: withoutIg.map((p) => ({ pageId: p.pageId, name: p.name })),
      loginType: 'facebook',
    };
  }

  private async saveAccount(
    who: Caller,
    input: {
      id: string;
      loginType: LoginType;
      accessToken: string;
      issuedAt: number;
      expiresAt: number | null;
      pageId: string | null;
      profile: {
        username?: string | null;
        name?: string | null;
        biography?: string | null;
        website?: string | null;
        profilePictureUrl?: string | null;
        accountType?: string | null;
        followersCount?: number | null;
        followsCount?: number | null;
        mediaCount?: number | null;
        appScopedId?: string | null;
      };
    },
  ): Promise<AccountRecord> {
    const p = input.profile;
    return this.o.store.transaction(async () => {
      const account = await this.o.store.accounts.upsert({
        owner: who.owner,
        id: input.id,
        appScopedId: p.appScopedId ?? null,
        username: p.username ?? input.id,
        name: p.name ?? null,
        biography: p.biography ?? null,
        website: p.website ?? null,
        profilePictureUrl: p.profilePictureUrl ?? null,
        // graph.facebook.com has no account_type: keep the one an Instagram Login of the same account read.
        accountType: p.accountType ?? (await this.o.store.accounts.get(who.owner, input.id))?.accountType ?? null,
        loginType: input.loginType,
        pageId: input.pageId,
        followersCount: p.followersCount ?? null,
        followsCount: p.followsCount ?? null,
        mediaCount: p.mediaCount ?? null,
        accessToken: input.accessToken,
        tokenIssuedAt: input.issuedAt,
        tokenExpiresAt: input.expiresAt,
        lastRefreshAt: null,
        status: 'active',
      });
      await this.o.store.agentAccounts.setEnabled(who.owner, who.agent, account.id, true);
      await this.o.store.audit.record({ owner: who.owner, agent: who.agent, accountId: account.id, action: 'account.connected', detail: { login_type: input.loginType } });
      return account;
    });
  }

  /** Imports an existing long-lived token; the login type is detected, never guessed silently. */
  async importToken(caller: Caller, pasted: string, declared?: LoginType): Promise<ConnectResult> {
    registerSecret(pasted);
    const token = pasted.trim();
    registerSecret(token);
    // A token is one word of visible ASCII. Anything else could only be refused by Meta, or break the
    // Authorization header and surface as a misleading network error: refuse it here, naming the token.
    if (!/^[\x21-\x7e]+$/.test(token)) {
      throw new AppError(
        'token_invalid',
        'access_token is not an access token: it contains spaces, line breaks or characters outside ASCII.',
        'Copy the whole token again (one word of letters, digits and punctuation, e.g. IGAA… or EAA…), or connect through the login link (instagram_authenticate without access_token).',
      );
    }
    let detected: LoginType;
    try {
      detected = await detectLoginType(this.o.graph, token);
    } catch (err) {
      if (err instanceof GraphError || err instanceof Error) {
        throw new AppError('token_rejected', `Neither graph.instagram.com nor graph.facebook.com accepts this token: ${err.message}`, 'Check that you copied the whole long-lived token, or connect through the login link (instagram_authenticate without access_token).');
      }
      throw err;
    }
    if (declared && declared !== detected) {
      throw new AppError('login_type_mismatch', `This is a ${detected === 'instagram' ? 'Instagram Login' : 'Facebook Login'} token, not ${declared === 'instagram' ? 'Instagram Login' : 'Facebook Login'}.`, `Leave login_type out, or set it to "${detected}".`);
    }
    const now = this.o.clock.now();
    if (detected === 'instagram') {
      const profile = await getInstagramLoginProfile(this.o.graph, token).catch((err: unknown) => {
        if (err instanceof GraphError && (err.kind === 'reauth' || err.kind === 'permission')) {
          throw new AppError('token_rejected', `Instagram rejected this token: ${err.message}`, 'Check that you copied the whole long-lived token and that it has the instagram_business_basic permission, or connect through the login link (instagram_authenticate without access_token).');
        }
        throw err;
      });
      const account = await this.saveAccount(caller, { id: profile.igUserId, loginType: 'instagram', accessToken: token, issuedAt: now, expiresAt: null, pageId: null, profile });
      return { connected: [this.view(account, true)], pagesWithoutInstagram: [], loginType: 'instagram' };
    }
    let expiresIn: number | null = null;
    const app = this.o.config.facebookApp;
    if (app) {
      const info = await debugFacebookToken(this.o.graph, { appId: app.appId, appSecret: app.appSecret, token }).catch(() => null);
      if (info?.expiresAt) expiresIn = Math.max(0, Math.round(info.expiresAt - now / 1000));
    }
    return this.connectFacebookUser(caller, token, expiresIn);
  }

  /** INSTAGRAM_ACCESS_TOKEN: imported for the local owner at start-up (idempotent). */
  async importConfiguredToken(): Promise<void> {
    const token = this.o.config.accessToken;
    if (!token) return;
    const owner = this.o.config.localOwner;
    const already = (await this.o.store.accounts.list(owner)).some((a) => a.accessToken === token);
    if (already) return;
    const result = await this.importToken({ owner, agent: 'default' }, token);
    this.o.logger.info('imported INSTAGRAM_ACCESS_TOKEN', { accounts: result.connected.map((a) => a.username) });
  }

  // ---------------------------------------------------------------- callback route

  /** Waits until a login session is no longer pending (callback arrived) or the timeout passes. */
  async waitForSession(state: string, timeoutMs: number, signal?: AbortSignal): Promise<'completed' | 'failed' | 'pending'> {
    const current = await this.o.store.oauthSessions.get(state);
    if (current && current.status !== 'pending' && current.status !== 'exchanging') return current.status;
    await new Promise<void>((resolve) => {
      const timer = this.o.clock.setTimer(timeoutMs, done);
      signal?.addEventListener('abort', done, { once: true });
      const list = this.waiters.get(state) ?? [];
      list.push(done);
      this.waiters.set(state, list);
      function done() {
        timer.cancel();
        resolve();
      }
    });
    const after = await this.o.store.oauthSessions.get(state);
    return after && (after.status === 'completed' || after.status === 'failed') ? after.status : 'pending';
  }

  private notify(state: string): void {
    for (const wake of this.waiters.get(state) ?? []) wake();
    this.waiters.delete(state);
  }

  /** The browser's redirect: completes the login and answers with a small page for the person. */
  async handleCallbackRequest(url: string): Promise<CallbackPage> {
    try {
      const result = await this.completeLogin(null, url);
      const names = result.connected.map((a) => `@${escapeHtml(a.username)}`).join(', ') || 'no Instagram account';
      let body = `<p>Connected ${names}. You can close this tab and return to your assistant.</p>`;
      if (result.pagesWithoutInstagram.length) {
        const items = result.pagesWithoutInstagram.map((p) => `<li>${escapeHtml(p.name)} <small>(Page ${escapeHtml(p.pageId)})</small></li>`).join('');
        body += `<p>These Facebook Pages have no linked Instagram professional account, so they were not connected:</p><ul>${items}</ul><p>To connect one, ${escapeHtml(LINK_PAGE_HOWTO)}.</p>`;
      }
      return { status: 200, html: page('Connected', body) };
    } catch (err) {
      const message = err instanceof AppError ? `${err.message} ${err.hint ?? ''}` : 'The login could not be completed.';
      return { status: 400, html: page('Login not completed', `<p>${escapeHtml(message)}</p>`) };
    }
  }

  /** The callback listener stays while any login is pending (or until the service closes). */
  private async maybeStopListener(force = false): Promise<void> {
    if (!force && (await this.o.store.oauthSessions.hasPending())) return;
    this.o.callbackListeners?.stop();
  }

  async close(): Promise<void> {
    await this.maybeStopListener(true);
    for (const state of [...this.waiters.keys()]) this.notify(state);
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** `bodyHtml` is markup whose text parts the caller already escaped. */
function page(title: string, bodyHtml: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title} · instagram-mcp</title></head><body style="font-family:system-ui;max-width:40rem;margin:4rem auto"><h1>${title}</h1>${bodyHtml}</body></html>`;
}
