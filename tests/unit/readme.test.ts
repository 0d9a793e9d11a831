import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderBlocks } from '../../scripts/readmeTables.js';
import { SETTINGS } from '../../src/config.js';

describe('README', () => {
  it('holds the tool, settings and publishing-state tables generated from the code (run npm run docs after changing them)', () => {
    const readme = readFileSync(path.join(import.meta.dirname, '../../README.md'), 'utf8');
    for (const block of ['tools', 'settings', 'states']) expect(readme).toContain(`<!-- ${block}:start -->`);
    expect(renderBlocks(readme)).toBe(readme);
  });

  it('ships mcp.config.json as a ready MCP client entry for this server, matching the README', () => {
    const config = JSON.parse(readFileSync(path.join(import.meta.dirname, '../../mcp.config.json'), 'utf8'));
    const entry = config.mcpServers.instagram;
    expect(entry.command).toBe('node');
    expect(entry.args[0]).toMatch(/dist\/index\.js$/);
    for (const name of Object.keys(entry.env)) expect(Object.keys(SETTINGS)).toContain(name);
    const readme = readFileSync(path.join(import.meta.dirname, '../../README.md'), 'utf8');
    expect(readme).toContain('"args": ["/absolute/path/to/instagram-mcp/dist/index.js"]');
  });
});
