import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileChangedError, MediaPathError, discoverNewest, looksLikeLocalPath, openChecked, openLocalMedia, resolveLocalMedia } from '../../../src/media/localFiles.js';

let base: string;
let media: string;
let media2: string;
let outside: string;

beforeAll(() => {
  base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'localfiles-')));
  media = path.join(base, 'media');
  media2 = path.join(base, 'media2');
  outside = path.join(base, 'outside');
  for (const d of [media, media2, outside, path.join(media, 'folder'), path.join(media, 'trip')]) mkdirSync(d, { recursive: true });
  writeFileSync(path.join(media, 'a.jpg'), 'jpeg bytes');
  writeFileSync(path.join(media, 'trip', 'b.mp4'), 'mp4 bytes');
  writeFileSync(path.join(media2, 'sibling.jpg'), 'x');
  writeFileSync(path.join(outside, 'secret.jpg'), 'secret');
  symlinkSync(path.join(outside, 'secret.jpg'), path.join(media, 'escape.jpg'));
  symlinkSync(outside, path.join(media, 'linkdir'));
  symlinkSync(path.join(media, 'a.jpg'), path.join(media, 'alias.jpg'));
  execFileSync('mkfifo', [path.join(media, 'pipe.jpg')]);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

async function failure(p: Promise<unknown>): Promise<MediaPathError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MediaPathError);
  return err as MediaPathError;
}

describe('resolveLocalMedia', () => {
  it('resolves a file inside a media dir', async () => {
    const r = await resolveLocalMedia(path.join(media, 'a.jpg'), [media]);
    expect(r.realPath).toBe(path.join(media, 'a.jpg'));
    expect(r.sizeBytes).toBe(10);
    expect(r.mtimeMs).toBeGreaterThan(0);
  });

  it('accepts file:// URLs, ~ paths and paths relative to the media dirs', async () => {
    expect((await resolveLocalMedia(pathToFileURL(path.join(media, 'a.jpg')).href, [media])).realPath).toBe(path.join(media, 'a.jpg'));
    expect((await resolveLocalMedia('trip/b.mp4', [media2, media])).realPath).toBe(path.join(media, 'trip', 'b.mp4'));
    expect((await resolveLocalMedia('./a.jpg', [media])).realPath).toBe(path.join(media, 'a.jpg'));
    const home = process.env.HOME;
    process.env.HOME = base;
    try {
      expect((await resolveLocalMedia('~/media/a.jpg', ['~/media'])).realPath).toBe(path.join(media, 'a.jpg'));
    } finally {
      process.env.HOME = home;
    }
  });

  it('follows a symlink that stays inside the media dir', async () => {
    expect((await resolveLocalMedia(path.join(media, 'alias.jpg'), [media])).realPath).toBe(path.join(media, 'a.jpg'));
  });

  it('works when the media dir itself is reached through a symlink', async () => {
    const link = path.join(base, 'media-link');
    symlinkSync(media, link);
    expect((await resolveLocalMedia(path.join(link, 'a.jpg'), [link])).realPath).toBe(path.join(media, 'a.jpg'));
    expect((await resolveLocalMedia(path.join(media, 'a.jpg'), [link])).realPath).toBe(path.join(media, 'a.jpg'));
  });

  it('refuses files outside the media dirs, without revealing whether they exist', async () => {
    const err = await failure(resolveLocalMedia(path.join(outside, 'secret.jpg'), [media]));
    expect(err.code).toBe('outside_media_dirs');
    expect(err.message).toContain(`INSTAGRAM_MCP_MEDIA_DIRS: ${media}`);
    expect(err.message).not.toContain('secret');
    const missing = await failure(resolveLocalMedia(path.join(outside, 'nope.jpg'), [media]));
    expect(missing.code).toBe('outside_media_dirs');
    expect((await failure(resolveLocalMedia('/etc/passwd', [media]))).code).toBe('outside_media_dirs');
  });

  it('refuses ../ traversal', async () => {
    expect((await failure(resolveLocalMedia(`${media}/../outside/secret.jpg`, [media]))).code).toBe('outside_media_dirs');
    expect((await failure(resolveLocalMedia('../outside/secret.jpg', [media]))).code).toBe('outside_media_dirs');
    expect((await failure(resolveLocalMedia('trip/../../outside/secret.jpg', [media]))).code).toBe('outside_media_dirs');
    expect((await failure(resolveLocalMedia(pathToFileURL(`${media}/x`).href.replace('/x', '/%2E%2E/outside/secret.jpg'), [media]))).code).toBe(
      'outside_media_dirs',
    );
  });

  it('refuses a sibling dir sharing the prefix (/media2 is not in /media)', async () => {
    expect((await failure(resolveLocalMedia(path.join(media2, 'sibling.jpg'), [media]))).code).toBe('outside_media_dirs');
  });

  it('refuses symlinks escaping the media dir (file and folder links)', async () => {
    const file = await failure(resolveLocalMedia(path.join(media, 'escape.jpg'), [media]));
    expect(file.code).toBe('symlink_escape');
    expect(file.message).not.toContain(outside);
    expect((await failure(resolveLocalMedia(path.join(media, 'linkdir', 'secret.jpg'), [media]))).code).toBe('symlink_escape');
  });

  it('refuses folders, FIFOs and the media dir itself', async () => {
    expect((await failure(resolveLocalMedia(path.join(media, 'folder'), [media]))).code).toBe('not_regular_file');
    expect((await failure(resolveLocalMedia(media, [media]))).code).toBe('not_regular_file');
    const fifo = await failure(resolveLocalMedia(path.join(media, 'pipe.jpg'), [media]));
    expect(fifo.code).toBe('not_regular_file');
  });

  it('refuses devices', async () => {
    expect((await failure(resolveLocalMedia('/dev/null', ['/dev']))).code).toBe('not_regular_file');
  });

  it('reports a missing file inside a media dir', async () => {
    const err = await failure(resolveLocalMedia(path.join(media, 'missing.jpg'), [media]));
    expect(err.code).toBe('not_found');
    expect(err.message).toMatch(/INSTAGRAM_MCP_MEDIA_DIRS/);
  });

  it('refuses NUL bytes and control characters', async () => {
    expect((await failure(resolveLocalMedia(`${media}/a.jpg\0.png`, [media]))).code).toBe('invalid_path');
    expect((await failure(resolveLocalMedia(`${media}/a\n.jpg`, [media]))).code).toBe('invalid_path');
    expect((await failure(resolveLocalMedia(`${media}/a\u202e.jpg`, [media]))).code).toBe('invalid_path');
    expect((await failure(resolveLocalMedia('file:///tmp/a%00.jpg', [media]))).code).toBe('invalid_path');
    expect((await failure(resolveLocalMedia('', [media]))).code).toBe('invalid_path');
    expect((await failure(resolveLocalMedia('~root/x.jpg', [media]))).code).toBe('invalid_path');
  });

  it('says how to configure when no media dir is set', async () => {
    for (const dirs of [[], ['  '], [path.join(base, 'does-not-exist')]]) {
      const err = await failure(resolveLocalMedia(path.join(media, 'a.jpg'), dirs));
      expect(err.code).toBe('not_configured');
      expect(err.message).toMatch(/INSTAGRAM_MCP_MEDIA_DIRS/);
      expect(err.message).toMatch(dirs.length === 1 && dirs[0]!.trim() ? /none of the folders .* exists/ : /Set INSTAGRAM_MCP_MEDIA_DIRS/);
    }
  });

  it.skipIf(process.getuid?.() === 0)('reports unreadable files', async () => {
    const file = path.join(media, 'locked.jpg');
    writeFileSync(file, 'x', { mode: 0o000 });
    try {
      expect((await failure(resolveLocalMedia(file, [media]))).code).toBe('unreadable');
    } finally {
      rmSync(file);
    }
  });
});

