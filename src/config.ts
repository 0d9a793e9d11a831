/**
 * The one configuration of the server: environment variables, an optional JSON config file and CLI
 * flags (in rising precedence), validated with zod. An invalid setting stops the server with a message
 * naming the setting and what is wrong.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { defaultDataDir } from './paths.js';

export const TOOLSETS = ['accounts', 'publishing', 'reading', 'insights', 'comments', 'discovery'] as const;
export type Toolset = (typeof TOOLSETS)[number];

export const DEFAULT_API_VERSION = 'v25.0';

/** Every user-facing setting: its name, what it means and its default. Drives validation and the README table. */
export const SETTINGS = {
  INSTAGRAM_APP_ID: 'Instagram app id (Instagram Login). With the secret and redirect URI it enables instagram_authenticate.',
  INSTAGRAM_APP_SECRET: 'Instagram app secret (Instagram Login). Never logged.',
  INSTAGRAM_REDIRECT_URI: 'OAuth redirect URI registered on the app. A localhost/127.0.0.1 URI is served by this server itself in stdio mode.',
  FACEBOOK_APP_ID: 'Facebook app id (Facebook Login path: hashtag search, business discovery).',
  FACEBOOK_APP_SECRET: 'Facebook app secret (Facebook Login path). Never logged.',
  INSTAGRAM_ACCESS_TOKEN: 'An existing long-lived token, imported as an account at start-up (no app of your own needed).',
  INSTAGRAM_GRAPH_URL: 'Instagram Graph host. Default https://graph.instagram.com',
  FACEBOOK_GRAPH_URL: 'Facebook Graph host. Default https://graph.facebook.com',
  INSTAGRAM_API_URL: 'Instagram code-exchange host. Default https://api.instagram.com',
  INSTAGRAM_AUTHORIZE_URL: 'Instagram authorization page. Default https://www.instagram.com/oauth/authorize',
  FACEBOOK_DIALOG_URL: 'Facebook Login dialog host (the /vXX.X/dialog/oauth path is added). Default https://www.facebook.com',
  INSTAGRAM_RUPLOAD_URL: 'Resumable video upload host. Default https://rupload.facebook.com',
  GRAPH_API_VERSION: `Graph API version sent on every call. Default ${DEFAULT_API_VERSION}`,
  INSTAGRAM_MCP_DATA_DIR: 'Where the database and key live (created 0700). Default: the per-user data directory.',
  INSTAGRAM_MCP_ENCRYPTION_KEY: 'Key for tokens at rest: 64 hex chars or base64 of 32 bytes. Default: generated once into <data dir>/encryption.key (0600).',
  INSTAGRAM_MCP_PUBLIC_URL: 'Public https base URL at which this server serves local media for Instagram to fetch (reverse proxy or tunnel to the HTTP port).',
  INSTAGRAM_MCP_MEDIA_DIRS: 'Folders local media may be read from, separated by the path delimiter (: on Linux/macOS, ; on Windows). Everything else is refused.',
  INSTAGRAM_MCP_SANDBOX: '1 runs against the built-in Instagram emulator (also --sandbox). On by default when no Meta credentials are set; 0 turns it off.',
  INSTAGRAM_MCP_HTTP_TOKEN: 'Bearer token required on the HTTP transports when set (owner "http").',
  INSTAGRAM_MCP_HTTP_TOKENS: 'More bearer tokens for the HTTP transports, each mapped to its owner: owner1=token1,owner2=token2.',
  INSTAGRAM_MCP_OIDC_ISSUER: 'OpenID provider whose access tokens the HTTP transports accept (validated through its userinfo endpoint; the subject becomes the owner).',
  INSTAGRAM_MCP_ALLOWED_ORIGINS: 'Extra Origin values accepted by the HTTP transports (comma-separated). Localhost origins are always accepted.',
  INSTAGRAM_MCP_ALLOWED_HOSTS: 'Extra Host header values accepted by the HTTP transports (comma-separated), e.g. your public host name.',
  INSTAGRAM_MCP_TOOLSETS: `Toolsets to expose, comma-separated, or "all". One of: ${TOOLSETS.join(', ')}.`,
  INSTAGRAM_MCP_READ_ONLY: '1 removes every tool that writes (publishing, comments, account changes). Wins over toolsets.',
  INSTAGRAM_MCP_AGENT: 'Overrides the agent name (normally the MCP client\'s clientInfo.name) used for the per-agent account toggle.',
  INSTAGRAM_MCP_OWNER: 'Owner name of the local user in stdio mode. Default: the OS user name.',
  INSTAGRAM_MCP_TRANSPORT: 'stdio (default) or http (also --transport).',
  INSTAGRAM_MCP_PORT: 'HTTP port (also --port). Default 8787.',
  INSTAGRAM_MCP_HOST: 'HTTP bind address (also --host). Default 127.0.0.1. Any other address needs a bearer token or an OpenID provider.',
  INSTAGRAM_MCP_ALLOW_UNAUTHENTICATED: '1 lets the HTTP transports listen on a non-loopback address with no bearer token or OpenID provider: only for a server behind a proxy that authenticates every request itself.',
  INSTAGRAM_MCP_SESSION_IDLE_MINUTES: 'An HTTP MCP session with no request and no open stream for this long is closed (the client starts a new one). Default 30.',
  INSTAGRAM_MCP_MAX_SESSIONS: 'Most concurrent HTTP MCP sessions (Streamable HTTP and legacy SSE together) per owner; the next one is refused until one closes or expires. Default 50.',
  INSTAGRAM_MCP_UPLOAD_QUOTA_MB: 'Most MiB of uploaded files (POST /uploads and inline base64 media) one owner may hold at a time (not yet used in a post, not expired). Default 2048.',
  INSTAGRAM_MCP_UPLOAD_QUOTA_FILES: 'Most uploaded files (POST /uploads and inline base64 media) one owner may hold at a time (not yet used in a post, not expired). Default 200.',
  INSTAGRAM_MCP_PUBLISH_WAIT_SECONDS: 'How long a publishing call waits before returning the post id to follow with instagram_post_status. Default 60.',
  INSTAGRAM_MCP_TIME_ZONE: 'IANA time zone for calendars and suggested times when a call names none (e.g. Europe/Berlin). Default UTC.',
  INSTAGRAM_MCP_LOG_LEVEL: 'debug, info (default), warn or error. Logs go to stderr.',
  INSTAGRAM_MCP_DATABASE_URL: 'postgres://… switches to hosted mode: the store on PostgreSQL (row-level security per owner), jobs on pg-boss, Streamable HTTP stateless so any replica answers any request. The role must not be a superuser. Default: none (SQLite in the data directory).',
  INSTAGRAM_MCP_DATABASE_POOL: 'PostgreSQL connections per replica (hosted mode). Default 10.',
  INSTAGRAM_MCP_UPLOADS_DIR: 'Where POST /uploads and inline media are kept. Default <data dir>/uploads. Replicas of hosted mode point it at one shared directory, so any replica can use what another received.',
  INSTAGRAM_MCP_HTTP_STATELESS: '1 serves Streamable HTTP without sessions: every request stands alone, so a load balancer may send each one to any replica (no server-to-client notifications outside a call). On by default in hosted mode; 0 turns it off.',
  INSTAGRAM_MCP_BACKGROUND_JOBS: '0 makes this server answer requests only: scheduled posts, token refresh, insights capture, cleanup and taking over the posts of a process that died are left to `instagram-mcp worker` processes sharing its store (hosted mode split into serving and worker replicas). Posts published now still publish in the request. Default 1; the worker always runs them.',
  INSTAGRAM_MCP_CONFIG: 'Path of a JSON file holding any of these settings by name (also --config). Environment variables win over it.',
} as const;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const optionalText = z
  .string()
  .transform((s) => s.trim())
  .optional()
  .transform((s) => (s ? s : undefined));
