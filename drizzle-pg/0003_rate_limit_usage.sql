CREATE TABLE "rate_limit_usage" (
	"key" text PRIMARY KEY NOT NULL,
	"observed_at" bigint NOT NULL,
	"usage_json" text NOT NULL
);
