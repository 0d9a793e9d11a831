CREATE TABLE "rate_limit_blocks" (
	"key" text PRIMARY KEY NOT NULL,
	"until" bigint NOT NULL,
	"updated_at" bigint NOT NULL
);
