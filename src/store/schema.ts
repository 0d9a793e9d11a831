/**
 * The SQLite schema. Migrations in `drizzle/` are generated from this file with `npm run db:generate`
 * (drizzle-kit), never edited by hand. Conventions: Instagram ids are TEXT (they exceed 2^53), times
 * are INTEGER epoch milliseconds, secrets are stored only as TokenVault ciphertext (`*_enc`).
 * No relative imports here: drizzle-kit loads this file with its own bundler.
 */
import { sql } from 'drizzle-orm';
import { check, foreignKey, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

import { ACCOUNT_STATUSES, JOB_STATES, LOGIN_TYPES, MEDIA_SOURCES, OAUTH_SESSION_STATUSES, POST_KINDS, POST_STATES } from './states.js';

export { ACCOUNT_STATUSES, JOB_STATES, LOGIN_TYPES, MEDIA_SOURCES, OAUTH_SESSION_STATUSES, POST_KINDS, POST_STATES };

/** `col IN ('a','b')` for a CHECK constraint (values are our own constants, never user input). */
function oneOf(column: string, values: readonly string[]) {
  return sql.raw(`"${column}" in (${values.map((v) => `'${v}'`).join(', ')})`);
}

export const accounts = sqliteTable(
  'accounts',
  {
    owner: text('owner').notNull(),
    /** Instagram user id used for publishing (the `me` of the token). */
    id: text('id').notNull(),
    appScopedId: text('app_scoped_id'),
    username: text('username').notNull(),
    name: text('name'),
    biography: text('biography'),
    website: text('website'),
    profilePictureUrl: text('profile_picture_url'),
    accountType: text('account_type'),
    loginType: text('login_type', { enum: LOGIN_TYPES }).notNull(),
    pageId: text('page_id'),
    followersCount: integer('followers_count'),
    followsCount: integer('follows_count'),
    mediaCount: integer('media_count'),
    accessTokenEnc: text('access_token_enc'),
    tokenIssuedAt: integer('token_issued_at'),
    tokenExpiresAt: integer('token_expires_at'),
    lastRefreshAt: integer('last_refresh_at'),
    lastRefreshError: text('last_refresh_error'),
    status: text('status', { enum: ACCOUNT_STATUSES }).notNull().default('active'),
    statusReason: text('status_reason'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'accounts_pk', columns: [t.owner, t.id] }),
    // Usernames change and are matched case-insensitively, so an expression index rather than a unique one.
    index('accounts_owner_username_idx').on(t.owner, sql`lower(${t.username})`),
    check('accounts_status_check', oneOf('status', ACCOUNT_STATUSES)),
    check('accounts_login_type_check', oneOf('login_type', LOGIN_TYPES)),
  ],
);

export const oauthSessions = sqliteTable(
  'oauth_sessions',
  {
    state: text('state').primaryKey(),
    codeVerifierEnc: text('code_verifier_enc').notNull(),
    loginType: text('login_type', { enum: LOGIN_TYPES }).notNull(),
    owner: text('owner').notNull(),
    agent: text('agent').notNull(),
    redirectUri: text('redirect_uri').notNull(),
    status: text('status', { enum: OAUTH_SESSION_STATUSES }).notNull().default('pending'),
    resultJson: text('result_json'),
    error: text('error'),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    index('oauth_sessions_status_expires_idx').on(t.status, t.expiresAt),
    check('oauth_sessions_status_check', oneOf('status', OAUTH_SESSION_STATUSES)),
    check('oauth_sessions_login_type_check', oneOf('login_type', LOGIN_TYPES)),
  ],
);

export const agentAccounts = sqliteTable(
  'agent_accounts',
  {
    owner: text('owner').notNull(),
    agent: text('agent').notNull(),
    accountId: text('account_id').notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'agent_accounts_pk', columns: [t.owner, t.agent, t.accountId] }),
    foreignKey({ name: 'agent_accounts_account_fk', columns: [t.owner, t.accountId], foreignColumns: [accounts.owner, accounts.id] }).onDelete('cascade'),
  ],
);

