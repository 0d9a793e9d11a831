CREATE TABLE `rate_limit_blocks` (
	`key` text PRIMARY KEY NOT NULL,
	`until` integer NOT NULL,
	`updated_at` integer NOT NULL
);
