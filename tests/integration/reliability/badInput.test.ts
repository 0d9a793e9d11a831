/**
 * Bad-input suite: every tool (iterated from `allTools`, so new tools are covered) gets malformed and
 * hostile arguments derived from its input schema — wrong types, missing required fields, numbers out
 * of range, 1 MB strings, control characters, NUL bytes and lone surrogates in every string slot —
 * plus hostile values where they mean something: unknown accounts, path traversal and symlinks out of
 * the media folders, private and loopback URLs, injection-looking ids. Each must be an error naming the
 * field or the problem, refused before anything reaches Instagram; afterwards the server still answers
 * and the database is intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { AddressInfo } from 'node:net';
import { allTools } from '../../../src/tools/index.js';
import type { ToolDefinition } from '../../../src/mcp/tool.js';
import { startHarness, type CallOutcome, type Harness } from '../../helpers/harness.js';
import { jpeg, writeMedia } from '../publishing/helpers.js';
import {
  BAD_TEXT,
  HUGE,
  INJECTIONS,
  branches,
  inputSchema,
  isMediaArgument,
  requiredArgs,
  stringSlots,
  wrongTypeValue,
} from './schemaCases.js';
import { testToken } from '../../helpers/secrets.js';

const IG_SHORT_TOKEN = testToken('IGAA', 'abcdefghijklmnop', 20);
const IG_TOKEN_HEAD = testToken('IGAA', 'abcdefghijklmnopqrstu', 25);
const IG_ASCII_TOKEN = testToken('IGAA', 'abcdefghijklmnopqrstuvwxyz', 30);

const tools = allTools as ToolDefinition[];
const schemas = new Map(tools.map((t) => [t.name, inputSchema(t)]));
const props = (tool: ToolDefinition) => Object.entries(schemas.get(tool.name)!.properties ?? {});

/**
 * How an error may name a field besides its own name. Known quirk (reported, publisher's to change):
 * the reel's `video` argument is called `media` in its validation messages.
 */
const ALIASES: Record<string, string[]> = {};
const names = (text: string, field: string) => [field, ...(ALIASES[field] ?? [])].some((n) => text.includes(n));

/** Collects every problem of a sweep so one run lists them all. */
class Problems {
  readonly list: string[] = [];
  add(what: string, outcome: CallOutcome | undefined, why: string): void {
    this.list.push(`${what}: ${why}${outcome ? ` — got ${outcome.isError ? 'error' : 'success'}: ${outcome.text.slice(0, 240).replace(/\s+/g, ' ')}` : ''}`);
  }
}

/** Calls a tool; a protocol-level refusal (thrown McpError) counts as an error result. */
async function attempt(h: Harness, name: string, args: unknown): Promise<CallOutcome> {
  try {
    return await h.call(name, args as Record<string, unknown>);
  } catch (err) {
    return { isError: true, data: undefined, text: err instanceof Error ? err.message : String(err) };
  }
}

function tableCounts(file: string): Record<string, number> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const names = (db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%'").all() as Array<{ name: string }>).map((r) => r.name);
    return Object.fromEntries(names.map((n) => [n, (db.prepare(`select count(*) as c from "${n}"`).get() as { c: number }).c]));
  } finally {
    db.close();
  }
}

const nonGet = (h: Harness) => h.emulator.requestLog().filter((r) => r.method !== 'GET');
const describeRequests = (h: Harness) => h.emulator.requestLog().map((r) => `${r.method} ${r.path}`).join(', ');

