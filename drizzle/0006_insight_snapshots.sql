CREATE TABLE `insight_snapshots` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`owner` text NOT NULL,
	`account_id` text NOT NULL,
	`media_id` text NOT NULL,
	`post_id` text,
	`label` text NOT NULL,
	`captured_at` integer NOT NULL,
	`rows_json` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `insight_snapshots_media_label_uq` ON `insight_snapshots` (`media_id`,`label`);--> statement-breakpoint
CREATE INDEX `insight_snapshots_owner_media_idx` ON `insight_snapshots` (`owner`,`media_id`);