const httpUrl = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((s) => (s && s.trim() ? s.trim() : fallback))
    .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }))
    .transform((s) => s.replace(/\/+$/, ''));
const flag = z
  .string()
  .optional()
  .transform((s, ctx) => {
    if (s === undefined || s.trim() === '') return undefined;
    const v = s.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    ctx.addIssue({ code: 'custom', message: `must be 1 or 0 (got '${s}')` });
    return z.NEVER;
  });
const list = z
  .string()
  .optional()
  .transform((s) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : []));

const wholeNumber = (fallback: string, unit: string, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((s) => (s && s.trim() ? s.trim() : fallback))
    .transform((s) => Number(s))
    .pipe(z.number({ error: `must be a number of ${unit}` }).int('must be a whole number').min(min, `must be ≥ ${min}`).max(max, `must be ≤ ${max}`));

const rawSchema = z.object({
  INSTAGRAM_APP_ID: optionalText.pipe(z.string().regex(/^\d+$/, 'must be the numeric app id').optional()),
  INSTAGRAM_APP_SECRET: optionalText,
  INSTAGRAM_REDIRECT_URI: optionalText.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()),
  FACEBOOK_APP_ID: optionalText.pipe(z.string().regex(/^\d+$/, 'must be the numeric app id').optional()),
  FACEBOOK_APP_SECRET: optionalText,
  INSTAGRAM_ACCESS_TOKEN: optionalText.pipe(z.string().regex(/^[A-Za-z0-9_\-|.]{20,}$/, 'does not look like an access token').optional()),
  INSTAGRAM_GRAPH_URL: httpUrl('https://graph.instagram.com'),
  FACEBOOK_GRAPH_URL: httpUrl('https://graph.facebook.com'),
  INSTAGRAM_API_URL: httpUrl('https://api.instagram.com'),
  INSTAGRAM_AUTHORIZE_URL: httpUrl('https://www.instagram.com/oauth/authorize'),
  FACEBOOK_DIALOG_URL: httpUrl('https://www.facebook.com'),
  INSTAGRAM_RUPLOAD_URL: httpUrl('https://rupload.facebook.com'),
  GRAPH_API_VERSION: z
    .string()
    .optional()
    .transform((s) => (s && s.trim() ? s.trim() : DEFAULT_API_VERSION))
    .transform((s) => (/^\d+\.\d+$/.test(s) ? `v${s}` : s))
    .pipe(z.string().regex(/^v\d{2}\.0$/, 'must look like v25.0')),
  INSTAGRAM_MCP_DATA_DIR: optionalText,
  INSTAGRAM_MCP_ENCRYPTION_KEY: optionalText.pipe(
    z
      .string()
      .refine((k) => /^[0-9a-fA-F]{64}$/.test(k) || Buffer.from(k, 'base64').length === 32, 'must be 64 hex characters or base64 of 32 bytes')
      .optional(),
  ),
  INSTAGRAM_MCP_PUBLIC_URL: optionalText.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()),
  INSTAGRAM_MCP_MEDIA_DIRS: z
    .string()
    .optional()
    .transform((s) => (s ? s.split(path.delimiter).map((x) => x.trim()).filter(Boolean) : [])),
  INSTAGRAM_MCP_SANDBOX: flag,
  INSTAGRAM_MCP_HTTP_TOKEN: optionalText.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  INSTAGRAM_MCP_HTTP_TOKENS: list.pipe(
    z.array(z.string().regex(/^[^=\s]+=.{16,}$/, 'each entry must be owner=token with a token of at least 16 characters')),
  ),
  INSTAGRAM_MCP_OIDC_ISSUER: optionalText.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()),
  INSTAGRAM_MCP_ALLOWED_ORIGINS: list,
  INSTAGRAM_MCP_ALLOWED_HOSTS: list,
  INSTAGRAM_MCP_TOOLSETS: z
    .string()
    .optional()
    .transform((s) => (s && s.trim() && s.trim() !== 'all' ? s.split(',').map((x) => x.trim()).filter(Boolean) : [...TOOLSETS]))
    .pipe(z.array(z.enum(TOOLSETS, { error: (i) => `unknown toolset '${String(i.input)}'; choose from ${TOOLSETS.join(', ')} or all` }))),
  INSTAGRAM_MCP_READ_ONLY: flag,
  INSTAGRAM_MCP_AGENT: optionalText,
  INSTAGRAM_MCP_OWNER: optionalText,
  INSTAGRAM_MCP_TRANSPORT: z
    .string()
    .optional()
    .transform((s) => (s && s.trim() ? s.trim() : 'stdio'))
    .pipe(z.enum(['stdio', 'http'], { error: 'must be stdio or http' })),
  INSTAGRAM_MCP_PORT: z
    .string()
    .optional()
    .transform((s) => (s && s.trim() ? s.trim() : '8787'))
    .transform((s) => Number(s))
    .pipe(z.number({ error: 'must be a port number' }).int('must be a whole number').min(0, 'must be 0-65535').max(65535, 'must be 0-65535')),
  INSTAGRAM_MCP_ALLOW_UNAUTHENTICATED: flag,
  INSTAGRAM_MCP_HOST: z
    .string()
    .optional()
    .transform((s) => (s && s.trim() ? s.trim() : '127.0.0.1')),
  INSTAGRAM_MCP_SESSION_IDLE_MINUTES: wholeNumber('30', 'minutes', 1, 7 * 24 * 60),
  INSTAGRAM_MCP_MAX_SESSIONS: wholeNumber('50', 'sessions', 1, 100_000),
  INSTAGRAM_MCP_UPLOAD_QUOTA_MB: wholeNumber('2048', 'MiB', 1, 1024 * 1024),
  INSTAGRAM_MCP_UPLOAD_QUOTA_FILES: wholeNumber('200', 'files', 1, 1_000_000),
  INSTAGRAM_MCP_PUBLISH_WAIT_SECONDS: z
    .string()
    .optional()
    .transform((s) => (s && s.trim() ? s.trim() : '60'))
    .transform((s) => Number(s))
    .pipe(z.number({ error: 'must be a number of seconds' }).min(0, 'must be ≥ 0').max(3600, 'must be ≤ 3600')),
  INSTAGRAM_MCP_TIME_ZONE: z
    .string()
    .optional()
    .transform((s) => (s && s.trim() ? s.trim() : 'UTC'))
    .refine((s) => isTimeZone(s), 'must be an IANA time zone such as Europe/Berlin or UTC'),
  INSTAGRAM_MCP_LOG_LEVEL: z
    .string()
    .optional()
    .transform((s) => (s && s.trim() ? s.trim().toLowerCase() : 'info'))
    .pipe(z.enum(['debug', 'info', 'warn', 'error'], { error: 'must be debug, info, warn or error' })),
  INSTAGRAM_MCP_DATABASE_URL: optionalText.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
  ),
  INSTAGRAM_MCP_DATABASE_POOL: wholeNumber('10', 'connections', 1, 1000),
  INSTAGRAM_MCP_HTTP_STATELESS: flag,
  INSTAGRAM_MCP_BACKGROUND_JOBS: flag,
  INSTAGRAM_MCP_UPLOADS_DIR: optionalText,
  INSTAGRAM_MCP_CONFIG: optionalText,
});

