/** Account tools: connect (login link, pasted redirect, token import), list, per-agent toggle, disconnect. */
import { z } from 'zod';
import { defineTool } from '../mcp/tool.js';
import type { ToolContext } from '../mcp/context.js';
import { AppError } from '../errors.js';
import { LINK_PAGE_HOWTO, type ConnectResult, type ConnectedAccount, type PageWithoutInstagram } from '../services/accounts.js';
import { accountUri, iso } from './shapes.js';

const accountView = z.object({
  id: z.string(),
  username: z.string(),
  name: z.string().nullable(),
  account_type: z
    .string()
    .optional()
    .describe(
      'BUSINESS or MEDIA_CREATOR (creator), as Instagram Login reports it. Left out when unknown: the Instagram user node on graph.facebook.com has no account_type field, so an account connected only through Facebook Login (login_type "facebook") does not have one.',
    ),
  login_type: z.enum(['instagram', 'facebook']),
  followers_count: z.number().nullable(),
  follows_count: z.number().nullable(),
  media_count: z.number().nullable(),
  status: z.enum(['active', 'needs_reauth', 'disconnected']),
  status_reason: z.string().nullable(),
  enabled: z.boolean(),
  token_expires_at: z.string().nullable(),
  page_id: z.string().nullable(),
  resource_uri: z.string(),
  analytics: z
    .object({ period: z.string(), reach: z.number().nullable(), views: z.number().nullable(), note: z.string().optional() })
    .optional(),
});

const pageWithoutInstagram = z.object({ page_id: z.string(), name: z.string() });
const pagesWithoutInstagram = z
  .array(pageWithoutInstagram)
  .describe('Facebook Pages the user manages that have no linked Instagram professional account, so no account came from them.');

const caller = (ctx: ToolContext) => ({ owner: ctx.owner, agent: ctx.agent });

/** The account as tools and the account resource show it. */
export function accountOut(a: ConnectedAccount): z.infer<typeof accountView> {
  return {
    id: a.id,
    username: a.username,
    name: a.name,
    ...(a.accountType ? { account_type: a.accountType } : {}),
    login_type: a.loginType,
    followers_count: a.followersCount,
    follows_count: a.followsCount,
    media_count: a.mediaCount,
    status: a.status,
    status_reason: a.statusReason,
    enabled: a.enabled,
    token_expires_at: a.tokenExpiresAt ? iso(a.tokenExpiresAt) : null,
    page_id: a.pageId,
    resource_uri: accountUri(a.id),
  };
}

const pageOut = (p: PageWithoutInstagram): z.infer<typeof pageWithoutInstagram> => ({ page_id: p.pageId, name: p.name });

/** The one-line how-to for Pages without an Instagram account, or '' when there are none. */
function linkPagesStep(pages: PageWithoutInstagram[]): string {
  if (!pages.length) return '';
  return `Facebook Page(s) with no linked Instagram professional account: ${pages.map((p) => `"${p.name}"`).join(', ')}. To connect one, ${LINK_PAGE_HOWTO} (instagram_authenticate with login_type "facebook").`;
}

