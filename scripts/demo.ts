/**
 * `npm run demo`: drives the real server through an MCP client, in sandbox mode (the built-in
 * Instagram emulator: nothing reaches a real account). It spawns the server over stdio with a
 * temporary data folder and a media folder holding a few generated photos, connects the demo account,
 * publishes a carousel from the local files with a progress bar, reads it back, and ends with the
 * account's performance report, whose PNG charts it writes to a folder it names.
 *
 * The transcript goes to stdout (this is a script, not the server); the server's own logs stay on its stderr.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = (line = '') => process.stdout.write(`${line}\n`);
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

type ToolResult = { isError: boolean; data: Record<string, unknown>; text: string };

async function makePhoto(file: string, label: string, hue: string): Promise<void> {
  const svg = `<svg width="1080" height="1080" xmlns="http://www.w3.org/2000/svg">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${hue}"/><stop offset="1" stop-color="#1b1b2f"/></linearGradient></defs>
    <rect width="1080" height="1080" fill="url(#g)"/>
    <text x="540" y="560" font-size="120" font-family="sans-serif" fill="white" text-anchor="middle">${label}</text>
  </svg>`;
  writeFileSync(file, await sharp(Buffer.from(svg)).jpeg({ quality: 88 }).toBuffer());
}

function progressBar(percent: number, message: string): string {
  const width = 30;
  const filled = Math.round((percent / 100) * width);
  return `  [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(percent)).padStart(3)}%  ${message}`;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-demo-data-'));
  const mediaDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-demo-media-'));
  const stderr: string[] = [];
  let client: Client | undefined;
  try {
    out(bold('instagram-mcp demo (sandbox: the built-in Instagram emulator, no real account is touched)'));
    out();

    const photos = [
      ['croissant.jpg', 'Croissant', '#d98b3a'],
      ['baguette.jpg', 'Baguette', '#b5651d'],
      ['eclair.jpg', 'Éclair', '#7b3f61'],
    ] as const;
    for (const [name, label, hue] of photos) await makePhoto(path.join(mediaDir, name), label, hue);
    out(`Media folder ${dim(mediaDir)} with ${photos.length} generated photos: ${photos.map((p) => p[0]).join(', ')}`);

    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', path.join(root, 'src/index.ts'), '--sandbox'],
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? os.homedir(),
        INSTAGRAM_MCP_DATA_DIR: dataDir,
        INSTAGRAM_MCP_MEDIA_DIRS: mediaDir,
        INSTAGRAM_MCP_LOG_LEVEL: 'warn',
        INSTAGRAM_MCP_OWNER: 'demo',
      },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    client = new Client({ name: 'instagram-mcp-demo', version: '1.0.0' });
    await client.connect(transport);
    const server = client.getServerVersion();
    const { tools } = await client.listTools();
    out(`Connected to ${bold(`${server?.name} ${server?.version}`)} over stdio: ${tools.length} tools.`);
    out();

    const call = async (name: string, args: Record<string, unknown>, onprogress?: (p: { progress: number; total?: number; message?: string }) => void): Promise<ToolResult> => {
      out(`${bold('→')} ${name} ${dim(JSON.stringify(args))}`);
      const result = await client!.callTool({ name, arguments: args }, undefined, { onprogress, resetTimeoutOnProgress: true, timeout: 180_000 });
      const text = Array.isArray(result.content) && result.content[0] && 'text' in result.content[0] ? String(result.content[0].text) : '';
      const data = (result.structuredContent ?? {}) as Record<string, unknown>;
      if (result.isError) throw new Error(`${name} failed: ${text}`);
      return { isError: false, data, text };
    };

    // 1. Connect the demo account (in sandbox mode the emulator approves the login in place of a browser).
    const auth = await call('instagram_authenticate', {});
    const account = (auth.data.connected as Array<{ username: string; id: string; followers_count: number | null }>)[0]!;
    out(`  connected @${account.username} (id ${account.id}, ${account.followers_count ?? '?'} followers)`);
    out();

    // 2. Publish a carousel from the local files, with a progress bar fed by MCP progress notifications.
    let lastLine = '';
    const tty = process.stdout.isTTY;
    const created = await call(
      'instagram_create_post',
      {
        media: photos.map(([name]) => ({ source: path.join(mediaDir, name), alt_text: `Photo of the ${name.replace('.jpg', '')} on the counter` })),
        caption: 'Fresh from the oven this morning 🥐 #bakery #sandbox',
        idempotency_key: 'demo-carousel-1',
      },
      (p) => {
        const line = progressBar(p.total ? (p.progress / p.total) * 100 : p.progress, p.message ?? '');
        if (tty) process.stdout.write(`\r${line.padEnd(lastLine.length)}`);
        else if (line !== lastLine) out(line);
        lastLine = line;
      },
    );
    if (tty) process.stdout.write('\n');
    const post = created.data as { post_id: string; state: string; media_id: string | null; permalink: string | null; next_step: string; children?: unknown[] };
    out(`  post ${post.post_id}: ${bold(post.state)}, media ${post.media_id ?? '-'}, ${post.children?.length ?? 0} items`);
    out(`  ${post.next_step}`);
    out();

    // 3. Read it back.
    const status = await call('instagram_post_status', { post_id: post.post_id });
    const s = status.data as { state: string; permalink: string | null; published_at: string | null; resource_uri: string };
    out(`  state ${bold(s.state)}, published ${s.published_at}, permalink ${bold(s.permalink ?? '(not yet)')}`);
    out(`  resource ${s.resource_uri}`);
    out();

    if (tools.some((t) => t.name === 'instagram_get_posts')) {
      const recent = await call('instagram_get_posts', { limit: 3 });
      for (const item of (recent.data.posts as Array<{ id: string; media_type: string | null; caption: unknown; permalink: string | null; children_count?: number }>) ?? []) {
        const caption = typeof item.caption === 'string' ? item.caption : JSON.stringify(item.caption ?? '');
        out(`  ${item.id === post.media_id ? bold('*') : ' '} ${item.media_type ?? '?'}${item.children_count ? ` (${item.children_count})` : ''}  ${item.permalink ?? ''}  ${dim(caption.slice(0, 50))}`);
      }
      out();
    }

    const limit = await call('instagram_get_publishing_limit', {});
    out(`  ${limit.data.next_step as string}`);
    out();

    // 4. The same idempotency key again: the first post comes back, nothing new is published.
    const replay = await call('instagram_create_post', { media: photos.map(([name]) => path.join(mediaDir, name)), idempotency_key: 'demo-carousel-1' });
    out(`  same post ${replay.data.post_id === post.post_id ? 'returned' : 'NOT returned'}: ${replay.data.next_step as string}`);
    out();

    // 5. How did the account do? The performance report: rows for the agent, PNG charts for the person.
    if (tools.some((t) => t.name === 'instagram_performance_report')) {
      out(`${bold('→')} instagram_performance_report ${dim(JSON.stringify({ period: '30d' }))}`);
      const report = await client.callTool({ name: 'instagram_performance_report', arguments: { period: '30d' } }, undefined, { timeout: 180_000 });
      const blocks = Array.isArray(report.content) ? (report.content as Array<{ type: string; text?: string; data?: string; mimeType?: string }>) : [];
      if (report.isError) throw new Error(`instagram_performance_report failed: ${blocks[0]?.text ?? ''}`);
      const r = report.structuredContent as { accounts: Array<{ account: { username: string }; posts_total: number; totals: Record<string, { current: number | null; change: number | null }>; top_posts: Array<{ published_at: string; format: string; engagement_rate: number | null }>; best_hours: Array<{ weekday: string; hour: number }> }>; charts: Array<{ name: string; path: string }>; time_zone: string };
      const pct = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${(v * 100).toFixed(1)}%`);
      for (const a of r.accounts) {
        out(`  @${a.account.username}: ${a.posts_total} posts, reach ${a.totals.reach?.current ?? 'n/a'} (${pct(a.totals.reach?.change)} vs the 30 days before), engagement rate ${pct(a.totals.engagement_rate?.current)}`);
        const top = a.top_posts[0];
        if (top) out(`  best post: ${top.format.toLowerCase()} of ${top.published_at.slice(0, 10)} at ${pct(top.engagement_rate)}; best hours (${r.time_zone}): ${a.best_hours.slice(0, 3).map((b) => `${b.weekday} ${String(b.hour).padStart(2, '0')}:00`).join(', ')}`);
      }
      // The server wrote the charts under its data folder (removed when the demo ends): keep the image blocks it sent.
      const chartDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-demo-charts-'));
      const images = blocks.filter((b) => b.type === 'image' && b.data);
      images.forEach((b, i) => {
        const file = path.join(chartDir, `${r.charts[i]?.name ?? `chart_${i}`}.png`);
        writeFileSync(file, Buffer.from(b.data!, 'base64'));
        out(`  chart image written to ${bold(file)}`);
      });
      out(`  ${images.length} PNG chart(s) came as MCP image blocks; the server wrote them to ${dim(r.charts[0] ? path.dirname(r.charts[0].path) : '-')}`);
      out();
    }
    out(bold('Done.'));
  } catch (err) {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    if (stderr.length) process.stderr.write(`server stderr:\n${stderr.join('')}\n`);
    process.exitCode = 1;
  } finally {
    await client?.close().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(mediaDir, { recursive: true, force: true });
  }
}

void main();
