ALTER TABLE `posts` ADD `lease_owner` text;--> statement-breakpoint
ALTER TABLE `posts` ADD `lease_generation` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `posts` ADD `lease_expires_at` integer;