export const authenticateTool = defineTool({
  name: 'instagram_authenticate',
  title: 'Connect an Instagram account',
  description:
    'Connects (or reconnects) an Instagram professional account: a login link for the user; it connects once they approve. Facebook Login is needed for hashtag search and competitor stats. If the browser shows an error page, pass its URL as callback_url; access_token imports a token.',
  toolset: 'accounts',
  input: z.object({
    login_type: z.enum(['instagram', 'facebook']).optional().describe('Default instagram.'),
    callback_url: z.string().max(4096).optional().describe('Where the browser landed (or the bare code, with state).'),
    state: z.string().max(200).optional(),
    access_token: z.string().min(20).max(1024).optional(),
    wait_seconds: z.number().int().min(0).max(300).optional().describe('Wait for the login to finish (default 0; 120 when the client opened the link).'),
  }),
  output: z.object({
    status: z.enum(['connected', 'awaiting_user']),
    login_type: z.enum(['instagram', 'facebook']),
    authorization_url: z.string().optional(),
    state: z.string().optional(),
    expires_at: z.string().optional(),
    connected: z.array(accountView),
    pages_without_instagram: pagesWithoutInstagram,
    next_step: z.string(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async handler(args, ctx) {
    const accounts = ctx.services.accounts;
    const connected = (r: ConnectResult, how: string) => ({
      status: 'connected' as const,
      login_type: r.loginType,
      connected: r.connected.map(accountOut),
      pages_without_instagram: r.pagesWithoutInstagram.map(pageOut),
      next_step: [how, r.connected.length ? `Connected ${r.connected.map((a) => `@${a.username}`).join(', ')}.` : 'No Instagram account was found.', linkPagesStep(r.pagesWithoutInstagram), 'Use instagram_accounts to see them.']
        .filter(Boolean)
        .join(' '),
    });
    if (args.access_token) {
      return connected(await accounts.importToken(caller(ctx), args.access_token, args.login_type), 'Token imported.');
    }
    if (args.callback_url) {
      return connected(await accounts.completeLogin(caller(ctx), args.callback_url, args.state), 'Login completed.');
    }
    const start = await accounts.startLogin(caller(ctx), args.login_type ?? accounts.defaultLoginType());
    if (ctx.sandbox) {
      const result = await accounts.completeInSandbox(caller(ctx), start);
      return connected(result, 'Sandbox: the emulator approved the login in place of a browser (no real Instagram account involved).');
    }
    const opened = await ctx.openUrl(start.authorizationUrl, 'Log in to Instagram to connect your account to this assistant.');
    const waitMs = (args.wait_seconds ?? (opened === 'accepted' ? 120 : 0)) * 1000;
    if (waitMs > 0 && start.callback !== 'paste_only') {
      const outcome = await accounts.waitForSession(start.state, waitMs, ctx.signal);
      if (outcome === 'completed') {
        const list = (await accounts.list(caller(ctx))).map((a) => accountOut(accounts.view(a.account, a.enabled)));
        const pages = start.loginType === 'facebook' ? (await accounts.pagesWithoutInstagram(caller(ctx))) : [];
        const next = ['Login completed in the browser.', linkPagesStep(pages)].filter(Boolean).join(' ');
        return { status: 'connected' as const, login_type: start.loginType, connected: list, pages_without_instagram: pages.map(pageOut), next_step: next };
      }
      if (outcome === 'failed') {
        throw new AppError('login_failed', 'The login in the browser did not complete.', 'Run instagram_authenticate again for a new link.');
      }
    }
    const how =
      start.callback === 'paste_only'
        ? 'After approving, copy the URL from the browser address bar and call instagram_authenticate with callback_url set to it.'
        : 'After approving, the account connects by itself (check with instagram_accounts). If the browser shows an error page instead, pass its address-bar URL as callback_url.';
    return {
      status: 'awaiting_user' as const,
      login_type: start.loginType,
      authorization_url: start.authorizationUrl,
      state: start.state,
      expires_at: iso(start.expiresAt),
      connected: [],
      pages_without_instagram: [],
      next_step: `Give the user this link to open in a browser (valid 10 minutes): ${start.authorizationUrl} — ${how}`,
    };
  },
});

export const accountsTool = defineTool({
  name: 'instagram_accounts',
  title: 'List connected accounts',
  description:
    'The Instagram accounts this agent may use: profile, counts, status, token expiry; and the Facebook Pages the latest Facebook Login found without a linked Instagram account.',
  toolset: 'accounts',
  input: z.object({
    refresh: z.boolean().optional().describe('Re-read from Instagram.'),
    include_analytics: z.boolean().optional().describe('Add 7-day reach and views.'),
    include_disabled: z.boolean().optional(),
  }),
  output: z.object({
    accounts: z.array(accountView),
    count: z.number(),
    pages_without_instagram: pagesWithoutInstagram
      .optional()
      .describe("Facebook Pages without a linked Instagram professional account, as the owner's latest Facebook Login found them (kept until the next one); left out when there are none."),
    next_step: z.string().optional(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(args, ctx) {
    const svc = ctx.services.accounts;
    const entries = await svc.list(caller(ctx), { includeDisabled: args.include_disabled });
    const out = [];
    for (const entry of entries) {
      let account = entry.account;
      let analytics: z.infer<typeof accountView>['analytics'];
      if (account.status === 'active' && account.accessToken) {
        if (args.refresh) account = await svc.refreshProfile(caller(ctx), account, ctx.signal);
        if (args.include_analytics) analytics = await ctx.services.insights.weekSummary(caller(ctx), account, ctx.signal);
      }
      out.push({ ...accountOut(svc.view(account, entry.enabled)), ...(analytics ? { analytics } : {}) });
    }
    const pages = await svc.pagesWithoutInstagram(caller(ctx));
    const steps = [
      out.length === 0 ? 'No account connected yet: run instagram_authenticate.' : '',
      out.some((a) => a.status === 'needs_reauth') ? 'Some accounts need re-authentication: run instagram_authenticate for them.' : '',
      linkPagesStep(pages),
    ].filter(Boolean);
    return {
      accounts: out,
      count: out.length,
      ...(pages.length ? { pages_without_instagram: pages.map(pageOut) } : {}),
      ...(steps.length ? { next_step: steps.join(' ') } : {}),
    };
  },
});

export const setAccountEnabledTool = defineTool({
  name: 'instagram_set_account_enabled',
  title: 'Enable an account for this agent',
  description: 'Turns an account on or off for this agent (MCP client) only; a disabled account is hidden from its tools.',
  toolset: 'accounts',
  input: z.object({ account: z.string().min(1).max(100).describe('Account id or @username.'), enabled: z.boolean() }),
  output: z.object({ account: accountView, agent: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    const account = await ctx.services.accounts.setEnabled(caller(ctx), args.account, args.enabled);
    return { account: accountOut(ctx.services.accounts.view(account, args.enabled)), agent: ctx.agent };
  },
});

export const disconnectTool = defineTool({
  name: 'instagram_disconnect',
  title: 'Disconnect an account',
  description: 'Removes the stored access token of an account. Its post history is kept; connect it again with instagram_authenticate.',
  toolset: 'accounts',
  input: z.object({ account: z.string().min(1).max(100).optional() }),
  output: z.object({ account: accountView, next_step: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    const account = await ctx.services.accounts.disconnect(caller(ctx), args.account);
    return { account: accountOut(ctx.services.accounts.view(account, true)), next_step: `@${account.username} is disconnected; its history is kept. Run instagram_authenticate to connect it again.` };
  },
});

export const accountTools = [authenticateTool, accountsTool, setAccountEnabledTool, disconnectTool];
