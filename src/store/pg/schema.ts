/**
 * The PostgreSQL schema of hosted mode: the same tables, columns and constraints as the SQLite schema
 * (../schema.ts), in pg-core types (times stay epoch milliseconds, as bigint read back as numbers), plus
 * row-level security: every table that holds an owner's rows lets a transaction see and write only the
 * rows of the owner it has set (`SET LOCAL instagram_mcp.owner`, see ./rls.ts), so a query that forgot
 * its owner filter returns nothing of anybody's instead of everybody's. Work that spans owners (the
 * job runner finding due work, sweeps) says so explicitly with `instagram_mcp.scope = 'system'`.
 * Migrations in `drizzle-pg/` are generated from this file (`npm run db:generate:pg`), never edited by hand,
 * except the custom one that forces the policies on the tables' own role.
 */
import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, check, doublePrecision, foreignKey, index, integer, pgPolicy, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';

import { ACCOUNT_STATUSES, JOB_STATES, LOGIN_TYPES, MEDIA_SOURCES, OAUTH_SESSION_STATUSES, POST_KINDS, POST_STATES } from '../states.js';

/** `col IN ('a','b')` for a CHECK constraint (values are our own constants, never user input). */
function oneOf(column: string, values: readonly string[]) {
  return sql.raw(`"${column}" in (${values.map((v) => `'${v}'`).join(', ')})`);
}

const ms = (name: string) => bigint(name, { mode: 'number' });

/** The owner the transaction acts for; null (no row matches) when it set none. */
const currentOwner = sql.raw(`current_setting('instagram_mcp.owner', true)`);
const systemScope = sql.raw(`current_setting('instagram_mcp.scope', true) = 'system'`);

/** Rows of the transaction's owner only, for reading and for writing; all rows in system scope. */
function ownerPolicy(table: string, ownerColumn = 'owner') {
  const mine = sql`(${sql.raw(`"${ownerColumn}"`)} = ${currentOwner} or ${systemScope})`;
  return pgPolicy(`${table}_owner_isolation`, { as: 'permissive', for: 'all', to: 'public', using: mine, withCheck: mine });
}

export const accounts = pgTable(
  'accounts',
  {
    owner: text('owner').notNull(),
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
    tokenIssuedAt: ms('token_issued_at'),
    tokenExpiresAt: ms('token_expires_at'),
    lastRefreshAt: ms('last_refresh_at'),
    lastRefreshError: text('last_refresh_error'),
    status: text('status', { enum: ACCOUNT_STATUSES }).notNull().default('active'),
    statusReason: text('status_reason'),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'accounts_pk', columns: [t.owner, t.id] }),
    index('accounts_owner_username_idx').on(t.owner, sql`lower(${t.username})`),
    check('accounts_status_check', oneOf('status', ACCOUNT_STATUSES)),
    check('accounts_login_type_check', oneOf('login_type', LOGIN_TYPES)),
    ownerPolicy('accounts'),
  ],
);

export const oauthSessions = pgTable(
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
    createdAt: ms('created_at').notNull(),
    expiresAt: ms('expires_at').notNull(),
  },
  (t) => [
    index('oauth_sessions_status_expires_idx').on(t.status, t.expiresAt),
    check('oauth_sessions_status_check', oneOf('status', OAUTH_SESSION_STATUSES)),
    check('oauth_sessions_login_type_check', oneOf('login_type', LOGIN_TYPES)),
    ownerPolicy('oauth_sessions'),
  ],
);

export const agentAccounts = pgTable(
  'agent_accounts',
  {
    owner: text('owner').notNull(),
    agent: text('agent').notNull(),
    accountId: text('account_id').notNull(),
    enabled: boolean('enabled').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'agent_accounts_pk', columns: [t.owner, t.agent, t.accountId] }),
    foreignKey({ name: 'agent_accounts_account_fk', columns: [t.owner, t.accountId], foreignColumns: [accounts.owner, accounts.id] }).onDelete('cascade'),
    ownerPolicy('agent_accounts'),
  ],
);

