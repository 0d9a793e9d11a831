/**
 * The records and repository contracts of the store. Services code against these; the SQL lives in
 * the repository files.
 */
import type { ACCOUNT_STATUSES, LOGIN_TYPES, MEDIA_SOURCES, OAUTH_SESSION_STATUSES, POST_KINDS, POST_STATES } from './schema.js';
import type { ChildContainer, ChildState, ContainerMeta, PostInput, PostRuntime, PostRuntimePatch, PostSettings } from './postData.js';
import type { SyncJobsRepo } from './jobs.js';
import type { SyncPostScheduleRepo } from './postSchedule.js';
import type { SyncInsightSnapshotsRepo } from './insightSnapshots.js';

export type { QuotaEvent } from './postSchedule.js';
export type { JobRecord } from './jobs.js';

/**
 * A repository as services see it: every method answers a promise, so the same contract runs on
 * SQLite (where the work is synchronous underneath, see ./gate.ts) and on PostgreSQL. The Sync*
 * interfaces below document each method; the SQLite repositories implement them directly.
 */
export type Async<R> = { [K in keyof R]: R[K] extends (...args: infer A) => infer T ? (...args: A) => Promise<Awaited<T>> : R[K] };

export type AccountsRepo = Async<SyncAccountsRepo>;
export type OAuthSessionsRepo = Async<SyncOAuthSessionsRepo>;
export type AgentAccountsRepo = Async<SyncAgentAccountsRepo>;
export type MediaRepo = Async<SyncMediaRepo>;
export type PostsRepo = Async<SyncPostsRepo>;
export type PostScheduleRepo = Async<SyncPostScheduleRepo>;
export type InsightSnapshotsRepo = Async<SyncInsightSnapshotsRepo>;
export type JobsRepo = Async<SyncJobsRepo>;
export type AuditRepo = Async<SyncAuditRepo>;
export type HashtagSearchesRepo = Async<SyncHashtagSearchesRepo>;
export type UnlinkedFacebookPagesRepo = Async<SyncUnlinkedFacebookPagesRepo>;
export type RateLimitsRepo = Async<SyncRateLimitsRepo>;
export type HostedFilesRepo = Async<SyncHostedFilesRepo>;
export type AuthRecordsRepo = Async<SyncAuthRecordsRepo>;
export type { SyncJobsRepo, SyncPostScheduleRepo, SyncInsightSnapshotsRepo };

export type { ChildContainer, ChildState, ContainerMeta, FirstCommentResult, PostInput, PostRuntime, PostRuntimePatch, PostSettings, StoredMedia } from './postData.js';

export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];
export type LoginType = (typeof LOGIN_TYPES)[number];
export type OAuthSessionStatus = (typeof OAUTH_SESSION_STATUSES)[number];
export type MediaSource = (typeof MEDIA_SOURCES)[number];
export type PostKind = (typeof POST_KINDS)[number];
export type PostState = (typeof POST_STATES)[number];

export interface AccountRecord {
  owner: string;
  /** Instagram user id (publishing id); a string because it exceeds 2^53. */
  id: string;
  appScopedId: string | null;
  username: string;
  name: string | null;
  biography: string | null;
  website: string | null;
  profilePictureUrl: string | null;
  accountType: string | null;
  loginType: LoginType;
  pageId: string | null;
  followersCount: number | null;
  followsCount: number | null;
  mediaCount: number | null;
  /** Decrypted on read; stored only encrypted. */
  accessToken: string | null;
  tokenIssuedAt: number | null;
  tokenExpiresAt: number | null;
  lastRefreshAt: number | null;
  lastRefreshError: string | null;
  status: AccountStatus;
  statusReason: string | null;
  createdAt: number;
  updatedAt: number;
}

export type AccountProfile = Pick<
  AccountRecord,
  'username' | 'name' | 'biography' | 'website' | 'profilePictureUrl' | 'accountType' | 'followersCount' | 'followsCount' | 'mediaCount' | 'appScopedId'
