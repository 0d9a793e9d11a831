import { defineConfig } from 'drizzle-kit';

// `npm run db:generate:pg` turns src/store/pg/schema.ts into the PostgreSQL migrations in drizzle-pg/.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/pg/schema.ts',
  out: './drizzle-pg',
  strict: true,
  verbose: true,
});
