-- Custom migration: the tables' own role (the one the server connects as, which created them) is
-- subject to the owner policies too. Without FORCE, PostgreSQL exempts a table's owner from its policies.
ALTER TABLE "accounts" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "oauth_sessions" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "agent_accounts" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "media" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "posts" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "audit_log" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "hashtag_searches" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "unlinked_facebook_pages" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "jobs" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "insight_snapshots" FORCE ROW LEVEL SECURITY;
