CREATE TABLE `auth_records` (
	`kind` text NOT NULL,
	`id_hash` text NOT NULL,
	`payload_enc` text NOT NULL,
	`grant_id` text,
	`uid_hash` text,
	`user_code_hash` text,
	`expires_at` integer,
	`consumed_at` integer,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`kind`, `id_hash`)
);
--> statement-breakpoint
CREATE INDEX `auth_records_grant_idx` ON `auth_records` (`grant_id`);--> statement-breakpoint
CREATE INDEX `auth_records_kind_uid_idx` ON `auth_records` (`kind`,`uid_hash`);--> statement-breakpoint
CREATE INDEX `auth_records_expires_idx` ON `auth_records` (`expires_at`);