export const media = pgTable(
  'media',
  {
    id: text('id').primaryKey(),
    owner: text('owner').notNull(),
    source: text('source', { enum: MEDIA_SOURCES }).notNull(),
    localPath: text('local_path'),
    url: text('url'),
    checksum: text('checksum'),
    fileIdentity: text('file_identity'),
    mimeType: text('mime_type'),
    sizeBytes: bigint('size_bytes', { mode: 'number' }),
    width: integer('width'),
    height: integer('height'),
    durationMs: integer('duration_ms'),
    usedByPostId: text('used_by_post_id'),
    usedAt: ms('used_at'),
    createdAt: ms('created_at').notNull(),
    expiresAt: ms('expires_at').notNull(),
  },
  (t) => [
    index('media_owner_idx').on(t.owner),
    index('media_expires_idx').on(t.expiresAt),
    check('media_source_check', oneOf('source', MEDIA_SOURCES)),
    ownerPolicy('media'),
  ],
);

export const posts = pgTable(
  'posts',
  {
    id: text('id').primaryKey(),
    owner: text('owner').notNull(),
    accountId: text('account_id').notNull(),
    idempotencyKey: text('idempotency_key'),
    kind: text('kind', { enum: POST_KINDS }).notNull(),
    caption: text('caption'),
    optionsJson: text('options_json').notNull().default('{}'),
    inputsJson: text('inputs_json').notNull().default('[]'),
    childrenJson: text('children_json').notNull().default('[]'),
    containerId: text('container_id'),
    mediaId: text('media_id'),
    permalink: text('permalink'),
    state: text('state', { enum: POST_STATES }).notNull().default('pending'),
    progress: doublePrecision('progress').notNull().default(0),
    errorCode: integer('error_code'),
    errorSubcode: integer('error_subcode'),
    errorMessage: text('error_message'),
    attempts: integer('attempts').notNull().default(0),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
    publishedAt: ms('published_at'),
    expiresAt: ms('expires_at'),
    leaseOwner: text('lease_owner'),
    leaseGeneration: integer('lease_generation').notNull().default(0),
    leaseExpiresAt: ms('lease_expires_at'),
    publishAt: ms('publish_at'),
  },
  (t) => [
    index('posts_owner_publish_at_idx').on(t.owner, t.publishAt),
    // PostgreSQL, like SQLite, treats NULLs as distinct: posts without a key never collide.
    uniqueIndex('posts_owner_idempotency_key_uq').on(t.owner, t.idempotencyKey),
    index('posts_owner_account_created_idx').on(t.owner, t.accountId, t.createdAt),
    index('posts_state_idx').on(t.state),
    foreignKey({ name: 'posts_account_fk', columns: [t.owner, t.accountId], foreignColumns: [accounts.owner, accounts.id] }),
    check('posts_kind_check', oneOf('kind', POST_KINDS)),
    check('posts_state_check', oneOf('state', POST_STATES)),
    check('posts_progress_check', sql.raw('"progress" >= 0 and "progress" <= 1')),
    ownerPolicy('posts'),
  ],
);

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    owner: text('owner').notNull(),
    agent: text('agent'),
    accountId: text('account_id'),
    action: text('action').notNull(),
    detailJson: text('detail_json').notNull().default('{}'),
    createdAt: ms('created_at').notNull(),
  },
  (t) => [index('audit_log_owner_id_idx').on(t.owner, t.id), ownerPolicy('audit_log')],
);

export const hashtagSearches = pgTable(
  'hashtag_searches',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    owner: text('owner').notNull(),
    accountId: text('account_id').notNull(),
    hashtag: text('hashtag').notNull(),
    hashtagId: text('hashtag_id').notNull(),
    searchedAt: ms('searched_at').notNull(),
  },
  (t) => [
    index('hashtag_searches_owner_account_time_idx').on(t.owner, t.accountId, t.searchedAt),
    foreignKey({ name: 'hashtag_searches_account_fk', columns: [t.owner, t.accountId], foreignColumns: [accounts.owner, accounts.id] }).onDelete('cascade'),
    ownerPolicy('hashtag_searches'),
  ],
);

export const unlinkedFacebookPages = pgTable(
  'unlinked_facebook_pages',
  {
    owner: text('owner').notNull(),
    pageId: text('page_id').notNull(),
    name: text('name').notNull(),
    seenAt: ms('seen_at').notNull(),
  },
  (t) => [primaryKey({ name: 'unlinked_facebook_pages_pk', columns: [t.owner, t.pageId] }), ownerPolicy('unlinked_facebook_pages')],
);