describe('bad input to every tool', () => {
  let h: Harness;
  let outside: string;
  let business: string;
  let facebook: string;
  let seeded: { postId: string; mediaId: string; referenceId: string; commentId: string };
  let countsBefore: Record<string, number>;
  const dbFile = () => path.join(h.dataDir, 'instagram-mcp.sqlite');

  /** Schema-valid, meaningful values for required fields, so a call gets as far as the field under test. */
  function plausible(name: string): unknown {
    switch (name) {
      case 'id':
      case 'media_id':
        return seeded.mediaId;
      case 'post_id':
        return seeded.postId;
      case 'comment_id':
        return seeded.commentId;
      case 'message':
        return 'Looks great!';
      case 'hashtag':
        return 'coffee';
      case 'username':
        return 'some_brand';
      case 'enabled':
        return true;
      default:
        return undefined;
    }
  }

  function baseArgs(tool: ToolDefinition, opts: { account?: string; optional?: boolean } = {}): Record<string, unknown> {
    const schema = schemas.get(tool.name)!;
    const args = requiredArgs(schema);
    for (const key of opts.optional ? Object.keys(schema.properties ?? {}) : Object.keys(args)) {
      const value = plausible(key);
      if (value !== undefined) args[key] = value;
    }
    if (schema.properties?.['account']) {
      const discovery = 'hashtag' in (schema.properties ?? {}) || 'username' in (schema.properties ?? {});
      args['account'] = opts.account ?? (discovery ? facebook : business);
    }
    return args;
  }

  beforeAll(async () => {
    h = await startHarness();
    await h.connectAccount('business');
    await h.connectAccount('facebook');
    business = h.emulator.users.instagramBusiness.id;
    facebook = h.emulator.users.facebookInstagram.id;

    // Seed real rows: a published post, a registered reference, a comment.
    const photo = writeMedia(h, 'photo.jpg', await jpeg(1080, 1080));
    writeMedia(h, 'second.jpg', await jpeg(1080, 1350, '#c08030'));
    const post = await h.call('instagram_create_post', { account: business, media: photo, caption: 'Seed post', wait_seconds: 120 });
    expect(post.data?.state, post.text).toBe('completed');
    const ref = await h.call('instagram_upload_media', { source: 'second.jpg' });
    expect(ref.isError, ref.text).toBe(false);
    const comment = await h.call('instagram_post_comment', { account: business, media_id: post.data.media_id, message: 'First!' });
    expect(comment.isError, comment.text).toBe(false);
    seeded = { postId: post.data.post_id, mediaId: post.data.media_id, referenceId: ref.data.reference_id, commentId: comment.data.comment_id };

    // Things just outside the media folder, and ways of pointing at them from inside it.
    outside = mkdtempSync(path.join(os.tmpdir(), 'igmcp-outside-'));
    writeFileSync(path.join(outside, 'outside.jpg'), await jpeg(1080, 1080, '#ff0000'));
    symlinkSync(path.join(outside, 'outside.jpg'), path.join(h.mediaDir, 'escape.jpg'));
    symlinkSync('/etc/passwd', path.join(h.mediaDir, 'passwd.jpg'));
    symlinkSync(outside, path.join(h.mediaDir, 'linked-dir'));
    symlinkSync('/dev/zero', path.join(h.mediaDir, 'zero.jpg'));
    mkdirSync(path.join(h.mediaDir, 'folder.jpg'));
    try {
      execFileSync('mkfifo', [path.join(h.mediaDir, 'pipe.jpg')]);
    } catch {
      // No mkfifo here: the FIFO case is simply not exercised.
    }

    countsBefore = tableCounts(dbFile());
    expect(countsBefore['accounts']).toBe(2);
    expect(countsBefore['posts']).toBe(1);
    h.emulator.clearLog();
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    if (outside) rmSync(outside, { recursive: true, force: true });
  });

  it('refuses arguments of the wrong type, naming the field, without calling Instagram', async () => {
    const problems = new Problems();
    for (const tool of tools) {
      for (const [name, schema] of props(tool)) {
        const args = { ...baseArgs(tool), [name]: wrongTypeValue(schema) };
        const r = await attempt(h, tool.name, args);
        if (!r.isError) problems.add(`${tool.name}.${name}=${JSON.stringify(args[name])}`, r, 'accepted');
        else if (!r.text.includes(name)) problems.add(`${tool.name}.${name}`, r, `error does not name '${name}'`);
      }
    }
    expect(problems.list).toEqual([]);
    expect(h.emulator.requestLog(), describeRequests(h)).toEqual([]);
  });

  it('refuses a missing required field, naming it', async () => {
    const problems = new Problems();
    let checked = 0;
    for (const tool of tools) {
      for (const name of schemas.get(tool.name)!.required ?? []) {
        const args = baseArgs(tool);
        delete args[name];
        const r = await attempt(h, tool.name, args);
        checked++;
        if (!r.isError) problems.add(`${tool.name} without ${name}`, r, 'accepted');
        else if (!r.text.includes(name)) problems.add(`${tool.name} without ${name}`, r, `error does not name '${name}'`);
      }
    }
    expect(checked).toBeGreaterThan(10);
    expect(problems.list).toEqual([]);
    expect(h.emulator.requestLog(), describeRequests(h)).toEqual([]);
  });

  it('refuses numbers out of range and fractions where whole numbers are expected', async () => {
    const problems = new Problems();
    for (const tool of tools) {
      for (const [name, schema] of props(tool)) {
        for (const b of branches(schema)) {
          if (b.type !== 'integer' && b.type !== 'number') continue;
          const values = [
            ...(b.minimum !== undefined ? [b.minimum - 1] : []),
            ...(b.maximum !== undefined ? [b.maximum + 1, 1e308] : []),
            ...(b.type === 'integer' ? [1.5] : []),
          ];
          for (const value of values) {
            const r = await attempt(h, tool.name, { ...baseArgs(tool), [name]: value });
            if (!r.isError) problems.add(`${tool.name}.${name}=${value}`, r, 'accepted');
            else if (!r.text.includes(name)) problems.add(`${tool.name}.${name}=${value}`, r, `error does not name '${name}'`);
          }
        }
      }
    }
    expect(problems.list).toEqual([]);
    expect(h.emulator.requestLog(), describeRequests(h)).toEqual([]);
  });

  it('refuses 1 MB strings in every string slot without echoing them back', async () => {
    const huge = HUGE();
    const problems = new Problems();
    let checked = 0;
    for (const tool of tools) {
      for (const [name, schema] of props(tool)) {
        for (const slot of stringSlots(name, schema)) {
          const r = await attempt(h, tool.name, { ...baseArgs(tool), [name]: slot.build(huge) });
          checked++;
          if (!r.isError) problems.add(`${tool.name} ${slot.path}=<1 MB>`, r, 'accepted');
          else if (!names(r.text, name)) problems.add(`${tool.name} ${slot.path}=<1 MB>`, r, `error does not name '${name}'`);
          else if (r.text.length > 20_000) problems.add(`${tool.name} ${slot.path}=<1 MB>`, undefined, `error is ${r.text.length} characters long`);
        }
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect(problems.list).toEqual([]);
    expect(h.emulator.requestLog(), describeRequests(h)).toEqual([]);
  });

  it('refuses control characters, NUL bytes and lone surrogates in every string slot', async () => {
    const problems = new Problems();
    let checked = 0;
    for (const tool of tools) {
      for (const [name, schema] of props(tool)) {
        for (const slot of stringSlots(name, schema)) {
          for (const bad of BAD_TEXT) {
            const r = await attempt(h, tool.name, { ...baseArgs(tool), [name]: slot.build(bad) });
            checked++;
            if (!r.isError) problems.add(`${tool.name} ${slot.path}=${JSON.stringify(bad)}`, r, 'accepted');
            else if (!names(r.text, name)) problems.add(`${tool.name} ${slot.path}=${JSON.stringify(bad)}`, r, `error does not name '${name}'`);
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
    expect(problems.list).toEqual([]);
    expect(h.emulator.requestLog(), describeRequests(h)).toEqual([]);
  });

  it('refuses arguments that are not an object, and cannot be used to pollute prototypes', async () => {
    for (const tool of tools) {
      for (const raw of ['a string', 42, [1, 2]]) {
        let refused = false;
        try {
          const result = await h.client.callTool({ name: tool.name, arguments: raw as never });
          refused = Boolean(result.isError);
        } catch {
          refused = true;
        }
        expect(refused, `${tool.name} with arguments ${JSON.stringify(raw)}`).toBe(true);
      }
      // Harmless otherwise: an account that does not exist, so nothing is changed whatever the tool.
      const harmless = { ...baseArgs(tool), ...(schemas.get(tool.name)!.properties?.['account'] ? { account: '@nobody' } : {}) };
      const polluted = JSON.parse(`{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}${JSON.stringify(harmless).replace(/^\{/, ',').replace(/^,\}$/, '}')}`);
      await attempt(h, tool.name, polluted);
      expect(({} as Record<string, unknown>)['polluted'], tool.name).toBeUndefined();
    }
    expect(nonGet(h), describeRequests(h)).toEqual([]);
  });

  it('refuses unknown accounts and injection-looking account names in every tool that takes one', async () => {
    const problems = new Problems();
    let checked = 0;
    for (const tool of tools) {
      if (!schemas.get(tool.name)!.properties?.['account']) continue;
      for (const account of ['@nobody', 'nobody', '99999999999999999999', '0', ...INJECTIONS.slice(0, 5)]) {
        h.emulator.clearLog();
        const r = await attempt(h, tool.name, { ...baseArgs(tool, { optional: true }), account });
        checked++;
        if (!r.isError) problems.add(`${tool.name} account=${account}`, r, 'accepted');
        else if (r.data?.error?.code !== 'account_not_found') problems.add(`${tool.name} account=${account}`, r, 'not account_not_found');
        else if (!/account/i.test(r.text)) problems.add(`${tool.name} account=${account}`, r, 'error does not mention the account');
        if (h.emulator.requestLog().length) problems.add(`${tool.name} account=${account}`, undefined, `Instagram was called: ${describeRequests(h)}`);
      }
    }
    expect(checked).toBeGreaterThan(60);
    expect(problems.list).toEqual([]);
  });

  it('refuses path traversal, symlinks out of the media folders and odd schemes wherever media is accepted', async () => {
    const secretFile = path.join(h.dataDir, 'instagram-mcp.sqlite');
    const hostile = [
      '../../etc/passwd',
      '/etc/passwd',
      '~/.ssh/id_rsa',
      'file:///etc/passwd',
      '%2e%2e/%2e%2e/etc/passwd',
      '..%2F..%2Fetc%2Fpasswd',
      'photo.jpg/../../../../etc/passwd',
      `${h.mediaDir}/../${path.basename(outside)}/outside.jpg`,
      path.join(outside, 'outside.jpg'),
      `file://${path.join(outside, 'outside.jpg')}`,
      secretFile,
      'escape.jpg',
      'passwd.jpg',
      'zero.jpg',
      'linked-dir/outside.jpg',
      'folder.jpg',
      'pipe.jpg',
      h.mediaDir,
      'deadbeefdeadbeefdeadbeefdeadbeef',
      'javascript:alert(1)',
      'ftp://example.com/photo.jpg',
      'gopher://127.0.0.1:6379/_FLUSHALL',
      'http://user:secret@example.com/photo.jpg',
      'C:\\Windows\\win.ini',
      '\\\\server\\share\\photo.jpg',
      '~root/.ssh/id_rsa',
    ];
    const problems = new Problems();
    let checked = 0;
    for (const tool of tools) {
      const mediaProps = props(tool).filter(([name, schema]) => isMediaArgument(name, schema));
      for (const [name, schema] of mediaProps) {
        // A reel's cover is only checked alongside a video; give it one that is fine (a URL is not fetched here).
        const companion: Record<string, unknown> = name === 'cover' ? { video: 'https://cdn.example.com/clip.mp4' } : {};
        const objectForm = branches(schema).some((b) => b.type === 'object');
        for (const value of hostile) {
          for (const form of objectForm ? [value, { source: value }] : [value]) {
            h.emulator.clearLog();
            const r = await attempt(h, tool.name, { ...baseArgs(tool), ...companion, [name]: form });
            checked++;
            const what = `${tool.name}.${name}=${JSON.stringify(form)}`;
            const codes: string[] = [r.data?.error?.code, ...(r.data?.error?.details?.issues ?? []).map((i: { code: string }) => i.code)];
            if (!r.isError) problems.add(what, r, 'accepted');
            else if (!new RegExp(`${name}|media|source`).test(r.text)) problems.add(what, r, `error names neither '${name}' nor the media`);
            else if (!codes.some((c) => /^(media_|reference_|invalid_url$)/.test(c ?? ''))) problems.add(what, r, `refused for another reason (${codes.join(', ')})`);
            if (/root:.*:0:0:/.test(r.text) || r.text.includes('SQLite format')) problems.add(what, r, 'file contents leaked');
            if (h.emulator.requestLog().length) problems.add(what, undefined, `Instagram was called: ${describeRequests(h)}`);
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(problems.list).toEqual([]);
  });

  it('answers a path outside the media folders the same whether or not the file exists (no existence oracle)', async () => {
    const answers = new Set<string>();
    for (const probe of ['/etc/passwd', '/etc/definitely-not-here', path.join(outside, 'outside.jpg'), path.join(outside, 'missing.jpg')]) {
      const r = await h.call('instagram_upload_media', { source: probe });
      expect(r.isError).toBe(true);
      answers.add(JSON.stringify(r.data.error));
    }
    expect(answers.size).toBe(1);
  });

  it('auto_discover never picks files that only link into the media folders from outside', async () => {
    h.emulator.clearLog();
    const r = await h.call('instagram_create_post', { account: business, auto_discover: 3, wait_seconds: 0 });
    expect(r.isError, r.text).toBe(true);
    expect(r.text).toMatch(/auto_discover/);
    expect(r.text).not.toMatch(/outside|passwd|zero/);
    expect(h.emulator.requestLog(), describeRequests(h)).toEqual([]);
  });

  it('refuses injection-looking ids, cursors, dates, names and tokens, naming the problem', async () => {
    const mentions: Record<string, RegExp> = {
      id: /\bid\b/,
      media_id: /\bid\b/,
      post_id: /post/i,
      comment_id: /comment_id/,
      cursor: /cursor/i,
      since: /since/,
      until: /until/,
      hashtag: /hashtag/i,
      username: /username/i,
      callback_url: /state|code/i,
      state: /state/i,
      access_token: /token/i,
      metrics: /metric/i,
      breakdown: /breakdown/i,
      timeframe: /timeframe/i,
      collaborators: /collaborator/i,
      location_id: /location_id/,
    };
    /** What else a field needs to matter. */
    const context: Record<string, Record<string, unknown>> = {
      state: { callback_url: 'AQBx-code-only' },
      timeframe: { metrics: ['follower_demographics'] },
      collaborators: { media: 'photo.jpg', video: 'photo.jpg' },
      location_id: { media: 'photo.jpg' },
      cursor: { media_id: seeded.mediaId },
    };
    const forgedCursor = Buffer.from(JSON.stringify({ k: 'posts', a: '99999999999999999', c: 'x' })).toString('base64url');
    const problems = new Problems();
    let checked = 0;
    for (const tool of tools) {
      for (const [name, schema] of props(tool)) {
        const pattern = mentions[name];
        if (!pattern) continue;
        const values = [...INJECTIONS, '../../etc/passwd', ...(name === 'cursor' ? [forgedCursor, 'bm90LWpzb24'] : [])];
        for (const value of values) {
          const isArray = branches(schema).some((b) => b.type === 'array');
          // Only the context arguments this tool takes: an unknown argument is refused on its own.
          const accepted = new Set(props(tool).map(([n]) => n));
          const extra = Object.fromEntries(Object.entries(context[name] ?? {}).filter(([k]) => accepted.has(k)));
          const args = { ...baseArgs(tool), ...extra, [name]: isArray ? [value] : value };
          h.emulator.clearLog();
          const r = await attempt(h, tool.name, args);
          checked++;
          const what = `${tool.name}.${name}=${JSON.stringify(value)}`;
          if (!r.isError) problems.add(what, r, 'accepted');
          else if (!pattern.test(r.text)) problems.add(what, r, `error does not match ${pattern}`);
          if (nonGet(h).length) problems.add(what, undefined, `Instagram was asked to change something: ${describeRequests(h)}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(80);
    expect(problems.list).toEqual([]);
  });

  it('refuses cursors edited to steer a request elsewhere (another account, another media, a path step)', async () => {
    const cursor = (body: Record<string, unknown>) => Buffer.from(JSON.stringify(body)).toString('base64url');
    const forged: Array<[string, Record<string, unknown>]> = [
      ['instagram_search_hashtag', { account: facebook, hashtag: 'coffee', cursor: cursor({ k: 'hashtag', a: facebook, c: 'x', h: '..', n: 'coffee', e: 'top' }) }],
      ['instagram_search_hashtag', { account: facebook, hashtag: 'coffee', cursor: cursor({ k: 'hashtag', a: facebook, c: 'x', h: '.', n: 'coffee', e: 'top' }) }],
      ['instagram_search_hashtag', { account: facebook, hashtag: 'coffee', cursor: cursor({ k: 'hashtag', a: facebook, c: 'x', h: 'me/accounts', n: 'coffee', e: 'top' }) }],
      ['instagram_search_hashtag', { account: facebook, hashtag: 'coffee', cursor: cursor({ k: 'hashtag', a: facebook, c: 'x', n: 'coffee', e: 'top' }) }],
      ['instagram_search_hashtag', { account: facebook, hashtag: 'coffee', cursor: cursor({ k: 'hashtag', a: business, c: 'x', h: '1', n: 'coffee', e: 'top' }) }],
      ['instagram_business_discovery', { account: facebook, username: 'bluebottle', cursor: cursor({ k: 'discovery', a: facebook, c: 'x', u: '../../me' }) }],
      ['instagram_get_comments', { account: business, media_id: seeded.mediaId, cursor: cursor({ k: 'comments', a: business, c: 'x', m: '1' }) }],
      ['instagram_get_posts', { account: business, cursor: cursor({ k: 'comments', a: business, c: 'x' }) }],
      ['instagram_get_posts', { account: business, cursor: cursor({ k: 'posts', a: facebook, c: 'x' }) }],
    ];
    for (const [tool, args] of forged) {
      h.emulator.clearLog();
      const r = await h.call(tool, args);
      expect(r.isError, `${tool} ${JSON.stringify(args)}: ${r.text}`).toBe(true);
      expect(r.text).toMatch(/cursor|username/);
      expect(h.emulator.requestLog(), `${tool}: ${describeRequests(h)}`).toEqual([]);
    }
  });

  it('refuses access tokens with spaces, line breaks or non-ASCII locally, without a misleading network error', async () => {
    for (const token of [`${IG_SHORT_TOKEN} qrstuvwxyz`, `${IG_TOKEN_HEAD}\r\nX-Injected: 1`, `${IG_ASCII_TOKEN}é`]) {
      h.emulator.clearLog();
      const r = await h.call('instagram_authenticate', { access_token: token });
      expect(r.isError).toBe(true);
      expect(r.data.error.code).toBe('token_invalid');
      expect(r.text).toMatch(/access_token/);
      expect(r.text).not.toContain(token.trim());
      expect(h.emulator.requestLog()).toEqual([]);
    }
  });

  it('takes injection-looking free text verbatim: stored and published as given, never interpreted', async () => {
    const caption = INJECTIONS.join('\n');
    const r = await h.call('instagram_create_post', {
      account: business,
      media: 'second.jpg',
      caption,
      alt_text: '<img src=x onerror=alert(1)> {{7*7}}',
      first_comment: "'); DELETE FROM accounts; --",
      wait_seconds: 120,
    });
    expect(r.isError, r.text).toBe(false);
    expect(r.data.state).toBe('completed');
    expect(h.emulator.media(r.data.media_id)?.caption).toBe(caption);
    expect((await h.app.store.posts.get('alice', r.data.post_id))?.caption).toBe(caption);
    expect(r.data.first_comment?.status).toBe('posted');

    const comments = await h.call('instagram_get_comments', { account: business, media_id: r.data.media_id, detail: 'full' });
    expect(comments.isError, comments.text).toBe(false);
    expect(comments.data.comments.map((c: { text: { untrusted_text: string } }) => c.text.untrusted_text)).toContain("'); DELETE FROM accounts; --");

    const reply = await h.call('instagram_post_comment', { account: business, media_id: seeded.mediaId, message: '{{7*7}} ${7*7} <script>alert(1)</script>' });
    expect(reply.isError, reply.text).toBe(false);
    expect(reply.text).not.toMatch(/\b49\b/);
    expect(await h.app.store.integrityCheck()).toBe('ok');
  }, 60_000);

  it('stays healthy afterwards: normal calls succeed, the database is intact and keeps its rows', async () => {
    const accounts = await h.call('instagram_accounts', {});
    expect(accounts.isError, accounts.text).toBe(false);
    expect(accounts.data.count).toBe(2);
    const posts = await h.call('instagram_get_posts', { account: business });
    expect(posts.isError, posts.text).toBe(false);
    expect(posts.data.posts.map((p: { id: string }) => p.id)).toContain(seeded.mediaId);
    const status = await h.call('instagram_post_status', { post_id: seeded.postId });
    expect(status.isError, status.text).toBe(false);
    expect(status.data.state).toBe('completed');
    const ref = await h.call('instagram_upload_media', { source: seeded.referenceId });
    expect(ref.isError, ref.text).toBe(false);

    expect(await h.app.store.integrityCheck()).toBe('ok');
    const after = tableCounts(dbFile());
    for (const [table, count] of Object.entries(countsBefore)) {
      expect(after[table], `rows of ${table}`).toBeGreaterThanOrEqual(count);
    }
    expect(after['accounts']).toBe(2);
    expect((await h.app.store.accounts.list('alice')).every((a) => a.status === 'active' && a.accessToken)).toBe(true);
  });
});

describe('URLs to private and loopback addresses', () => {
  let h: Harness;
  let canary: http.Server;
  let hits: string[];
  let port: number;
  let mediaBefore: number;

  beforeAll(async () => {
    // Instagram's side refuses private addresses here (as the real one cannot reach them), so any request
    // the canary sees can only come from this server itself.
    h = await startHarness({ emulator: { allowPrivateFetch: false } });
    await h.connectAccount('business');
    hits = [];
    canary = http.createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.end(Buffer.alloc(16));
    });
    await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve));
    port = (canary.address() as AddressInfo).port;
    mediaBefore = h.emulator.publishedMedia(h.emulator.users.instagramBusiness.id).length;
    h.emulator.clearLog();
  });

  afterAll(async () => {
    await h?.close();
    await new Promise<void>((resolve) => canary?.close(() => resolve()));
  });

  it('never fetches a media URL itself: every URL goes to Instagram as given, and the server stays healthy', async () => {
    const urls = [
      `http://127.0.0.1:${port}/photo.jpg`,
      `http://localhost:${port}/photo.jpg`,
      `http://[::1]:${port}/photo.jpg`,
      `http://2130706433:${port}/photo.jpg`,
      `http://0.0.0.0:${port}/photo.jpg`,
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/photo.jpg',
      'http://10.0.0.1/photo.jpg',
      'http://192.168.1.1/photo.jpg',
    ];
    for (const url of urls) {
      const registered = await h.call('instagram_upload_media', { source: url, media_type: 'image' });
      expect(registered.isError, registered.text).toBe(false);
      expect(registered.data.source).toBe('url');
      expect(registered.data.size_bytes).toBeNull();

      const post = await h.call('instagram_create_post', { media: { source: url, media_type: 'image' }, wait_seconds: 30 });
      const story = await h.call('instagram_create_story', { media: { source: registered.data.reference_id }, wait_seconds: 30 });
      const reel = await h.call('instagram_create_reel', { video: { source: url.replace('photo.jpg', 'clip.mp4'), media_type: 'video' }, cover: url, wait_seconds: 30 });
      for (const r of [post, story, reel]) {
        // Either refused here or failed on Instagram's side: never published.
        expect(r.isError || r.data.state === 'failed', r.text).toBe(true);
      }
    }
    expect(hits).toEqual([]);
    // The URLs reached Instagram exactly as given (it is Instagram that fetches them).
    const sent = h.emulator.requestLog().flatMap((r) => [r.params['image_url'], r.params['video_url'], r.params['cover_url']]).filter(Boolean);
    expect(sent).toContain(urls[0]);
    expect(sent).toContain('http://169.254.169.254/latest/meta-data/iam/security-credentials/photo.jpg');
    expect(h.emulator.publishedMedia(h.emulator.users.instagramBusiness.id).length).toBe(mediaBefore);

    const ok = await h.call('instagram_accounts', {});
    expect(ok.isError).toBe(false);
    expect(await h.app.store.integrityCheck()).toBe('ok');
  }, 60_000);
});
