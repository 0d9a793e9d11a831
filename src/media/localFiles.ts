/**
 * The local-file allowlist. The server reads a local file only when its real path (all symlinks
 * resolved) lies inside the real path of one of the folders configured in INSTAGRAM_MCP_MEDIA_DIRS,
 * and it is a regular file. Paths outside those folders are refused before the filesystem is touched,
 * so the tool cannot be used to probe whether arbitrary files exist.
 *
 * Check-then-use: a file is opened once without following a final link, and the opened descriptor is
 * checked (where the kernel says it lives, that it is a regular file) and read from. What was checked is
 * kept as the file's identity (device, inode, size, mtime); every later use opens the path again the
 * same way and refuses a file whose identity differs (`openChecked`), so a file swapped for a link (or
 * for other bytes) after its check is never read.
 */
import { constants as fsConstants, promises as fsp, type BigIntStats, type Dirent, type Stats } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type MediaPathErrorCode =
  | 'not_configured'
  | 'invalid_path'
  | 'outside_media_dirs'
  | 'not_found'
  | 'not_regular_file'
  | 'symlink_escape'
  | 'unreadable'
  | 'changed';

export class MediaPathError extends Error {
  override readonly name = 'MediaPathError';
  constructor(
    readonly code: MediaPathErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ResolvedMedia {
  realPath: string;
  sizeBytes: number;
  mtimeMs: number;
  /** What was checked: `device:inode:size:mtimeNs` (see fileIdentity). */
  identity: string;
}

/** A checked file, still open: read it through `handle` (the caller closes it). */
export interface CheckedFile extends ResolvedMedia {
  handle: fsp.FileHandle;
}

/** The identity of an opened file: device, inode, size and modification time (ns), exact (bigint stat). */
export function fileIdentity(st: BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
}

const OPEN_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0) | (fsConstants.O_NOFOLLOW ?? 0);

const ENV_NAME = 'INSTAGRAM_MCP_MEDIA_DIRS';
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.heic', '.heif', '.tif', '.tiff', '.avif']);
const VIDEO_EXTENSIONS = new Set(['.mp4', '.mov', '.m4v']);
// C0/C1 controls, DEL, and bidi/zero-width format characters that can disguise a path.
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/u;

/** Absolute path, `~` or `~/...`, `./...` or `../...`, a Windows drive path, or a `file://` URL. */
export function looksLikeLocalPath(s: string): boolean {
  if (typeof s !== 'string' || s.length === 0) return false;
  if (/^file:\/\//i.test(s)) return true;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) return false; // http://, https://, s3://, …
  if (s.startsWith('/')) return true;
  if (s === '~' || s.startsWith('~/')) return true;
  if (s === '.' || s === '..' || s.startsWith('./') || s.startsWith('../')) return true;
  if (/^[a-z]:[\\/]/i.test(s) || s.startsWith('\\\\') || s.startsWith('.\\') || s.startsWith('..\\')) return true;
  return false;
}

function notConfigured(missing?: string[]): MediaPathError {
  const what = missing
    ? `none of the folders in ${ENV_NAME} exists (${dirList(missing)}). Create one of them or fix ${ENV_NAME}`
    : `no media folder is configured. Set ${ENV_NAME} to one or more folders the server may read (separated by '${path.delimiter}')`;
  return new MediaPathError(
    'not_configured',
    `Local files are disabled: ${what}, put the file there, and restart the server; or pass a public https URL of the media instead.`,
  );
}

function dirList(dirs: string[]): string {
  return dirs.join(', ');
}

function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/') || p.startsWith(`~${path.sep}`)) return path.join(os.homedir(), p.slice(2));
  return p;
}

/** True when `child` is `dir` itself or lies below it (component-wise: `/media2` is not in `/media`). */
function isWithin(child: string, dir: string): boolean {
  const rel = path.relative(dir, child);
  if (rel === '') return true;
  if (path.isAbsolute(rel)) return false; // another drive (Windows)
  return rel !== '..' && !rel.startsWith(`..${path.sep}`);
}

/** Strictly below `dir` (the dir itself is not a file inside it). */
function isInside(child: string, dir: string): boolean {
  return child !== dir && isWithin(child, dir);
}

interface MediaDir {
  /** As configured (expanded, absolute, normalised). */
  given: string;
  /** realpath of it. */
  real: string;
}

/** Expands and realpaths the configured dirs; throws not_configured when none is usable. */
async function realMediaDirs(mediaDirs: string[]): Promise<{ dirs: MediaDir[]; configured: string[] }> {
  const configured = (mediaDirs ?? [])
    .map((d) => (typeof d === 'string' ? d.trim() : ''))
    .filter((d) => d.length > 0 && !FORBIDDEN_CHARS.test(d))
    .map((d) => path.resolve(expandHome(d)));
  if (configured.length === 0) throw notConfigured();
  const dirs: MediaDir[] = [];
  for (const given of configured) {
    try {
      const real = await fsp.realpath(given);
      if ((await fsp.stat(real)).isDirectory()) dirs.push({ given, real });
    } catch {
      // A configured folder that does not exist (yet) simply allows nothing.
    }
  }
  if (dirs.length === 0) throw notConfigured(configured);
  return { dirs, configured };
}

function outside(configured: string[]): MediaPathError {
  return new MediaPathError(
    'outside_media_dirs',
    `That file is outside the folders this server may read. Put the file in one of ${ENV_NAME}: ${dirList(configured)} (or add its folder to ${ENV_NAME} and restart).`,
  );
}

/** Turns the user's input into an absolute lexical path (no filesystem access), or throws invalid_path. */
function toAbsoluteCandidates(inputPath: string, dirs: MediaDir[]): string[] {
  if (typeof inputPath !== 'string' || inputPath.trim() === '') {
    throw new MediaPathError('invalid_path', 'No file path was given. Pass an absolute path, a path relative to a media folder, or a file:// URL.');
  }
  if (FORBIDDEN_CHARS.test(inputPath)) {
    throw new MediaPathError('invalid_path', 'The path contains control or invisible characters. Pass the plain file path.');
  }
  let p = inputPath;
  if (/^file:/i.test(p)) {
    try {
      p = fileURLToPath(p);
    } catch {
      throw new MediaPathError('invalid_path', 'That file:// URL is not a valid local file URL (it must be file:///absolute/path on this machine).');
    }
    if (FORBIDDEN_CHARS.test(p)) {
      throw new MediaPathError('invalid_path', 'The path contains control or invisible characters. Pass the plain file path.');
    }
  }
  if (p.startsWith('~') && p !== '~' && !p.startsWith('~/') && !p.startsWith(`~${path.sep}`)) {
    throw new MediaPathError('invalid_path', 'Paths like ~user/… are not supported. Use an absolute path or ~/….');
  }
  p = expandHome(p);
  if (path.isAbsolute(p)) return [path.resolve(p)];
  // Relative paths are relative to the media folders (the server's working directory is meaningless to
  // a chat client), tried in the configured order.
  return dirs.map((d) => path.resolve(d.given, p));
}

/**
 * Resolves a user-supplied local path to a real, readable, regular file inside a media dir.
 * Relative paths (`photo.jpg`, `./trip/a.jpg`) are looked up in the media dirs in order.
 */
export async function resolveLocalMedia(inputPath: string, mediaDirs: string[]): Promise<ResolvedMedia> {
  const { handle, ...resolved } = await openLocalMedia(inputPath, mediaDirs);
  await handle.close();
  return resolved;
}

/** Like resolveLocalMedia, and hands back the descriptor that was checked, to read the file from it. */
export async function openLocalMedia(inputPath: string, mediaDirs: string[]): Promise<CheckedFile> {
  const { dirs, configured } = await realMediaDirs(mediaDirs);
  const candidates = toAbsoluteCandidates(inputPath, dirs);

  if (candidates.some((c) => dirs.some((d) => c === d.given || c === d.real))) {
    throw new MediaPathError('not_regular_file', 'That path is a media folder, not a file. Give the path of a photo or video inside it.');
  }
  // Lexical gate first: a path that is not even spelled inside a media folder is refused without
  // touching the filesystem (no existence oracle for files elsewhere).
  const lexicallyInside = candidates.filter((c) => dirs.some((d) => isInside(c, d.given) || isInside(c, d.real)));
  if (lexicallyInside.length === 0) throw outside(configured);

  let firstError: MediaPathError | undefined;
  for (const candidate of lexicallyInside) {
    try {
      return await verify(candidate, dirs, configured);
    } catch (err) {
      if (!(err instanceof MediaPathError)) throw err;
      firstError ??= err;
      if (err.code !== 'not_found') break; // a real problem with an existing file: report it
    }
  }
  throw firstError ?? outside(configured);
}

async function verify(candidate: string, dirs: MediaDir[], configured: string[]): Promise<CheckedFile> {
  let realPath: string;
  try {
    realPath = await fsp.realpath(candidate);
  } catch (err) {
    throw fsError(err, configured);
  }
  if (!dirs.some((d) => isInside(realPath, d.real))) throw escape(configured);
  let st: Stats;
  try {
    st = await fsp.stat(realPath);
  } catch (err) {
    throw fsError(err, configured);
  }
  if (!st.isFile()) {
    throw new MediaPathError(
      'not_regular_file',
      st.isDirectory()
        ? 'That path is a folder, not a file. Give the path of a photo or video inside it.'
        : 'That path is not a regular file (it is a device, pipe or socket). Give the path of a photo or video.',
    );
  }
  // Open (non-blocking, not following a final symlink), then check what was opened: the file stat saw,
  // and (a folder on the way may have been swapped for a link since realpath) still inside a media dir.
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(realPath, OPEN_FLAGS);
    const opened = await fh.stat({ bigint: true });
    if (!opened.isFile() || opened.ino !== BigInt(st.ino) || opened.dev !== BigInt(st.dev)) {
      throw new MediaPathError('unreadable', 'The file changed while it was being checked. Try again.');
    }
    const where = await whereOpened(fh, realPath);
    if (!dirs.some((d) => isInside(where, d.real))) throw escape(configured);
    const checked: CheckedFile = { realPath, sizeBytes: Number(opened.size), mtimeMs: Number(opened.mtimeMs), identity: fileIdentity(opened), handle: fh };
    fh = undefined;
    return checked;
  } catch (err) {
    if (err instanceof MediaPathError) throw err;
    throw fsError(err, configured);
  } finally {
    await fh?.close();
  }
}