/** Facts about the database itself (the key fingerprint): no owner's data, no policy. */
export const storeMeta = pgTable('store_meta', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
});

/** Meta's throttles as any replica saw them (see ../schema.ts): Meta's data, not an owner's, no policy. */
export const rateLimitBlocks = pgTable('rate_limit_blocks', {
  key: text('key').primaryKey(),
  until: ms('until').notNull(),
  updatedAt: ms('updated_at').notNull(),
});

/** Meta's usage percentages as any replica last saw them (see ../schema.ts): Meta's data, no policy. */
export const rateLimitUsage = pgTable('rate_limit_usage', {
  key: text('key').primaryKey(),
  observedAt: ms('observed_at').notNull(),
  usageJson: text('usage_json').notNull(),
});

export const jobs = pgTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    key: text('key').notNull(),
    kind: text('kind').notNull(),
    /** Null for the server's own work (sweeps): such rows are seen in system scope only. */
    owner: text('owner'),
    payloadJson: text('payload_json').notNull().default('{}'),
    runAt: ms('run_at').notNull(),
    state: text('state', { enum: JOB_STATES }).notNull().default('queued'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    leaseOwner: text('lease_owner'),
    leaseGeneration: integer('lease_generation').notNull().default(0),
    leaseExpiresAt: ms('lease_expires_at'),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('jobs_key_uq').on(t.key),
    index('jobs_state_run_at_idx').on(t.state, t.runAt),
    check('jobs_state_check', oneOf('state', JOB_STATES)),
    ownerPolicy('jobs'),
  ],
);

export const insightSnapshots = pgTable(
  'insight_snapshots',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    owner: text('owner').notNull(),
    accountId: text('account_id').notNull(),
    mediaId: text('media_id').notNull(),
    postId: text('post_id'),
    label: text('label').notNull(),
    capturedAt: ms('captured_at').notNull(),
    rowsJson: text('rows_json').notNull(),
  },
  (t) => [
    uniqueIndex('insight_snapshots_media_label_uq').on(t.mediaId, t.label),
    index('insight_snapshots_owner_media_idx').on(t.owner, t.mediaId),
    ownerPolicy('insight_snapshots'),
  ],
);

/** Every table whose rows belong to an owner (and carry the policy above). */
export const OWNER_TABLES = [
  'accounts',
  'oauth_sessions',
  'agent_accounts',
  'media',
  'posts',
  'audit_log',
  'hashtag_searches',
  'unlinked_facebook_pages',
  'jobs',
  'insight_snapshots',
] as const;

/**
 * Files a replica hosts for Instagram to fetch (see ../schema.ts): reached by an unguessable token from
 * Instagram's anonymous fetch, so no owner scope and no policy; the token itself is never stored.
 */
export const hostedFiles = pgTable('hosted_files', {
  tokenHash: text('token_hash').primaryKey(),
  name: text('name').notNull(),
  mimeType: text('mime_type').notNull(),
  path: text('path').notNull(),
  identity: text('identity').notNull(),
  expiresAt: ms('expires_at').notNull(),
});

/**
 * The built-in OAuth authorization server's state (see ../schema.ts): reached by token, uid or grant
 * before anyone is known to be an owner, so no owner scope and no policy; ids and codes only as SHA-256.
 */
export const authRecords = pgTable(
  'auth_records',
  {
    kind: text('kind').notNull(),
    idHash: text('id_hash').notNull(),
    payloadEnc: text('payload_enc').notNull(),
    grantId: text('grant_id'),
    uidHash: text('uid_hash'),
    userCodeHash: text('user_code_hash'),
    expiresAt: ms('expires_at'),
    consumedAt: ms('consumed_at'),
    createdAt: ms('created_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'auth_records_pk', columns: [t.kind, t.idHash] }),
    index('auth_records_grant_idx').on(t.grantId),
    index('auth_records_kind_uid_idx').on(t.kind, t.uidHash),
    index('auth_records_expires_idx').on(t.expiresAt),
  ],
);