>;

export type AccountUpsert = Omit<AccountRecord, 'createdAt' | 'updatedAt' | 'lastRefreshError' | 'statusReason'> &
  Partial<Pick<AccountRecord, 'lastRefreshError' | 'statusReason'>>;

export interface AccountTokenUpdate {
  accessToken: string;
  issuedAt: number;
  expiresAt: number | null;
  /** Defaults to the clock's now. */
  lastRefreshAt?: number;
}

export interface SyncAccountsRepo {
  /** Inserts or replaces the account (created_at kept); lastRefreshError/statusReason default to null, so a reconnect with status 'active' clears them. */
  upsert(input: AccountUpsert): AccountRecord;
  get(owner: string, id: string): AccountRecord | undefined;
  /** Case-insensitive; a leading '@' is ignored. */
  findByUsername(owner: string, username: string): AccountRecord | undefined;
  list(owner: string): AccountRecord[];
  /** Every owner's active accounts that hold a token (the refresh sweep). */
  listWithTokens(): AccountRecord[];
  /** A successful exchange or refresh: new token, clears lastRefreshError. */
  updateToken(owner: string, id: string, t: AccountTokenUpdate): void;
  recordRefreshError(owner: string, id: string, message: string): void;
  updateProfile(owner: string, id: string, p: Partial<AccountProfile>): void;
  setStatus(owner: string, id: string, status: AccountStatus, reason?: string | null): void;
  /** Removes the token and marks the account disconnected; posts, audit entries and toggles are kept. */
  disconnect(owner: string, id: string): void;
}

export interface OAuthSession {
  state: string;
  /** Decrypted on read; stored only encrypted. */
  codeVerifier: string;
  loginType: LoginType;
  owner: string;
  agent: string;
  redirectUri: string;
  status: OAuthSessionStatus;
  result: unknown;
  error: string | null;
  createdAt: number;
  expiresAt: number;
}

export interface OAuthSessionCreate {
  state: string;
  codeVerifier: string;
  loginType: LoginType;
  owner: string;
  agent: string;
  redirectUri: string;
  /** Default 10 minutes. */
  ttlMs?: number;
}

export interface SyncOAuthSessionsRepo {
  create(s: OAuthSessionCreate): OAuthSession;
  /** The session whatever its status or expiry. */
  get(state: string): OAuthSession | undefined;
  /** Atomically pending → exchanging; undefined if missing, expired or not pending, so a state is used once. */
  claim(state: string): OAuthSession | undefined;
  /** Stores the outcome (passed through redact(): put no secret in it). A session already completed or failed keeps its first outcome. */
  complete(state: string, result: unknown): void;
  fail(state: string, error: string): void;
  /** Any non-expired pending session (the callback listener runs while true). */
  hasPending(): boolean;
  /** Deletes sessions past their expiry, whatever their status; returns how many. */
  purgeExpired(): number;
}

export interface SyncAgentAccountsRepo {
  setEnabled(owner: string, agent: string, accountId: string, enabled: boolean): void;
  /** True unless the agent was explicitly disabled for the account. */
  isEnabled(owner: string, agent: string, accountId: string): boolean;
  disabledFor(owner: string, agent: string): Set<string>;
}

export interface MediaRecord {
  /** 32 lowercase hex characters. */
  id: string;
  owner: string;
  source: MediaSource;
  localPath: string | null;
  url: string | null;
  /** sha256 hex. */
  checksum: string | null;
  /** The file as checked at registration (device:inode:size:mtime in ns), for local files and uploads; null for URLs. */
  fileIdentity: string | null;
  mimeType: string | null;
  sizeBytes: number | null;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  usedByPostId: string | null;
  usedAt: number | null;
  createdAt: number;
  expiresAt: number;
}

export type MediaCreate = Omit<MediaRecord, 'id' | 'createdAt' | 'usedByPostId' | 'usedAt' | 'fileIdentity'> & { id?: string; fileIdentity?: string | null };

