CREATE TABLE `unlinked_facebook_pages` (
	`owner` text NOT NULL,
	`page_id` text NOT NULL,
	`name` text NOT NULL,
	`seen_at` integer NOT NULL,
	PRIMARY KEY(`owner`, `page_id`)
);
