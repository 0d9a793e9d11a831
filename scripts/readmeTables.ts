/**
 * The README's tool, configuration and publishing-state tables, generated from the code (`npm run docs`
 * rewrites them; a test fails when they drift).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SETTINGS, TOOLSETS } from '../src/config.js';
import { stateTableMarkdown } from '../src/services/publishing/stateTable.js';
import { allTools } from '../src/tools/index.js';
import type { ToolDefinition } from '../src/mcp/tool.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function argumentList(tool: ToolDefinition): string {
  const shape = tool.input.shape as Record<string, { isOptional(): boolean }>;
  const names = Object.entries(shape).map(([name, schema]) => (schema.isOptional() ? name : `**${name}**`));
  return names.length ? names.join(', ') : '—';
}

export function toolsTable(): string {
  const lines = [
    '| Tool | Toolset | What it does | Arguments (required in bold) | Writes |',
    '|---|---|---|---|---|',
    ...allTools.map(
      (t) =>
        `| \`${t.name}\` | ${t.toolset} | ${cell(t.description)} | ${argumentList(t)} | ${t.annotations.readOnlyHint ? 'no' : t.annotations.destructiveHint ? 'yes (destructive)' : 'yes'} |`,
    ),
  ];
  return `Toolsets: ${TOOLSETS.map((t) => `\`${t}\``).join(', ')} (select with \`INSTAGRAM_MCP_TOOLSETS\`; \`INSTAGRAM_MCP_READ_ONLY=1\` removes every tool that writes).\n\n${lines.join('\n')}`;
}

export function settingsTable(): string {
  return ['| Setting | Meaning and default |', '|---|---|', ...Object.entries(SETTINGS).map(([name, text]) => `| \`${name}\` | ${cell(text)} |`)].join('\n');
}

export function renderBlocks(readme: string): string {
  const replace = (text: string, name: string, body: string) =>
    text.replace(new RegExp(`<!-- ${name}:start -->[\\s\\S]*?<!-- ${name}:end -->`), `<!-- ${name}:start -->\n${body}\n<!-- ${name}:end -->`);
  return replace(replace(replace(readme, 'tools', toolsTable()), 'settings', settingsTable()), 'states', stateTableMarkdown());
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const file = path.join(import.meta.dirname, '..', 'README.md');
  writeFileSync(file, renderBlocks(readFileSync(file, 'utf8')));
}