export interface SyncMediaRepo {
  /** Generates a 32-hex id unless one is given (it must be 32 lowercase hex characters). */
  create(r: MediaCreate): MediaRecord;
  get(owner: string, id: string): MediaRecord | undefined;
  /** Any owner's row (a post in flight re-checks the file it was planned with). */
  getById(id: string): MediaRecord | undefined;
  markUsed(ids: string[], postId: string): void;
  /** Local paths of this owner's media already used by a post. */
  usedLocalPaths(owner: string): Set<string>;
  /** Files this owner holds in the uploads folder (uploads and fixed copies not used by a post, not expired) and their bytes. */
  heldUploads(owner: string): { files: number; bytes: number };
  /** Every owner's media whose expiresAt has passed. */
  listExpired(): MediaRecord[];
  delete(id: string): void;
}

export interface PostRecord {
  id: string;
  owner: string;
  accountId: string;
  idempotencyKey: string | null;
  kind: PostKind;
  caption: string | null;
  /** What the request asked for (fixed at creation). */
  settings: PostSettings;
  /** What the publishing steps wrote so far. */
  runtime: PostRuntime;
  inputs: PostInput[];
  children: ChildContainer[];
  containerId: string | null;
  mediaId: string | null;
  permalink: string | null;
  state: PostState;
  progress: number;
  errorCode: number | null;
  errorSubcode: number | null;
  errorMessage: string | null;
  attempts: number;
  /** The server process driving the post, if any. */
  lease: PostLease | null;
  createdAt: number;
  updatedAt: number;
  publishedAt: number | null;
  expiresAt: number | null;
  /** Scheduled posts: when media_publish is due. */
  publishAt: number | null;
}

export interface PostLease {
  owner: string;
  generation: number;
  expiresAt: number;
}

/** Who must still hold the lease for a write to go through. */
export interface LeaseFence {
  owner: string;
  generation: number;
}

export interface PostCreate {
  /** Generated (a UUID) when absent. */
  id?: string;
  owner: string;
  accountId: string;
  idempotencyKey?: string | null;
  kind: PostKind;
  caption?: string | null;
  settings?: PostSettings;
  inputs: PostInput[];
  publishAt?: number | null;
}

/** The columns a state transition may persist along with the new state. */
export type TransitionColumns = Partial<
  Pick<PostRecord, 'progress' | 'attempts' | 'mediaId' | 'permalink' | 'publishedAt' | 'expiresAt' | 'errorCode' | 'errorSubcode' | 'errorMessage' | 'publishAt'>
>;

export interface TransitionWrite {
  from: PostState;
  to: PostState;
  columns?: TransitionColumns;
  runtime?: PostRuntimePatch;
  /** Write only while this lease is held. */
  fence?: LeaseFence;
}

export interface SyncPostsRepo {
  /** State pending. Throws DuplicateIdempotencyKeyError (carrying the existing post) when (owner, key) exists. */
  create(p: PostCreate): PostRecord;
  get(owner: string, id: string): PostRecord | undefined;
  /** Unscoped: for the publisher resuming its own work, never for answering a user. */
  getById(id: string): PostRecord | undefined;
  findByIdempotencyKey(owner: string, key: string): PostRecord | undefined;
  /** Every owner's posts a job is driving or should drive (not final, not waiting for their time), oldest first. */
  listInFlight(): PostRecord[];
  /** Newest first; default limit 50. */
  listForAccount(owner: string, accountId: string, limit?: number): PostRecord[];