export const media = sqliteTable(
  'media',
  {
    /** 32 lowercase hex characters: the reference id handed to agents. */
    id: text('id').primaryKey(),
    owner: text('owner').notNull(),
    source: text('source', { enum: MEDIA_SOURCES }).notNull(),
    localPath: text('local_path'),
    url: text('url'),
    checksum: text('checksum'),
    /** The local file as checked at registration (device:inode:size:mtime in ns); a different file at the path is refused. */
    fileIdentity: text('file_identity'),
    mimeType: text('mime_type'),
    sizeBytes: integer('size_bytes'),
    width: integer('width'),
    height: integer('height'),
    durationMs: integer('duration_ms'),
    usedByPostId: text('used_by_post_id'),
    usedAt: integer('used_at'),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    index('media_owner_idx').on(t.owner),
    index('media_expires_idx').on(t.expiresAt),
    check('media_source_check', oneOf('source', MEDIA_SOURCES)),
  ],
);

export const posts = sqliteTable(
  'posts',
  {
    id: text('id').primaryKey(),
    owner: text('owner').notNull(),
    accountId: text('account_id').notNull(),
    idempotencyKey: text('idempotency_key'),
    kind: text('kind', { enum: POST_KINDS }).notNull(),
    caption: text('caption'),
    /** The request's settings and the steps' runtime state, side by side (see postData.ts). */
    optionsJson: text('options_json').notNull().default('{}'),
    inputsJson: text('inputs_json').notNull().default('[]'),
    /** Array of {index, containerId|null, state} for carousel children (state: CHILD_STATES). */
    childrenJson: text('children_json').notNull().default('[]'),
    /** Parent (carousel) or single media container id. */
    containerId: text('container_id'),
    /** Instagram media id once published. */
    mediaId: text('media_id'),
    permalink: text('permalink'),
    state: text('state', { enum: POST_STATES }).notNull().default('pending'),
    progress: real('progress').notNull().default(0),
    errorCode: integer('error_code'),
    errorSubcode: integer('error_subcode'),
    errorMessage: text('error_message'),
    attempts: integer('attempts').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    publishedAt: integer('published_at'),
    /** Stories only: published_at + 24 h. */
    expiresAt: integer('expires_at'),
    /** The server process driving the post (null when none): `pid@host#instance`. */
    leaseOwner: text('lease_owner'),
    /** Bumped on every acquisition: a fencing token, so a holder that lost the lease cannot write. */
    leaseGeneration: integer('lease_generation').notNull().default(0),
    leaseExpiresAt: integer('lease_expires_at'),
    /** Scheduled posts: the instant media_publish is due (null for a post published at once). */
    publishAt: integer('publish_at'),
  },
  (t) => [
    index('posts_owner_publish_at_idx').on(t.owner, t.publishAt),
    // SQLite treats NULLs as distinct, so posts without a key never collide.
    uniqueIndex('posts_owner_idempotency_key_uq').on(t.owner, t.idempotencyKey),
    index('posts_owner_account_created_idx').on(t.owner, t.accountId, t.createdAt),
    index('posts_state_idx').on(t.state),
    foreignKey({ name: 'posts_account_fk', columns: [t.owner, t.accountId], foreignColumns: [accounts.owner, accounts.id] }),
    check('posts_kind_check', oneOf('kind', POST_KINDS)),
    check('posts_state_check', oneOf('state', POST_STATES)),
    check('posts_progress_check', sql.raw('"progress" >= 0 and "progress" <= 1')),
  ],
);

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    owner: text('owner').notNull(),
    agent: text('agent'),
    accountId: text('account_id'),
    action: text('action').notNull(),
    /** Already redacted: never holds a secret. */
    detailJson: text('detail_json').notNull().default('{}'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('audit_log_owner_id_idx').on(t.owner, t.id)],
);

export const hashtagSearches = sqliteTable(
  'hashtag_searches',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    owner: text('owner').notNull(),
    accountId: text('account_id').notNull(),
    /** Normalized: lowercase, without the leading '#'. */
    hashtag: text('hashtag').notNull(),
    hashtagId: text('hashtag_id').notNull(),
    searchedAt: integer('searched_at').notNull(),
  },
  (t) => [
    index('hashtag_searches_owner_account_time_idx').on(t.owner, t.accountId, t.searchedAt),
    foreignKey({ name: 'hashtag_searches_account_fk', columns: [t.owner, t.accountId], foreignColumns: [accounts.owner, accounts.id] }).onDelete('cascade'),
  ],
);

/**
 * The Facebook Pages without a linked Instagram professional account, as the owner's latest Facebook
 * login found them; each Facebook login replaces the owner's rows.
 */
export const unlinkedFacebookPages = sqliteTable(
  'unlinked_facebook_pages',
  {
    owner: text('owner').notNull(),
    pageId: text('page_id').notNull(),
    name: text('name').notNull(),
    /** When the Facebook login that found this Page completed. */
    seenAt: integer('seen_at').notNull(),
  },
  (t) => [primaryKey({ name: 'unlinked_facebook_pages_pk', columns: [t.owner, t.pageId] })],
);

