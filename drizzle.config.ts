import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` turns src/store/schema.ts into SQL migrations in drizzle/, applied at start-up.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/store/schema.ts',
  out: './drizzle',
  strict: true,
  verbose: true,
});