  /**
   * Moves the post from `from` to `to` with what that move persists, in one write: undefined (nothing
   * written) when the post is no longer in `from` or the fence's lease is no longer held. The
   * publishing state table (services/publishing/stateTable.ts) is its one caller: it checks the move.
   */
  writeTransition(id: string, t: TransitionWrite): PostRecord | undefined;
  /** Clamped to [0, 1]. */
  setProgress(id: string, progress: number): void;
  /** A container Instagram created: the post's own (single or carousel parent) or a carousel child's, with its metadata. */
  recordContainer(id: string, containerId: string, meta: ContainerMeta, child?: { index: number; state: ChildState }): void;
  /** A resumable upload finished; a carousel child moves on to processing. */
  markContainerUploaded(id: string, containerId: string): void;
  /** Inserts or replaces the child at `index` in one transaction. */
  setChildContainer(id: string, index: number, containerId: string | null, state: ChildState): void;
  /** Before media_publish: the attempt count and when it was made. */
  recordPublishAttempt(id: string, attempts: number, at: number): void;
  /** An attempt proven not to have happened does not count. */
  restoreAttempts(id: string, attempts: number): void;
  /** The media id or permalink, as soon as they are known. */
  recordMedia(id: string, media: { mediaId?: string; permalink?: string | null }): void;
  /** Merges into the runtime state; a key set to undefined is removed. */
  updateRuntime(id: string, patch: PostRuntimePatch): PostRecord;

  /**
   * Takes the lease for `owner` unless another holder has it and `canTakeOver(lease)` says no; the
   * generation goes up by one. The new lease, or undefined when refused.
   */
  acquireLease(id: string, owner: string, expiresAt: number, canTakeOver: (held: PostLease) => boolean): PostLease | undefined;
  /** Extends the lease while `fence` still holds it; false when it does not. */
  renewLease(id: string, fence: LeaseFence, expiresAt: number): boolean;
  /**
   * Whether `fence` still holds the post's lease. Inside a transaction the answer holds until it ends:
   * on PostgreSQL the row stays locked, so no other replica can take the lease over before the write
   * that this check guards (SQLite's transaction already keeps every other writer out).
   */
  holdsLease(id: string, fence: LeaseFence): boolean;
  /** Clears the lease if `fence` still holds it. */
  releaseLease(id: string, fence: LeaseFence): void;
}

export interface AuditEntry {
  id: number;
  owner: string;
  agent: string | null;
  accountId: string | null;
  action: string;
  detail: Record<string, unknown>;
  createdAt: number;
}

export interface AuditRecordInput {
  owner: string;
  agent: string | null;
  accountId: string | null;
  action: string;
  detail?: Record<string, unknown>;
}

export interface SyncAuditRepo {
  /** The detail goes through redact() from src/log.ts before it is stored. */
  record(e: AuditRecordInput): void;
  /** Newest first; default limit 100. */
  list(owner: string, limit?: number): AuditEntry[];
}

export interface HashtagSearch {
  hashtag: string;
  hashtagId: string;
  firstSearchedAt: number;
}

export interface SyncHashtagSearchesRepo {
  /** The hashtag is normalized: trimmed, leading '#' removed, lowercase. */
  record(owner: string, accountId: string, hashtag: string, hashtagId: string): void;
  /** Distinct hashtags searched at or after `sinceMs` (the 30-per-7-days budget), oldest first. */
  uniqueSince(owner: string, accountId: string, sinceMs: number): HashtagSearch[];
}

export interface UnlinkedFacebookPage {
  pageId: string;
  name: string;
  /** When the Facebook login that found it completed (epoch ms). */
  seenAt: number;
}

export interface SyncUnlinkedFacebookPagesRepo {
  /** The Pages the owner's latest Facebook login found without an Instagram account; replaces the previous list. */
  replace(owner: string, pages: Array<{ pageId: string; name: string }>): void;
  /** The owner's current list, by name. */
  list(owner: string): UnlinkedFacebookPage[];
}

export interface SyncRateLimitsRepo {
  /** Meta throttled `key` ('app' or an account id) until `until`; a later time than the one kept wins. */
  block(key: string, until: number): void;
  /** The throttles still running at `now`, by key. */
  active(now: number): Record<string, number>;
  /** Meta's usage for `key` as seen at `observedAt` (JSON); an older observation than the one kept is ignored (one made at the same time replaces it). */
  recordUsage(key: string, observedAt: number, usageJson: string): void;
  /** The usage observations made since `since`. */
  usageSince(since: number): SharedUsage[];
}

