// The layers of ARCHITECTURE.md (drawn in the README's Development section), checked by `npm run lint`
// (part of `npm test`). Every import of a file under src/ — `import type` and dynamic `import()`
// included, since a layer must not even know an upper layer's types — may point only at its own layer
// or a layer it uses; and no import cycle anywhere. tests/unit/lint.test.ts shows both rules failing.
import { defineConfig } from 'eslint/config';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * Each layer: its files (globs under src/) and the layers it may import. Dependencies point down:
 *
 *   index.ts (CLI) → transports/ → server.ts → tools/ → services/ → jobs/, instagram/, store/, media/
 *   mcp/ (protocol plumbing) is used by tools/, server.ts and transports/, never by services/ or below.
 *   apps/ (the MCP Apps views and their ui:// resources) is used by tools/, mcp/ and server.ts.
 *   app.ts, the composition root, builds the services; transports/ and server.ts take the App it returns.
 *   emulator/ is a second Instagram: only sandbox.ts (sandbox mode, started by app.ts) imports it.
 *   The foundation (clock, config, errors, json, log, paths) is used by every layer and imports only itself.
 *
 * A layer may skip layers below it (tools/ may read a constant of store/); it never points up.
 */
const layers = {
  cli: { files: ['index.ts'], uses: ['transports', 'foundation'] },
  transports: { files: ['transports/**'], uses: ['server', 'mcp', 'apps', 'app', 'services', 'jobs', 'instagram', 'store', 'media', 'foundation'] },
  server: { files: ['server.ts'], uses: ['tools', 'mcp', 'apps', 'app', 'foundation'] },
  tools: { files: ['tools/**'], uses: ['mcp', 'apps', 'services', 'jobs', 'instagram', 'store', 'media', 'foundation'] },
  // mcp/context.ts turns the App into each call's ToolContext (the services and the caller).
  mcp: { files: ['mcp/**'], uses: ['apps', 'app', 'services', 'jobs', 'instagram', 'store', 'media', 'foundation'] },
  // The one upward edge, on purpose: the composition root creates the OAuth callback listener (an HTTP
  // listener, so it lives in transports/) and injects it into the accounts service. That module
  // imports nothing above app.ts (callbackListenerZone below), so no cycle can form through it.
  app: { files: ['app.ts'], uses: ['services', 'jobs', 'instagram', 'store', 'media', 'sandbox', 'foundation'], alsoAllowed: ['transports/callbackListener.ts'] },
  sandbox: { files: ['sandbox.ts'], uses: ['emulator', 'foundation'] },
  services: { files: ['services/**'], uses: ['jobs', 'instagram', 'store', 'media', 'foundation'] },
  jobs: { files: ['jobs/**'], uses: ['store', 'foundation'] },
  instagram: { files: ['instagram/**'], uses: ['foundation'] },
  store: { files: ['store/**'], uses: ['foundation'] },
  media: { files: ['media/**'], uses: ['foundation'] },
  emulator: { files: ['emulator/**'], uses: ['foundation'] },
  // MCP Apps: the views (browser code, bundled on first read) and their ui:// resources.
  apps: { files: ['apps/**'], uses: ['foundation'] },
  // Every other file at the top of src/.
  foundation: { files: ['!(index|server|app|sandbox).ts'], uses: [] },
};

// The rule wants a zone's `from` all globs or all plain paths: a single file is written as the extglob
// `@(name).ts`, which matches that file only.
const src = (glob) => `src/${/[*?{}()!]/.test(glob) ? glob : glob.replace(/([^/]+)\.ts$/, '@($1).ts')}`;
// Unlike target and from, the rule matches `except` globs as written, so they must be absolute.
const absolute = (glob) => `${import.meta.dirname}/${src(glob)}`;

/** One zone per layer: its files may import nothing of the layers it does not use. */
const layerZones = Object.entries(layers).map(([name, layer]) => ({
  target: layer.files.map(src),
  from: Object.keys(layers)
    .filter((other) => other !== name && !layer.uses.includes(other))
    .flatMap((other) => layers[other].files.map(src)),
  except: (layer.alsoAllowed ?? []).map(absolute),
  message: `${name} may import only ${[name, ...layer.uses].join(', ')} (the layers: README.md, Development).`,
}));

const callbackListenerZone = {
  target: [src('transports/callbackListener.ts')],
  from: ['index.ts', 'transports/!(callbackListener).ts', 'server.ts', 'tools/**', 'mcp/**', 'app.ts'].map(src),
  message: 'transports/callbackListener.ts is created by app.ts: it may import only services/ (their types) and the foundation.',
};

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  {
    files: ['src/**/*.ts'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
    plugins: { 'import-x': importX, '@typescript-eslint': tseslint.plugin },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
      // Without these, no-cycle cannot read the .ts files it walks through, and silently finds no cycle.
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: [...layerZones, callbackListenerZone] }],
      // The rule skips type-only imports (they leave no runtime cycle). A type cycle across layers is
      // still impossible, since the zones above forbid every import, type or not, that points up; what
      // is left unchecked is a type-only cycle between two files of the same layer.
      'import-x/no-cycle': ['error', { maxDepth: '∞', ignoreExternal: true }],
      // A relative import the resolver cannot follow would slip past the zones unseen. (Packages are
      // left to tsc: this resolver does not follow every subpath export of the MCP SDK.)
      'import-x/no-unresolved': ['error', { ignore: ['^[^.]'] }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
);
