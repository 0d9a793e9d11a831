CREATE TABLE "auth_records" (
	"kind" text NOT NULL,
	"id_hash" text NOT NULL,
	"payload_enc" text NOT NULL,
	"grant_id" text,
	"uid_hash" text,
	"user_code_hash" text,
	"expires_at" bigint,
	"consumed_at" bigint,
	"created_at" bigint NOT NULL,
	CONSTRAINT "auth_records_pk" PRIMARY KEY("kind","id_hash")
);
--> statement-breakpoint
CREATE INDEX "auth_records_grant_idx" ON "auth_records" USING btree ("grant_id");--> statement-breakpoint
CREATE INDEX "auth_records_kind_uid_idx" ON "auth_records" USING btree ("kind","uid_hash");--> statement-breakpoint
CREATE INDEX "auth_records_expires_idx" ON "auth_records" USING btree ("expires_at");