/**
 * The layer check (eslint.config.js, `npm run lint`, part of `npm test`) fails on an import that runs
 * up a layer and on an import cycle, and lets a correct import through. Each case lints source text as
 * if it were a file under src/ (ESLint's lintText with a filePath), so nothing is written to src/.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

/** The messages ESLint reports for `code` placed at `filePath` (relative to the repository root). */
async function lint(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, filePath) });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layer check', () => {
  it('runs in npm test, before the build and the tests', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.lint).toBe('eslint src && eslint -c eslint.promises.config.js src');
    expect(pkg.scripts.test).toMatch(/npm run typecheck && npm run lint && npm run build && vitest run/);
  });

  it('reports a service that imports the MCP layer, even for a type only', async () => {
    const messages = await lint('src/services/fake.ts', "import type { ToolContext } from '../mcp/context.js';\nexport type Context = ToolContext;\n");
    expect(messages).toEqual([expect.stringMatching(/^import-x\/no-restricted-paths: .*"\.\.\/mcp\/context\.js".*services may import only/)]);
  });

  it('reports a service that imports server.ts, a transport, the sandbox or the emulator', async () => {
    for (const target of ['../server.js', '../transports/http.js', '../sandbox.js', '../emulator/index.js']) {
      const messages = await lint('src/services/fake.ts', `import * as upper from '${target}';\nexport const x = upper;\n`);
      expect(messages, target).toEqual([expect.stringContaining('import-x/no-restricted-paths')]);
    }
  });

  it('reports the Graph client reaching into the store, by dynamic import too', async () => {
    const messages = await lint('src/instagram/fake.ts', "export const store = () => import('../store/index.js');\n");
    expect(messages).toEqual([expect.stringMatching(/no-restricted-paths: .*instagram may import only instagram, foundation/)]);
  });

  it('reports config.ts (the foundation) importing store/', async () => {
    const messages = await lint('src/config.ts', "export { ensureDataDir } from './store/dataDir.js';\n");
    expect(messages).toEqual([expect.stringMatching(/no-restricted-paths: .*foundation may import only foundation/)]);
  });

  it('reports an import cycle', async () => {
    // store/index.ts imports its repositories; one of them importing the index back closes a cycle.
    const index = readFileSync(path.join(root, 'src/store/index.ts'), 'utf8');
    const repository = /^import .* from '\.\/(\w+)\.js';$/m.exec(index)?.[1];
    expect(repository, 'store/index.ts imports a module of its own folder').toBeTruthy();
    const messages = await lint(`src/store/${repository}.ts`, "import { openStore } from './index.js';\nexport const open = openStore;\n");
    expect(messages).toContain('import-x/no-cycle: Dependency cycle detected');
  });

  it('reports an import it cannot resolve (it would slip past the layer zones)', async () => {
    expect(await lint('src/services/fake.ts', "import '../no/such/module.js';\n")).toEqual([expect.stringContaining('import-x/no-unresolved')]);
  });

  it('lets imports that point down through', async () => {
    const code = [
      "import { AppError } from '../errors.js';",
      "import type { Store } from '../store/index.js';",
      "import type { GraphHttp } from '../instagram/http.js';",
      "import { AccountService } from './accounts.js';",
      'export type Deps = { store: Store; graph: GraphHttp; accounts: AccountService; error: AppError };',
      '',
    ].join('\n');
    expect(await lint('src/services/fake.ts', code)).toEqual([]);
    expect(await lint('src/tools/fake.ts', "import { defineTool } from '../mcp/tool.js';\nimport type { AccountService } from '../services/accounts.js';\nexport type T = [typeof defineTool, AccountService];\n")).toEqual([]);
  });
});