export interface BaseUrlsConfig {
  instagramGraph: string;
  facebookGraph: string;
  instagramApi: string;
  instagramAuthorize: string;
  facebookDialog: string;
  rupload: string;
}

export interface AppConfig {
  instagramApp?: { appId: string; appSecret: string; redirectUri?: string };
  facebookApp?: { appId: string; appSecret: string; redirectUri?: string };
  redirectUri?: string;
  accessToken?: string;
  urls: BaseUrlsConfig;
  apiVersion: string;
  dataDir: string;
  /** POST /uploads and inline media, when set (shared by hosted replicas); else <data dir>/uploads. */
  uploadsDir?: string;
  encryptionKey?: string;
  publicUrl?: string;
  mediaDirs: string[];
  /** Why the sandbox is on, or null when the server talks to Meta. */
  sandbox: null | 'requested' | 'no_credentials';
  transport: 'stdio' | 'http';
  http: {
    port: number;
    host: string;
    tokens: Map<string, string>;
    oidcIssuer?: string;
    allowedOrigins: string[];
    allowedHosts: string[];
    /** An MCP session with no request in flight and no open stream for this long is closed. */
    sessionIdleMs: number;
    /** Concurrent MCP sessions (both HTTP transports) per owner. */
    maxSessionsPerOwner: number;
    /** What one owner may hold in POST /uploads files (not used, not expired). */
    uploadQuota: { bytes: number; files: number };
    /** Streamable HTTP without sessions (each request stands alone: any replica can answer it). */
    stateless: boolean;
  };
  /** Hosted mode: the store and the jobs on PostgreSQL. */
  database?: { url: string; poolSize: number };
  /** Whether this process runs the background jobs (false: it serves requests; workers run them). */
  backgroundJobs: boolean;
  toolsets: Toolset[];
  readOnly: boolean;
  agentOverride?: string;
  localOwner: string;
  publishWaitMs: number;
  /** Default IANA time zone of calendars and suggested times. */
  timeZone: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export interface CliFlags {
  transport?: string;
  port?: string;
  host?: string;
  sandbox?: boolean;
  config?: string;
}

/** Parses the command line; unknown flags are an error so typos do not pass silently. */
export function parseCliFlags(argv: string[]): CliFlags {
  const flags: CliFlags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith('--')) throw new ConfigError([`${name}: needs a value`]);
      return v;
    };
    switch (name) {
      case '--transport':
        flags.transport = value();
        break;
      case '--port':
        flags.port = value();
        break;
      case '--host':
        flags.host = value();
        break;
      case '--config':
        flags.config = value();
        break;
      case '--sandbox':
        flags.sandbox = true;
        break;
      case '--stdio':
        flags.transport = 'stdio';
        break;
      case '--http':
        flags.transport = 'http';
        break;
      default:
        throw new ConfigError([`${arg}: unknown option (try --transport stdio|http, --port N, --host ADDR, --sandbox, --config FILE)`]);
    }
  }
  return flags;
}