describe('discoverNewest', () => {
  let dir: string;
  const t0 = Date.UTC(2026, 0, 1) / 1000;

  beforeAll(() => {
    dir = path.join(base, 'discover');
    mkdirSync(path.join(dir, 'sub', 'deeper'), { recursive: true });
    mkdirSync(path.join(dir, '.hidden-dir'));
    const files: Array<[string, number]> = [
      ['old.jpg', 1],
      ['new.PNG', 5],
      ['clip.mp4', 4],
      ['notes.txt', 9],
      ['.hidden.jpg', 9],
      ['.hidden-dir/x.jpg', 9],
      ['sub/nested.mov', 8],
      ['sub/deeper/deep.jpg', 10],
    ];
    for (const [name, offset] of files) {
      const p = path.join(dir, name);
      writeFileSync(p, name);
      utimesSync(p, t0 + offset, t0 + offset);
    }
    symlinkSync(path.join(outside, 'secret.jpg'), path.join(dir, 'escape.jpg'));
    symlinkSync(path.join(dir, 'new.PNG'), path.join(dir, 'dupe.png'));
    execFileSync('mkfifo', [path.join(dir, 'fifo.jpg')]);
  });
  afterEach(() => undefined);

  it('lists media newest first, skipping hidden, non-media, escaping links, FIFOs and subfolders', async () => {
    const found = await discoverNewest([dir], { exclude: new Set(), limit: 10 });
    expect(found.map((f) => path.basename(f.realPath))).toEqual(['new.PNG', 'clip.mp4', 'old.jpg']);
    expect(found[0]).toMatchObject({ sizeBytes: 'new.PNG'.length, mtimeMs: (t0 + 5) * 1000 });
  });

  it('honours exclude, limit and kinds', async () => {
    const exclude = new Set([path.join(dir, 'new.PNG')]);
    expect((await discoverNewest([dir], { exclude, limit: 10 })).map((f) => path.basename(f.realPath))).toEqual(['clip.mp4', 'old.jpg']);
    expect((await discoverNewest([dir], { exclude: new Set(), limit: 1 })).map((f) => path.basename(f.realPath))).toEqual(['new.PNG']);
    expect((await discoverNewest([dir], { exclude: new Set(), limit: 10, kinds: ['video'] })).map((f) => path.basename(f.realPath))).toEqual([
      'clip.mp4',
    ]);
    expect(await discoverNewest([dir], { exclude: new Set(), limit: 0 })).toEqual([]);
  });

  it('searches subfolders to a bounded depth when asked', async () => {
    const one = await discoverNewest([dir], { exclude: new Set(), limit: 10, maxDepth: 1 });
    expect(one.map((f) => path.basename(f.realPath))).toEqual(['nested.mov', 'new.PNG', 'clip.mp4', 'old.jpg']);
    const two = await discoverNewest([dir], { exclude: new Set(), limit: 10, maxDepth: 2 });
    expect(two.map((f) => path.basename(f.realPath))[0]).toBe('deep.jpg');
  });

  it('requires configuration', async () => {
    await expect(discoverNewest([], { exclude: new Set(), limit: 5 })).rejects.toMatchObject({ code: 'not_configured' });
  });
});

