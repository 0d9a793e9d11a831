/**
 * Checks every tool's arguments share, after the schema: no string may carry a control character
 * (C0 controls other than tab, line feed and carriage return, or DEL) or a lone UTF-16 surrogate.
 * Neither is meaningful in an id, a path, a URL, a token or a caption; NUL bytes truncate strings in
 * C APIs, controls hide text from the person reading it, and a lone surrogate cannot be encoded as
 * UTF-8 (it would reach SQLite and Instagram altered). Refused before any handler runs.
 */
import type { z } from 'zod';
import { AppError } from '../errors.js';

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const MAX_DEPTH = 10;

/** The first bad string in `value` as an error naming its place (e.g. `media[1].source`), or undefined. */
export function findBadText(value: unknown, path = '', depth = 0): AppError | undefined {
  if (typeof value === 'string') {
    const where = path || 'an argument';
    const control = CONTROL.exec(value);
    if (control) {
      const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
      return new AppError(
        'invalid_argument',
        `${where} contains a control character (U+${code}) at position ${control.index}.`,
        'Remove it and call again: text may hold tabs and line breaks, but no other control characters.',
        { field: where },
      );
    }
    const lone = LONE_SURROGATE.exec(value);
    if (lone) {
      return new AppError(
        'invalid_argument',
        `${where} contains malformed text (a lone UTF-16 surrogate) at position ${lone.index}, which cannot be sent as UTF-8.`,
        'Send valid Unicode text.',
        { field: where },
      );
    }
    return undefined;
  }
  if (!value || typeof value !== 'object' || depth >= MAX_DEPTH) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = findBadText(value[i], `${path}[${i}]`, depth + 1);
      if (bad) return bad;
    }
    return undefined;
  }
  for (const [key, inner] of Object.entries(value)) {
    const bad = findBadText(inner, path ? `${path}.${key}` : key, depth + 1);
    if (bad) return bad;
  }
  return undefined;
}

// ------------------------------------------------------------------------------ parsing arguments

/** Zod's internals, as far as walking an input schema needs them. */
interface SchemaDef {
  type: string;
  shape?: Record<string, { _zod: { def: SchemaDef } }>;
  innerType?: { _zod: { def: SchemaDef } };
  element?: { _zod: { def: SchemaDef } };
  options?: { _zod: { def: SchemaDef } }[];
  in?: { _zod: { def: SchemaDef } };
}
type Walkable = { _zod: { def: SchemaDef } };

/** The argument names an object at `path` inside `schema` accepts (every branch of a union counts). */
function keysAt(schema: Walkable, path: readonly PropertyKey[]): string[] {
  const def = schema._zod.def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      return def.innerType ? keysAt(def.innerType, path) : [];
    case 'pipe':
      return def.in ? keysAt(def.in, path) : [];
    case 'union':
      return [...new Set((def.options ?? []).flatMap((o) => keysAt(o, path)))];
    case 'array':
      return path.length && typeof path[0] === 'number' && def.element ? keysAt(def.element, path.slice(1)) : [];
    case 'object': {
      const shape = def.shape ?? {};
      if (path.length === 0) return Object.keys(shape);
      const next = shape[String(path[0])];
      return next ? keysAt(next, path.slice(1)) : [];
    }
    default:
      return [];
  }
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The accepted name closest to an unknown one (`metric` → `metrics`, `id` → `media_id`), if any is close. */
export function nearestName(unknown: string, accepted: readonly string[]): string | undefined {
  const wanted = unknown.toLowerCase().replace(/[-\s]/g, '_');
  let best: { name: string; score: number } | undefined;
  for (const name of accepted) {
    const distance = editDistance(wanted, name);
    const related = name.endsWith(`_${wanted}`) || name.startsWith(`${wanted}_`) || wanted.endsWith(`_${name}`) || wanted.startsWith(`${name}_`);
    const score = related ? Math.min(distance, 1.5) : distance;
    if (score <= Math.max(2, Math.floor(name.length / 3)) && (!best || score < best.score)) best = { name, score };
  }
  return best?.name;
}

const place = (path: readonly PropertyKey[]) =>
  path.reduce<string>((out, seg) => (typeof seg === 'number' ? `${out}[${seg}]` : out ? `${out}.${String(seg)}` : String(seg)), '');

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
  errors?: Issue[][];
}

/** Zod's issue as a sentence about the argument; a failed union reports its closest branch. */
function describeIssue(schema: Walkable, issue: Issue, basePath: PropertyKey[] = []): string {
  const path = [...basePath, ...issue.path];
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    const accepted = keysAt(schema, path);
    return issue.keys
      .map((key) => {
        const near = nearestName(key, accepted);
        const where = path.length ? ` in ${place(path)}` : '';
        return `unknown argument \`${key}\`${where}${near ? ` (did you mean \`${near}\`?)` : accepted.length ? ` (accepted: ${accepted.join(', ')})` : ''}`;
      })
      .join('; ');
  }
  if (issue.code === 'invalid_union' && issue.errors?.length) {
    // A branch of the wrong type altogether (a string where an object was sent) is not the one meant.
    const wrongType = (branch: Issue[]) => branch.every((i) => i.code === 'invalid_type' && i.path.length === 0);
    const meant = issue.errors.filter((branch) => branch.length && !wrongType(branch)).sort((a, b) => a.length - b.length || depth(b) - depth(a))[0];
    if (meant) return meant.map((i) => describeIssue(schema, i, path)).join('; ');
  }
  const message = issue.message.replace(/^Invalid input: /, '');
  return path.length ? `\`${place(path)}\`: ${message}` : message;
}
const depth = (issues: Issue[]) => Math.max(0, ...issues.map((i) => i.path.length));

/**
 * Parses a tool's arguments with its (strict) input schema. A failure is an `invalid_arguments`
 * error naming each argument, and for an unknown one the nearest accepted name: never ignored.
 */
export function parseArguments<T>(toolName: string, schema: z.ZodType<T>, args: unknown): T {
  const parsed = schema.safeParse(args ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues as unknown as Issue[];
  const sentences = issues.slice(0, 5).map((i) => describeIssue(schema as unknown as Walkable, i));
  throw new AppError(
    'invalid_arguments',
    `Invalid arguments for ${toolName}: ${sentences.join('; ')}.`,
    "Fix these arguments and call again; the tool's inputSchema lists every accepted argument.",
    { issues: issues.slice(0, 5).map((i) => ({ path: place(i.path), code: i.code })) },
  );
}