function readConfigFile(file: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`INSTAGRAM_MCP_CONFIG: cannot read ${file} as JSON (${(err as Error).message})`]);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError([`INSTAGRAM_MCP_CONFIG: ${file} must hold a JSON object of settings`]);
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!(key in SETTINGS)) throw new ConfigError([`${key} (in ${file}): unknown setting`]);
    if (Array.isArray(value)) out[key] = value.map(String).join(key === 'INSTAGRAM_MCP_MEDIA_DIRS' ? path.delimiter : ',');
    else if (value !== null && value !== undefined) out[key] = String(value);
  }
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, flags: CliFlags = {}): AppConfig {
  const configFile = flags.config ?? env.INSTAGRAM_MCP_CONFIG;
  const fromFile = configFile ? readConfigFile(configFile) : {};
  const merged: Record<string, string | undefined> = { ...fromFile };
  for (const name of Object.keys(SETTINGS)) {
    if (env[name] !== undefined) merged[name] = env[name];
  }
  if (flags.transport !== undefined) merged.INSTAGRAM_MCP_TRANSPORT = flags.transport;
  if (flags.port !== undefined) merged.INSTAGRAM_MCP_PORT = flags.port;
  if (flags.host !== undefined) merged.INSTAGRAM_MCP_HOST = flags.host;
  if (flags.sandbox) merged.INSTAGRAM_MCP_SANDBOX = '1';

  const result = rawSchema.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`));
  }
  const raw = result.data;
  const problems: string[] = [];
  const pair = (idName: string, id?: string, secretName?: string, secret?: string) => {
    if (id && !secret) problems.push(`${secretName}: required when ${idName} is set`);
    if (!id && secret) problems.push(`${idName}: required when ${secretName} is set`);
  };
  pair('INSTAGRAM_APP_ID', raw.INSTAGRAM_APP_ID, 'INSTAGRAM_APP_SECRET', raw.INSTAGRAM_APP_SECRET);
  pair('FACEBOOK_APP_ID', raw.FACEBOOK_APP_ID, 'FACEBOOK_APP_SECRET', raw.FACEBOOK_APP_SECRET);
  const tokens = new Map<string, string>();
  if (raw.INSTAGRAM_MCP_HTTP_TOKEN) tokens.set(raw.INSTAGRAM_MCP_HTTP_TOKEN, 'http');
  for (const entry of raw.INSTAGRAM_MCP_HTTP_TOKENS) {
    const at = entry.indexOf('=');
    tokens.set(entry.slice(at + 1), entry.slice(0, at));
  }
  if (raw.INSTAGRAM_MCP_TRANSPORT === 'http' && !isLoopbackHost(raw.INSTAGRAM_MCP_HOST) && tokens.size === 0 && !raw.INSTAGRAM_MCP_OIDC_ISSUER && raw.INSTAGRAM_MCP_ALLOW_UNAUTHENTICATED !== true) {
    problems.push(
      `INSTAGRAM_MCP_HOST: ${raw.INSTAGRAM_MCP_HOST} can be reached from other machines, and no INSTAGRAM_MCP_HTTP_TOKEN, INSTAGRAM_MCP_HTTP_TOKENS or INSTAGRAM_MCP_OIDC_ISSUER is set, so anyone who reaches it could act on your Instagram accounts. Set a bearer token, or bind 127.0.0.1 (the default), or set INSTAGRAM_MCP_ALLOW_UNAUTHENTICATED=1 if a proxy in front authenticates every request.`,
    );
  }
  if (raw.INSTAGRAM_MCP_DATABASE_URL && !raw.INSTAGRAM_MCP_ENCRYPTION_KEY) {
    problems.push(
      'INSTAGRAM_MCP_ENCRYPTION_KEY: hosted mode (INSTAGRAM_MCP_DATABASE_URL) needs the token key set, the same on every replica, since each replica has a data directory of its own: generate one with `openssl rand -hex 32` and give it to all of them.',
    );
  }
  if (problems.length) throw new ConfigError(problems);

  const hasCredentials = Boolean(raw.INSTAGRAM_APP_ID || raw.FACEBOOK_APP_ID || raw.INSTAGRAM_ACCESS_TOKEN);
  const sandbox: AppConfig['sandbox'] =
    raw.INSTAGRAM_MCP_SANDBOX === true ? 'requested' : raw.INSTAGRAM_MCP_SANDBOX === undefined && !hasCredentials ? 'no_credentials' : null;

  const expandHome = (p: string) => (p.startsWith('~') ? path.join(os.homedir(), p.slice(1)) : p);
  return {
    instagramApp: raw.INSTAGRAM_APP_ID
      ? { appId: raw.INSTAGRAM_APP_ID, appSecret: raw.INSTAGRAM_APP_SECRET!, redirectUri: raw.INSTAGRAM_REDIRECT_URI }
      : undefined,
    facebookApp: raw.FACEBOOK_APP_ID
      ? { appId: raw.FACEBOOK_APP_ID, appSecret: raw.FACEBOOK_APP_SECRET!, redirectUri: raw.INSTAGRAM_REDIRECT_URI }
      : undefined,
    redirectUri: raw.INSTAGRAM_REDIRECT_URI,
    accessToken: raw.INSTAGRAM_ACCESS_TOKEN,
    urls: {
      instagramGraph: raw.INSTAGRAM_GRAPH_URL,
      facebookGraph: raw.FACEBOOK_GRAPH_URL,
      instagramApi: raw.INSTAGRAM_API_URL,
      instagramAuthorize: raw.INSTAGRAM_AUTHORIZE_URL,
      facebookDialog: raw.FACEBOOK_DIALOG_URL,
      rupload: raw.INSTAGRAM_RUPLOAD_URL,
    },
    apiVersion: raw.GRAPH_API_VERSION,
    dataDir: path.resolve(expandHome(raw.INSTAGRAM_MCP_DATA_DIR ?? defaultDataDir())),
    ...(raw.INSTAGRAM_MCP_UPLOADS_DIR ? { uploadsDir: path.resolve(expandHome(raw.INSTAGRAM_MCP_UPLOADS_DIR)) } : {}),
    encryptionKey: raw.INSTAGRAM_MCP_ENCRYPTION_KEY,
    publicUrl: raw.INSTAGRAM_MCP_PUBLIC_URL?.replace(/\/+$/, ''),
    mediaDirs: raw.INSTAGRAM_MCP_MEDIA_DIRS.map((d) => path.resolve(expandHome(d))),
    sandbox,
    transport: raw.INSTAGRAM_MCP_TRANSPORT,
    http: {
      port: raw.INSTAGRAM_MCP_PORT,
      host: raw.INSTAGRAM_MCP_HOST,
      tokens,
      oidcIssuer: raw.INSTAGRAM_MCP_OIDC_ISSUER,
      allowedOrigins: raw.INSTAGRAM_MCP_ALLOWED_ORIGINS,
      allowedHosts: raw.INSTAGRAM_MCP_ALLOWED_HOSTS,
      sessionIdleMs: raw.INSTAGRAM_MCP_SESSION_IDLE_MINUTES * 60 * 1000,
      maxSessionsPerOwner: raw.INSTAGRAM_MCP_MAX_SESSIONS,
      uploadQuota: { bytes: raw.INSTAGRAM_MCP_UPLOAD_QUOTA_MB * 1024 * 1024, files: raw.INSTAGRAM_MCP_UPLOAD_QUOTA_FILES },
      stateless: raw.INSTAGRAM_MCP_HTTP_STATELESS ?? Boolean(raw.INSTAGRAM_MCP_DATABASE_URL),
    },
    ...(raw.INSTAGRAM_MCP_DATABASE_URL ? { database: { url: raw.INSTAGRAM_MCP_DATABASE_URL, poolSize: raw.INSTAGRAM_MCP_DATABASE_POOL } } : {}),
    backgroundJobs: raw.INSTAGRAM_MCP_BACKGROUND_JOBS ?? true,
    toolsets: [...new Set(raw.INSTAGRAM_MCP_TOOLSETS)],
    readOnly: raw.INSTAGRAM_MCP_READ_ONLY === true,
    agentOverride: raw.INSTAGRAM_MCP_AGENT,
    localOwner: raw.INSTAGRAM_MCP_OWNER ?? safeUserName(),
    publishWaitMs: raw.INSTAGRAM_MCP_PUBLISH_WAIT_SECONDS * 1000,
    timeZone: raw.INSTAGRAM_MCP_TIME_ZONE,
    logLevel: raw.INSTAGRAM_MCP_LOG_LEVEL,
  };
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function safeUserName(): string {
  try {
    return os.userInfo().username || 'local';
  } catch {
    return 'local';
  }
}

/** Addresses only this machine can reach: an unauthenticated HTTP server is safe there and nowhere else. */
function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
