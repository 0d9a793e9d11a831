CREATE TABLE `accounts` (
	`owner` text NOT NULL,
	`id` text NOT NULL,
	`app_scoped_id` text,
	`username` text NOT NULL,
	`name` text,
	`biography` text,
	`website` text,
	`profile_picture_url` text,
	`account_type` text,
	`login_type` text NOT NULL,
	`page_id` text,
	`followers_count` integer,
	`follows_count` integer,
	`media_count` integer,
	`access_token_enc` text,
	`token_issued_at` integer,
	`token_expires_at` integer,
	`last_refresh_at` integer,
	`last_refresh_error` text,
	`status` text DEFAULT 'active' NOT NULL,
	`status_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`owner`, `id`),
	CONSTRAINT "accounts_status_check" CHECK("status" in ('active', 'needs_reauth', 'disconnected')),
	CONSTRAINT "accounts_login_type_check" CHECK("login_type" in ('instagram', 'facebook'))
);
--> statement-breakpoint
CREATE INDEX `accounts_owner_username_idx` ON `accounts` (`owner`,lower("username"));--> statement-breakpoint
CREATE TABLE `agent_accounts` (
	`owner` text NOT NULL,
	`agent` text NOT NULL,
	`account_id` text NOT NULL,
	`enabled` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`owner`, `agent`, `account_id`),
	FOREIGN KEY (`owner`,`account_id`) REFERENCES `accounts`(`owner`,`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`owner` text NOT NULL,
	`agent` text,
	`account_id` text,
	`action` text NOT NULL,
	`detail_json` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_log_owner_id_idx` ON `audit_log` (`owner`,`id`);--> statement-breakpoint
CREATE TABLE `hashtag_searches` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`owner` text NOT NULL,
	`account_id` text NOT NULL,
	`hashtag` text NOT NULL,
	`hashtag_id` text NOT NULL,
	`searched_at` integer NOT NULL,
	FOREIGN KEY (`owner`,`account_id`) REFERENCES `accounts`(`owner`,`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `hashtag_searches_owner_account_time_idx` ON `hashtag_searches` (`owner`,`account_id`,`searched_at`);--> statement-breakpoint
CREATE TABLE `media` (
	`id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`source` text NOT NULL,
	`local_path` text,
	`url` text,
	`checksum` text,
	`mime_type` text,
	`size_bytes` integer,
	`width` integer,
	`height` integer,
	`duration_ms` integer,
	`used_by_post_id` text,
	`used_at` integer,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	CONSTRAINT "media_source_check" CHECK("source" in ('local', 'url', 'upload'))
);
--> statement-breakpoint
CREATE INDEX `media_owner_idx` ON `media` (`owner`);--> statement-breakpoint
CREATE INDEX `media_expires_idx` ON `media` (`expires_at`);--> statement-breakpoint
CREATE TABLE `oauth_sessions` (
	`state` text PRIMARY KEY NOT NULL,
	`code_verifier_enc` text NOT NULL,
	`login_type` text NOT NULL,
	`owner` text NOT NULL,
	`agent` text NOT NULL,
	`redirect_uri` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`result_json` text,
	`error` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	CONSTRAINT "oauth_sessions_status_check" CHECK("status" in ('pending', 'exchanging', 'completed', 'failed')),
	CONSTRAINT "oauth_sessions_login_type_check" CHECK("login_type" in ('instagram', 'facebook'))
);
--> statement-breakpoint
CREATE INDEX `oauth_sessions_status_expires_idx` ON `oauth_sessions` (`status`,`expires_at`);--> statement-breakpoint
CREATE TABLE `posts` (
	`id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`account_id` text NOT NULL,
	`idempotency_key` text,
	`kind` text NOT NULL,
	`caption` text,
	`options_json` text DEFAULT '{}' NOT NULL,
	`inputs_json` text DEFAULT '[]' NOT NULL,
	`children_json` text DEFAULT '[]' NOT NULL,
	`container_id` text,
	`media_id` text,
	`permalink` text,
	`state` text DEFAULT 'pending' NOT NULL,
	`progress` real DEFAULT 0 NOT NULL,
	`error_code` integer,
	`error_subcode` integer,
	`error_message` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`published_at` integer,
	`expires_at` integer,
	FOREIGN KEY (`owner`,`account_id`) REFERENCES `accounts`(`owner`,`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "posts_kind_check" CHECK("kind" in ('image', 'video', 'carousel', 'reel', 'story')),
	CONSTRAINT "posts_state_check" CHECK("state" in ('pending', 'creating_container', 'uploading', 'processing', 'publishing', 'completed', 'failed')),
	CONSTRAINT "posts_progress_check" CHECK("progress" >= 0 and "progress" <= 1)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `posts_owner_idempotency_key_uq` ON `posts` (`owner`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `posts_owner_account_created_idx` ON `posts` (`owner`,`account_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `posts_state_idx` ON `posts` (`state`);