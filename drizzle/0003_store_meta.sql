CREATE TABLE `store_meta` (
	`name` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
