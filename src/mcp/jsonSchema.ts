/**
 * The JSON Schemas `tools/list` shows. Every conversation pays for them, so they carry what an agent
 * needs and nothing twice:
 * - input schemas with types, enums, numeric ranges and descriptions (not the string-length guards),
 *   with any repeated part of 100 bytes or more written once under `$defs`;
 * - output schemas as the top-level fields and their types. The server checks every result against
 *   the full zod schema before sending it; the client's copy only has to tell an agent what comes back.
 */
import { z } from 'zod';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function convert(schema: z.ZodType, io: 'input' | 'output'): Json {
  const json = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
    override: ({ jsonSchema: node }) => {
      // z.int() adds the safe-integer range, which tells an agent nothing.
      if (node.maximum === Number.MAX_SAFE_INTEGER) delete node.maximum;
      if (node.minimum === Number.MIN_SAFE_INTEGER) delete node.minimum;
      // String lengths are the server's guards (zod refuses with a clear error); Instagram's own
      // limits (2200-character captions and comments) are in the descriptions.
      if (typeof node.maxLength === 'number') delete node.maxLength;
      if (node.minLength === 1) delete node.minLength;
      if (Array.isArray(node.enum) && node.type === 'string') delete node.type;
    },
  }) as Json;
  // MCP (2025-11-25) takes 2020-12 as the default dialect; naming it costs bytes and trips draft-07 validators.
  delete json.$schema;
  return json;
}

const MIN_SHARED_BYTES = 100;

/** Moves every subtree that appears more than once (and is worth it) into `$defs`, named after where it first appears. */
function shareRepeats(root: Json): Json {
  const seen = new Map<string, { count: number; name: string }>();
  const visit = (node: unknown, name: string, isRoot = false) => {
    if (Array.isArray(node)) return node.forEach((n) => visit(n, name));
    if (!isObject(node)) return;
    const key = JSON.stringify(node);
    if (!isRoot && key.length >= MIN_SHARED_BYTES) {
      const entry = seen.get(key);
      if (entry) {
        entry.count++;
        return; // its insides are counted once
      }
      seen.set(key, { count: 1, name });
    }
    for (const [k, v] of Object.entries(node)) {
      if (k === 'properties' && isObject(v)) for (const [prop, inner] of Object.entries(v)) visit(inner, isObject(inner) && isObject(inner.properties) && 'source' in inner.properties ? 'media' : prop);
      else visit(v, k === 'items' ? `${name}_item` : name);
    }
  };
  visit(root, 'root', true);
  const shared = new Map<string, string>();
  const used = new Set<string>();
  for (const [key, { count, name }] of seen) {
    if (count < 2) continue;
    let unique = name;
    for (let i = 2; used.has(unique); i++) unique = `${name}_${i}`;
    used.add(unique);
    shared.set(key, unique);
  }
  if (shared.size === 0) return root;
  const defs: Json = {};
  const replace = (node: unknown, isDef = false): unknown => {
    if (Array.isArray(node)) return node.map((n) => replace(n));
    if (!isObject(node)) return node;
    const name = isDef ? undefined : shared.get(JSON.stringify(node));
    if (name) {
      if (!(name in defs)) defs[name] = replace(node, true);
      return { $ref: `#/$defs/${name}` };
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, replace(v)]));
  };
  const out = replace(root, true) as Json;
  return { ...out, $defs: defs };
}

/** A field's type alone (`{"type": ["string", "null"]}`, `{"type": "array"}`, `{}` for anything), or its values when it is an enum. */
function typeOf(node: Json): Json {
  if (Array.isArray(node.enum)) return { enum: node.enum };
  const types = new Set<string>();
  const collect = (n: Json) => {
    if (Array.isArray(n.anyOf)) for (const branch of n.anyOf) if (isObject(branch)) collect(branch);
    const t = n.type;
    if (typeof t === 'string') types.add(t);
    else if (Array.isArray(t)) for (const x of t) types.add(String(x));
    else if (Array.isArray(n.enum) || n.const !== undefined) types.add(typeof (n.const ?? (n.enum as unknown[])[0]));
  };
  collect(node);
  if (types.has('integer') && types.has('number')) types.delete('integer');
  const list = [...types];
  return list.length === 0 ? {} : { type: list.length === 1 ? list[0] : list };
}

export function inputJsonSchema(schema: z.ZodObject): Json {
  return shareRepeats(convert(schema, 'input'));
}

/**
 * Marks an output field as left out of the listed schema: still validated and sent, but not worth
 * every conversation's bytes (ids and timestamps an agent rarely needs to rely on by name).
 */
export function unlisted<T extends z.ZodType>(field: T): T {
  return field.meta({ unlisted: true });
}

export function outputJsonSchema(schema: z.ZodObject): Json {
  const json = convert(schema, 'output');
  const properties = isObject(json.properties) ? json.properties : {};
  const listed = Object.entries(properties).filter(([, v]) => !(isObject(v) && v.unlisted === true));
  return { type: 'object', properties: Object.fromEntries(listed.map(([k, v]) => [k, isObject(v) ? typeOf(v) : {}])) };
}