describe('looksLikeLocalPath', () => {
  it('recognises local paths and URLs', () => {
    for (const s of ['/home/me/a.jpg', '~/a.jpg', '~', './a.jpg', '../a.jpg', 'file:///tmp/a.jpg', 'FILE:///x', 'C:\\pics\\a.jpg', 'D:/a.jpg']) {
      expect(looksLikeLocalPath(s), s).toBe(true);
    }
    for (const s of ['https://example.com/a.jpg', 'http://x/y', 's3://bucket/key', 'a.jpg', '', '17841405793187218']) {
      expect(looksLikeLocalPath(s), s).toBe(false);
    }
  });
});

describe('openLocalMedia and openChecked (check-then-use)', () => {
  it('hands back the descriptor it checked, with the identity of that file', async () => {
    const file = await openLocalMedia(path.join(media, 'a.jpg'), [media]);
    try {
      expect((await file.handle.readFile()).toString()).toBe('jpeg bytes');
      const st = statSync(path.join(media, 'a.jpg'), { bigint: true });
      expect(file.identity).toBe(`${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`);
    } finally {
      await file.handle.close();
    }
  });

  it('refuses a file swapped for a link, for another file, or touched, once checked', async () => {
    const dir = mkdtempSync(path.join(media, 'swap-'));
    const target = path.join(dir, 'p.jpg');
    writeFileSync(target, 'photo');
    const { identity } = await resolveLocalMedia(target, [media]);
    const again = await openChecked(target, identity);
    expect((await again.handle.readFile()).toString()).toBe('photo');
    await again.handle.close();

    rmSync(target);
    symlinkSync(path.join(outside, 'secret.jpg'), target);
    expect(await failure(openChecked(target, identity))).toBeInstanceOf(FileChangedError);
    expect(await failure(openChecked(target, null))).toBeInstanceOf(FileChangedError); // never follows a final link

    rmSync(target);
    writeFileSync(target, 'other'); // same size, another inode
    expect((await failure(openChecked(target, identity))).code).toBe('changed');

    const { identity: second } = await resolveLocalMedia(target, [media]);
    utimesSync(target, new Date(2000, 0, 1), new Date(2000, 0, 1));
    expect((await failure(openChecked(target, second))).code).toBe('changed');
    rmSync(target);
    expect((await failure(openChecked(target, second))).code).toBe('changed');
    rmSync(dir, { recursive: true });
  });

  it('refuses a file reached through a folder swapped for a link leading outside', async () => {
    const dir = path.join(media, 'album');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'secret.jpg'), 'inside');
    await resolveLocalMedia(path.join(dir, 'secret.jpg'), [media]);
    rmSync(dir, { recursive: true });
    symlinkSync(outside, dir);
    // The path is spelled inside, and outside/secret.jpg is a regular file: still refused.
    expect((await failure(openChecked(path.join(dir, 'secret.jpg'), null, [media]))).code).toBe('changed');
    expect((await failure(resolveLocalMedia(path.join(dir, 'secret.jpg'), [media]))).code).toBe('symlink_escape');
    rmSync(dir);
  });
});