function escape(configured: string[]): MediaPathError {
  return new MediaPathError(
    'symlink_escape',
    `That path is a link to a file outside the media folders, which is not allowed. Copy the file itself into one of ${ENV_NAME}: ${dirList(configured)}.`,
  );
}

/**
 * Where an opened file lives: on Linux as the kernel tracks the descriptor (no race with the path);
 * elsewhere the real path of its folder plus its name (the name itself was opened without following).
 */
async function whereOpened(fh: fsp.FileHandle, openedPath: string): Promise<string> {
  if (process.platform === 'linux') {
    const tracked = await fsp.readlink(`/proc/self/fd/${fh.fd}`).catch(() => undefined);
    if (tracked?.startsWith('/') && !tracked.endsWith(' (deleted)')) return tracked;
  }
  return path.join(await fsp.realpath(path.dirname(openedPath)), path.basename(openedPath));
}

/** The file at a path checked earlier no longer is the one checked. */
export class FileChangedError extends MediaPathError {
  constructor() {
    super('changed', 'The file was changed or replaced since it was checked. Check the file and give it again.');
  }
}

/**
 * Opens a file that was checked earlier, the same way (no final link followed, non-blocking), and
 * makes sure it is still that file: a regular file with the same identity and, with `within`, still
 * inside one of those folders (real paths). Throws FileChangedError otherwise; the caller closes the handle.
 */