/** A file one process hosts for Instagram to fetch, so another can serve it (see media/host.ts). */
export interface HostedFileRecord {
  tokenHash: string;
  name: string;
  mimeType: string;
  path: string;
  identity: string;
  expiresAt: number;
}

export interface SyncHostedFilesRepo {
  add(entry: HostedFileRecord): void;
  /** The entry, while it has not expired at `now`. */
  find(tokenHash: string, now: number): HostedFileRecord | undefined;
  remove(tokenHash: string): void;
  removeExpired(now: number): void;
}

/**
 * A record of the built-in OAuth authorization server to write: an oidc-provider adapter record (`kind`
 * its model name: 'AccessToken', 'Grant', 'Session', …) or one of ours ('Invite', 'SigningKeys'). The
 * store keeps `id`, `uid` and `userCode` only as SHA-256 hex, and `payload` only encrypted.
 */
export interface AuthRecordWrite {
  kind: string;
  id: string;
  /** Any JSON value. */
  payload: unknown;
  grantId?: string | null;
  uid?: string | null;
  userCode?: string | null;
  /** epoch ms; null or absent: never expires */
  expiresAt?: number | null;
}

/** A stored record of the authorization server, its payload decrypted. */
export interface AuthRecord {
  kind: string;
  payload: unknown;
  grantId: string | null;
  expiresAt: number | null;
  consumedAt: number | null;
}

export interface SyncAuthRecordsRepo {
  /** Insert or replace (same kind+id): payload, grantId, uid, userCode and expiry replaced; consumed_at kept. */
  upsert(record: AuthRecordWrite): void;
  /** Insert unless a record of that kind+id exists; returns the stored one (the earlier one if another process got there first). Used for signing keys generated by several replicas at once. */
  insertOnce(record: AuthRecordWrite): AuthRecord;
  /** The record unless missing or expired at `now` (expiresAt <= now counts as expired). */
  find(kind: string, id: string, now: number): AuthRecord | undefined;
  findByUid(kind: string, uid: string, now: number): AuthRecord | undefined;
  findByUserCode(kind: string, userCode: string, now: number): AuthRecord | undefined;
  /** Marks it consumed at `now` if it exists, is not expired and was not consumed yet; true only for the call that consumed it (one UPDATE ... WHERE consumed_at IS NULL, so two racing callers cannot both win). */
  consume(kind: string, id: string, now: number): boolean;
  destroy(kind: string, id: string): void;
  /** Deletes every record carrying this grant id (any kind). */
  revokeByGrantId(grantId: string): void;
  /** Deletes records expired at `now`; returns how many. */
  removeExpired(now: number): number;
}

export interface SharedUsage {
  key: string;
  observedAt: number;
  usageJson: string;
}

export interface Store {
  accounts: AccountsRepo;
  oauthSessions: OAuthSessionsRepo;
  agentAccounts: AgentAccountsRepo;
  media: MediaRepo;
  posts: PostsRepo;
  schedule: PostScheduleRepo;
  insightSnapshots: InsightSnapshotsRepo;
  jobs: JobsRepo;
  audit: AuditRepo;
  hashtagSearches: HashtagSearchesRepo;
  unlinkedFacebookPages: UnlinkedFacebookPagesRepo;
  rateLimits: RateLimitsRepo;
  hostedFiles: HostedFilesRepo;
  authRecords: AuthRecordsRepo;
  /**
   * Runs `fn` as one transaction: every store call it awaits is inside it, and no other call of this
   * process runs in between (SQLite: BEGIN IMMEDIATE with the other calls held at the gate; nested
   * calls become savepoints). `fn` should await only store calls: work that waits on anything else
   * holds every other caller back.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** 'ok' when the database's own checks pass; otherwise the problems, one per line. */
  integrityCheck(): Promise<string>;
  close(): Promise<void>;
}
