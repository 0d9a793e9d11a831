// The promise rules, which need type information (`npm run lint` runs them after the layer check; kept
// apart so the layer check stays fast and tests/unit/lint.test.ts can lint made-up files). The store and
// most services are asynchronous: a write nobody awaits runs out of order and loses its error, a promise
// in a condition is always true, and `return promise` inside try lets its rejection escape the catch.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  {
    files: ['src/**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { project: ['./tsconfig.json', './tsconfig.apps.json'], tsconfigRootDir: import.meta.dirname } },
    plugins: { '@typescript-eslint': tseslint.plugin },
    // Directives written for eslint.config.js's rules are not this config's business.
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
    },
  },
);