/**
 * Facts about the database itself, by name. `key_fingerprint`: the TokenVault fingerprint of the key
 * its tokens are encrypted under, so a lost or replaced key is refused at open instead of found later.
 */
export const storeMeta = sqliteTable('store_meta', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
});

/**
 * Meta's throttles as this server saw them: Meta said a key ('app', or an Instagram account id) may
 * not call until a time. Shared through the store so every process sharing it holds back, not only the
 * one that was told (calling while throttled prolongs the block). Meta's data, not an owner's.
 */
export const rateLimitBlocks = sqliteTable('rate_limit_blocks', {
  key: text('key').primaryKey(),
  until: integer('until').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/**
 * Meta's usage percentages (X-App-Usage, X-Business-Use-Case-Usage) as a process last saw them, per
 * key ('app' or an account id), so every process sharing the store slows down near the limit, not only
 * the one whose calls brought the header. Meta's data, not an owner's.
 */
export const rateLimitUsage = sqliteTable('rate_limit_usage', {
  key: text('key').primaryKey(),
  observedAt: integer('observed_at').notNull(),
  usageJson: text('usage_json').notNull(),
});

/**
 * Durable time-based work (a scheduled post's start, insights captures, sweeps): one row per key,
 * claimed with a lease whose generation fences a holder that lost it (store/jobs.ts).
 */
export const jobs = sqliteTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    key: text('key').notNull(),
    kind: text('kind').notNull(),
    owner: text('owner'),
    payloadJson: text('payload_json').notNull().default('{}'),
    runAt: integer('run_at').notNull(),
    state: text('state', { enum: JOB_STATES }).notNull().default('queued'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    leaseOwner: text('lease_owner'),
    leaseGeneration: integer('lease_generation').notNull().default(0),
    leaseExpiresAt: integer('lease_expires_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('jobs_key_uq').on(t.key),
    index('jobs_state_run_at_idx').on(t.state, t.runAt),
    check('jobs_state_check', oneOf('state', JOB_STATES)),
  ],
);

/**
 * Media insights captured by the worker (insights history): a story's just before it expires (Instagram
 * drops them after 24 hours) and a post's at fixed ages, one row per media and label.
 */
export const insightSnapshots = sqliteTable(
  'insight_snapshots',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    owner: text('owner').notNull(),
    accountId: text('account_id').notNull(),
    mediaId: text('media_id').notNull(),
    postId: text('post_id'),
    /** `before_expiry` (stories), or the post's age: `1h`, `24h`, `7d`. */
    label: text('label').notNull(),
    capturedAt: integer('captured_at').notNull(),
    rowsJson: text('rows_json').notNull(),
  },
  (t) => [uniqueIndex('insight_snapshots_media_label_uq').on(t.mediaId, t.label), index('insight_snapshots_owner_media_idx').on(t.owner, t.mediaId)],
);

/**
 * Files a process hosts for Instagram to fetch (media/host.ts), by token hash, so that another process
 * sharing the store serves the URL when the fetch reaches it (replicas behind one address).
 */
export const hostedFiles = sqliteTable('hosted_files', {
  tokenHash: text('token_hash').primaryKey(),
  name: text('name').notNull(),
  mimeType: text('mime_type').notNull(),
  path: text('path').notNull(),
  identity: text('identity').notNull(),
  expiresAt: integer('expires_at').notNull(),
});

/**
 * The state of the built-in OAuth authorization server: oidc-provider's adapter records (by model name
 * in `kind`), our invites and the signing keys. Ids, uids and user codes are kept only as SHA-256 hex
 * (for opaque tokens the id is the token itself); the payload only as TokenVault ciphertext.
 */
export const authRecords = sqliteTable(
  'auth_records',
  {
    kind: text('kind').notNull(),
    idHash: text('id_hash').notNull(),
    payloadEnc: text('payload_enc').notNull(),
    grantId: text('grant_id'),
    uidHash: text('uid_hash'),
    userCodeHash: text('user_code_hash'),
    expiresAt: integer('expires_at'),
    consumedAt: integer('consumed_at'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'auth_records_pk', columns: [t.kind, t.idHash] }),
    index('auth_records_grant_idx').on(t.grantId),
    index('auth_records_kind_uid_idx').on(t.kind, t.uidHash),
    index('auth_records_expires_idx').on(t.expiresAt),
  ],
);