export async function openChecked(filePath: string, identity: string | null, within?: string[]): Promise<CheckedFile> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(filePath, OPEN_FLAGS);
    const opened = await fh.stat({ bigint: true });
    if (!opened.isFile()) throw new FileChangedError();
    if (identity !== null && fileIdentity(opened) !== identity) throw new FileChangedError();
    if (within) {
      const where = await whereOpened(fh, filePath);
      const reals = await Promise.all(within.map((d) => fsp.realpath(d).catch(() => undefined)));
      if (!reals.some((d) => d !== undefined && isInside(where, d))) throw new FileChangedError();
    }
    const checked: CheckedFile = { realPath: filePath, sizeBytes: Number(opened.size), mtimeMs: Number(opened.mtimeMs), identity: fileIdentity(opened), handle: fh };
    fh = undefined;
    return checked;
  } catch (err) {
    if (err instanceof MediaPathError) throw err;
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    // A link where the file was (ELOOP under O_NOFOLLOW), or the file gone: not the file checked.
    if (code === 'ELOOP' || code === 'ENOENT' || code === 'ENOTDIR' || code === 'EMLINK') throw new FileChangedError();
    throw err;
  } finally {
    await fh?.close();
  }
}

function fsError(err: unknown, configured: string[]): MediaPathError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new MediaPathError(
      'not_found',
      `No such file in the media folders. Check the file name, or put the file in one of ${ENV_NAME}: ${dirList(configured)}.`,
    );
  }
  if (code === 'ELOOP') {
    return new MediaPathError('symlink_escape', 'That path is a link loop or a link that cannot be followed. Use the file itself.');
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new MediaPathError('unreadable', 'The server is not allowed to read that file (permission denied). Fix its permissions so the server user can read it.');
  }
  return new MediaPathError('unreadable', `The file could not be read (${code ?? 'I/O error'}). Try again or copy the file.`);
}

