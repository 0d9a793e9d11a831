/**
 * What every conversation pays for: the tools/list answer and the instructions. The listing is
 * checked in (tools.snapshot.json): a change to a tool's name, description, annotations or schemas
 * fails here until it is reviewed and the snapshot updated (`npx vitest run tests/integration/contract -u`).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { TOOLSETS, loadConfig, type Toolset } from '../../../src/config.js';
import { createServer } from '../../../src/server.js';
import { allTools } from '../../../src/tools/index.js';
import { connectClient } from '../../helpers/client.js';

/** The goal of the client-contract issue: its 21 tools' tools/list answer in at most 25 KB. */
const MAX_TOOLS_LIST_BYTES = 25_000;
const CONTRACT_TOOLS = [
  'instagram_accounts', 'instagram_authenticate', 'instagram_disconnect', 'instagram_set_account_enabled', 'instagram_create_post', 'instagram_create_reel',
  'instagram_create_story', 'instagram_post_status', 'instagram_get_publishing_limit', 'instagram_upload_media', 'instagram_get_posts', 'instagram_get_post',
  'instagram_get_insights', 'instagram_get_comments', 'instagram_reply_comment', 'instagram_moderate_comment', 'instagram_set_comments_enabled',
  'instagram_post_comment', 'instagram_search_hashtag', 'instagram_business_discovery', 'instagram_get_rate_limits',
];
/**
 * The scheduling tools (issue #13) came after that goal: the full listing is held to this, so a new
 * tool still has to earn its bytes (about 1 KB each). instagram_performance_report (issue #15): 1,137 B
 * (1,275 B with its MCP App link); instagram_preview_post (issue #15): 1,886 B, as it takes create_post's
 * media shape; create_post's `preview` switch: about 150 B.
 */
const MAX_FULL_TOOLS_LIST_BYTES = 31_200;

async function listWith(env: Record<string, string>) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-listing-'));
  try {
    const config = loadConfig({ INSTAGRAM_MCP_DATA_DIR: dataDir, INSTAGRAM_APP_ID: '1234', INSTAGRAM_APP_SECRET: 'x'.repeat(32), ...env }, {});
    // tools/list never waits for the App: a handle whose App is never built is enough.
    const { server } = createServer({ config, ready: new Promise(() => {}) });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(b);
    const client = await connectClient(a, 'listing');
    const listed = await client.listTools();
    const instructions = client.getInstructions() ?? '';
    await client.close();
    return { tools: listed.tools, bytes: JSON.stringify(listed).length, instructions };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('tools/list', () => {
  it('matches the reviewed snapshot of every tool (name, title, description, annotations, schemas)', async () => {
    const { tools, instructions } = await listWith({});
    await expect(`${JSON.stringify(tools, null, 2)}\n`).toMatchFileSnapshot('./tools.snapshot.json');
    await expect(`${instructions}\n`).toMatchFileSnapshot('./instructions.snapshot.txt');
  });

  it(`stays within ${MAX_TOOLS_LIST_BYTES} bytes for the contract issue's 21 tools, and ${MAX_FULL_TOOLS_LIST_BYTES} for all`, async () => {
    const { bytes, tools } = await listWith({});
    expect(tools.length).toBe(allTools.length);
    expect(bytes).toBeLessThanOrEqual(MAX_FULL_TOOLS_LIST_BYTES);
    const contract = tools.filter((t) => CONTRACT_TOOLS.includes(t.name));
    expect(contract).toHaveLength(21);
    expect(JSON.stringify({ tools: contract }).length).toBeLessThanOrEqual(MAX_TOOLS_LIST_BYTES);
  });

  it('declares repeated parts once and states every annotation', async () => {
    const { tools } = await listWith({});
    for (const tool of tools) {
      const text = JSON.stringify(tool.inputSchema);
      // A repeated object of any size would show up twice in the text: shared $defs avoid that.
      expect(text.split('"source":').length - 1, `${tool.name} repeats the media item schema`).toBeLessThanOrEqual(1);
      expect(tool.inputSchema.additionalProperties, `${tool.name} accepts unknown arguments`).toBe(false);
      expect(Object.keys(tool.annotations ?? {}).sort()).toEqual(['destructiveHint', 'idempotentHint', 'openWorldHint', 'readOnlyHint']);
      expect(tool.outputSchema?.type).toBe('object');
    }
  });

  const modes: Array<[string, Record<string, string>]> = [
    ['read-only mode', { INSTAGRAM_MCP_READ_ONLY: '1' }],
    ...TOOLSETS.map((t: Toolset): [string, Record<string, string>] => [`only the ${t} toolset`, { INSTAGRAM_MCP_TOOLSETS: t }]),
  ];
  for (const [mode, env] of modes) {
    it(`names in its instructions only tools that exist in ${mode}`, async () => {
      const { tools, instructions } = await listWith(env);
      const served = new Set(tools.map((t) => t.name));
      const named = new Set(instructions.match(/instagram_[a-z_]+/g) ?? []);
      for (const name of named) expect(served.has(name), `${mode}: instructions name ${name}`).toBe(true);
      if (env.INSTAGRAM_MCP_READ_ONLY) {
        expect(tools.every((t) => t.annotations?.readOnlyHint)).toBe(true);
        expect(instructions).toMatch(/instagram_get_posts/);
      }
    });
  }
});
