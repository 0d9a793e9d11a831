CREATE TABLE "accounts" (
	"owner" text NOT NULL,
	"id" text NOT NULL,
	"app_scoped_id" text,
	"username" text NOT NULL,
	"name" text,
	"biography" text,
	"website" text,
	"profile_picture_url" text,
	"account_type" text,
	"login_type" text NOT NULL,
	"page_id" text,
	"followers_count" integer,
	"follows_count" integer,
	"media_count" integer,
	"access_token_enc" text,
	"token_issued_at" bigint,
	"token_expires_at" bigint,
	"last_refresh_at" bigint,
	"last_refresh_error" text,
	"status" text DEFAULT 'active' NOT NULL,
	"status_reason" text,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "accounts_pk" PRIMARY KEY("owner","id"),
	CONSTRAINT "accounts_status_check" CHECK ("status" in ('active', 'needs_reauth', 'disconnected')),
	CONSTRAINT "accounts_login_type_check" CHECK ("login_type" in ('instagram', 'facebook'))
);
--> statement-breakpoint
ALTER TABLE "accounts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "agent_accounts" (
	"owner" text NOT NULL,
	"agent" text NOT NULL,
	"account_id" text NOT NULL,
	"enabled" boolean NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "agent_accounts_pk" PRIMARY KEY("owner","agent","account_id")
);
--> statement-breakpoint
ALTER TABLE "agent_accounts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"agent" text,
	"account_id" text,
	"action" text NOT NULL,
	"detail_json" text DEFAULT '{}' NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "audit_log" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "hashtag_searches" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"account_id" text NOT NULL,
	"hashtag" text NOT NULL,
	"hashtag_id" text NOT NULL,
	"searched_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "hashtag_searches" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "insight_snapshots" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"account_id" text NOT NULL,
	"media_id" text NOT NULL,
	"post_id" text,
	"label" text NOT NULL,
	"captured_at" bigint NOT NULL,
	"rows_json" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "insight_snapshots" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"kind" text NOT NULL,
	"owner" text,
	"payload_json" text DEFAULT '{}' NOT NULL,
	"run_at" bigint NOT NULL,
	"state" text DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"lease_owner" text,
	"lease_generation" integer DEFAULT 0 NOT NULL,
	"lease_expires_at" bigint,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "jobs_state_check" CHECK ("state" in ('queued', 'running', 'done', 'failed', 'cancelled'))
);
--> statement-breakpoint
ALTER TABLE "jobs" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "media" (
	"id" text PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"source" text NOT NULL,
	"local_path" text,
	"url" text,
	"checksum" text,
	"file_identity" text,
	"mime_type" text,
	"size_bytes" bigint,
	"width" integer,
	"height" integer,
	"duration_ms" integer,
	"used_by_post_id" text,
	"used_at" bigint,
	"created_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	CONSTRAINT "media_source_check" CHECK ("source" in ('local', 'url', 'upload'))
);
--> statement-breakpoint
ALTER TABLE "media" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "oauth_sessions" (
	"state" text PRIMARY KEY NOT NULL,
	"code_verifier_enc" text NOT NULL,
	"login_type" text NOT NULL,
	"owner" text NOT NULL,
	"agent" text NOT NULL,
	"redirect_uri" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"result_json" text,
	"error" text,
	"created_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	CONSTRAINT "oauth_sessions_status_check" CHECK ("status" in ('pending', 'exchanging', 'completed', 'failed')),
	CONSTRAINT "oauth_sessions_login_type_check" CHECK ("login_type" in ('instagram', 'facebook'))
);
--> statement-breakpoint
ALTER TABLE "oauth_sessions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "posts" (
	"id" text PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"account_id" text NOT NULL,
	"idempotency_key" text,
	"kind" text NOT NULL,
	"caption" text,
	"options_json" text DEFAULT '{}' NOT NULL,
	"inputs_json" text DEFAULT '[]' NOT NULL,
	"children_json" text DEFAULT '[]' NOT NULL,
	"container_id" text,
	"media_id" text,
	"permalink" text,
	"state" text DEFAULT 'pending' NOT NULL,
	"progress" double precision DEFAULT 0 NOT NULL,
	"error_code" integer,
	"error_subcode" integer,
	"error_message" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	"published_at" bigint,
	"expires_at" bigint,
	"lease_owner" text,
	"lease_generation" integer DEFAULT 0 NOT NULL,
	"lease_expires_at" bigint,
	"publish_at" bigint,
	CONSTRAINT "posts_kind_check" CHECK ("kind" in ('image', 'video', 'carousel', 'reel', 'story')),
	CONSTRAINT "posts_state_check" CHECK ("state" in ('pending', 'scheduled', 'creating_container', 'uploading', 'processing', 'ready', 'publishing', 'completed', 'failed', 'cancelled', 'skipped')),
	CONSTRAINT "posts_progress_check" CHECK ("progress" >= 0 and "progress" <= 1)
);
--> statement-breakpoint
ALTER TABLE "posts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "store_meta" (
	"name" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "unlinked_facebook_pages" (
	"owner" text NOT NULL,
	"page_id" text NOT NULL,
	"name" text NOT NULL,
	"seen_at" bigint NOT NULL,
	CONSTRAINT "unlinked_facebook_pages_pk" PRIMARY KEY("owner","page_id")
);
--> statement-breakpoint
ALTER TABLE "unlinked_facebook_pages" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "agent_accounts" ADD CONSTRAINT "agent_accounts_account_fk" FOREIGN KEY ("owner","account_id") REFERENCES "public"."accounts"("owner","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hashtag_searches" ADD CONSTRAINT "hashtag_searches_account_fk" FOREIGN KEY ("owner","account_id") REFERENCES "public"."accounts"("owner","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "posts" ADD CONSTRAINT "posts_account_fk" FOREIGN KEY ("owner","account_id") REFERENCES "public"."accounts"("owner","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "accounts_owner_username_idx" ON "accounts" USING btree ("owner",lower("username"));--> statement-breakpoint
CREATE INDEX "audit_log_owner_id_idx" ON "audit_log" USING btree ("owner","id");--> statement-breakpoint
CREATE INDEX "hashtag_searches_owner_account_time_idx" ON "hashtag_searches" USING btree ("owner","account_id","searched_at");--> statement-breakpoint
CREATE UNIQUE INDEX "insight_snapshots_media_label_uq" ON "insight_snapshots" USING btree ("media_id","label");--> statement-breakpoint
CREATE INDEX "insight_snapshots_owner_media_idx" ON "insight_snapshots" USING btree ("owner","media_id");--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_key_uq" ON "jobs" USING btree ("key");--> statement-breakpoint
CREATE INDEX "jobs_state_run_at_idx" ON "jobs" USING btree ("state","run_at");--> statement-breakpoint
CREATE INDEX "media_owner_idx" ON "media" USING btree ("owner");--> statement-breakpoint
CREATE INDEX "media_expires_idx" ON "media" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "oauth_sessions_status_expires_idx" ON "oauth_sessions" USING btree ("status","expires_at");--> statement-breakpoint
CREATE INDEX "posts_owner_publish_at_idx" ON "posts" USING btree ("owner","publish_at");--> statement-breakpoint
CREATE UNIQUE INDEX "posts_owner_idempotency_key_uq" ON "posts" USING btree ("owner","idempotency_key");--> statement-breakpoint
CREATE INDEX "posts_owner_account_created_idx" ON "posts" USING btree ("owner","account_id","created_at");--> statement-breakpoint
CREATE INDEX "posts_state_idx" ON "posts" USING btree ("state");--> statement-breakpoint
CREATE POLICY "accounts_owner_isolation" ON "accounts" AS PERMISSIVE FOR ALL TO public USING (("owner" = current_setting('instagram_mcp.owner', true) or current_setting('instagram_mcp.scope', true) = 'system')) WITH CHECK (("owner" = current_setting('instagram_mcp.owner', true) or current_setting('instagram_mcp.scope', true) = 'system'));--> statement-breakpoint
CREATE POLICY "agent_accounts_owner_isolation" ON "agent_accounts" AS PERMISSIVE FOR ALL TO public USING (("owner" = current_setting('instagram_mcp.owner', true) or current_setting('instagram_mcp.scope', true) = 'system')) WITH CHECK (("owner" = current_setting('instagram_mcp.owner', true) or current_setting('instagram_mcp.scope', true) = 'system'));--> statement-breakpoint
CREATE POLICY "audit_log_owner_isolation" ON "audit_log" AS PERMISSIVE FOR ALL TO public USING (("owner" = current_setting('instagram_mcp.owner', true) or current_setting('instagram_mcp.scope', true) = 'system')) WITH CHECK (("owner" = current_setting('instagram_mcp.owner', true) or current_setting('instagram_mcp.scope', true) = 'system'));--> statement-breakpoint
CREATE POLICY "hashtag_searches_owner_isolation" ON "hashtag_searches" AS PERMISSIVE FOR ALL TO public USING (("owner" = current_setting('instagram_mcp.owner', true) or current_setting('instagram_mcp.scope', true) = 'system')) WITH CHECK (("owner" = current_setting('instagram_mcp.owner', true) or current_setting('instagram_mcp.scope', true) = 'system'));--> statement-breakpoint
CREATE POLICY "insight_snapshots_owner_isolation" ON "insight_snapshots" AS PERMISSIVE FOR ALL TO public USING (("owner" = current_setting('instagram_mcp.owner', true) or current_setting('instagram_mcp.scope', true) = 'system')) WITH CHECK (("owner" = current_setting('instagram_mcp.owner', true) or current_setting('instagram_mcp.scope', true) = 'system'));--> statement-breakpoint
CREATE POLICY "jobs_owner_isolation" ON "jobs" AS PERMISSIVE FOR ALL TO public USING (("owner" = current_setting('instagram_mcp.owner', true) or current_setting('instagram_mcp.scope', true) = 'system')) WITH CHECK (("owner" = current_setting('instagram_mcp.owner', true) or current_setting('instagram_mcp.scope', true) = 'system'));--> statement-breakpoint
CREATE POLICY "media_owner_isolation" ON "media" AS PERMISSIVE FOR ALL TO public USING (("owner" = current_setting('instagram_mcp.owner', true) or current_setting('instagram_mcp.scope', true) = 'system')) WITH CHECK (("owner" = current_setting('instagram_mcp.owner', true) or current_setting('instagram_mcp.scope', true) = 'system'));--> statement-breakpoint
CREATE POLICY "oauth_sessions_owner_isolation" ON "oauth_sessions" AS PERMISSIVE FOR ALL TO public USING (("owner" = current_setting('instagram_mcp.owner', true) or current_setting('instagram_mcp.scope', true) = 'system')) WITH CHECK (("owner" = current_setting('instagram_mcp.owner', true) or current_setting('instagram_mcp.scope', true) = 'system'));--> statement-breakpoint
CREATE POLICY "posts_owner_isolation" ON "posts" AS PERMISSIVE FOR ALL TO public USING (("owner" = current_setting('instagram_mcp.owner', true) or current_setting('instagram_mcp.scope', true) = 'system')) WITH CHECK (("owner" = current_setting('instagram_mcp.owner', true) or current_setting('instagram_mcp.scope', true) = 'system'));--> statement-breakpoint
CREATE POLICY "unlinked_facebook_pages_owner_isolation" ON "unlinked_facebook_pages" AS PERMISSIVE FOR ALL TO public USING (("owner" = current_setting('instagram_mcp.owner', true) or current_setting('instagram_mcp.scope', true) = 'system')) WITH CHECK (("owner" = current_setting('instagram_mcp.owner', true) or current_setting('instagram_mcp.scope', true) = 'system'));