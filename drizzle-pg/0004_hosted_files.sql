CREATE TABLE "hosted_files" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"mime_type" text NOT NULL,
	"path" text NOT NULL,
	"identity" text NOT NULL,
	"expires_at" bigint NOT NULL
);