export interface DiscoverOptions {
  /** Real paths already used; never returned. */
  exclude: Set<string>;
  limit: number;
  /** Restrict to images or videos (by file extension). Default both. */
  kinds?: ('image' | 'video')[];
  /** How many folder levels below each media dir to search too (0 = the dir itself only). Default 0, max 3. */
  maxDepth?: number;
}

export interface DiscoveredMedia {
  realPath: string;
  mtimeMs: number;
  sizeBytes: number;
}

const MAX_ENTRIES_SCANNED = 20_000;

/**
 * Newest media files in the media dirs (newest mtime first). Skips hidden files and folders, files
 * whose extension is not a photo/video type, non-regular files, links leading outside the media
 * dirs, and anything in `exclude`. Symlinked folders are not descended into.
 */
export async function discoverNewest(mediaDirs: string[], options: DiscoverOptions): Promise<DiscoveredMedia[]> {
  const { dirs } = await realMediaDirs(mediaDirs);
  const limit = Math.max(0, Math.floor(options.limit));
  if (limit === 0) return [];
  const kinds = options.kinds && options.kinds.length > 0 ? options.kinds : ['image', 'video'];
  const extensions = new Set<string>([
    ...(kinds.includes('image') ? IMAGE_EXTENSIONS : []),
    ...(kinds.includes('video') ? VIDEO_EXTENSIONS : []),
  ]);
  const maxDepth = Math.min(3, Math.max(0, Math.floor(options.maxDepth ?? 0)));
  const found = new Map<string, DiscoveredMedia>();
  const visitedDirs = new Set<string>();
  let scanned = 0;

  const walk = async (dir: string, depth: number): Promise<void> => {
    if (visitedDirs.has(dir) || scanned >= MAX_ENTRIES_SCANNED) return;
    visitedDirs.add(dir);
    let entries: Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const subdirs: string[] = [];
    for (const entry of entries) {
      if (++scanned > MAX_ENTRIES_SCANNED) break;
      const name = entry.name;
      if (name.startsWith('.') || FORBIDDEN_CHARS.test(name)) continue;
      const full = path.join(dir, name);
      if (entry.isDirectory()) {
        if (depth < maxDepth) subdirs.push(full);
        continue;
      }
      if (!entry.isFile() && !entry.isSymbolicLink()) continue;
      if (!extensions.has(path.extname(name).toLowerCase())) continue;
      try {
        const real = await fsp.realpath(full);
        if (!dirs.some((d) => isInside(real, d.real))) continue;
        if (options.exclude.has(real) || found.has(real)) continue;
        const st = await fsp.stat(real);
        if (!st.isFile()) continue;
        found.set(real, { realPath: real, mtimeMs: st.mtimeMs, sizeBytes: st.size });
      } catch {
        // Vanished or unreadable: skip.
      }
    }
    for (const sub of subdirs) await walk(sub, depth + 1);
  };

  for (const d of dirs) await walk(d.real, 0);
  return [...found.values()]
    .sort((a, b) => b.mtimeMs - a.mtimeMs || a.realPath.localeCompare(b.realPath))
    .slice(0, limit);
}
