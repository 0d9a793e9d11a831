/**
 * Graph field selection: parsing `fields=id,caption,children{id,media_type},media.limit(5){id}` and
 * rendering a node through a schema of field resolvers. Schemas are plain objects so later modules
 * can add fields (`mediaSchema.fields.insights = …`).
 */
import { errors } from './errors.js';
import type { RequestContext } from './router.js';

export interface FieldSpec {
  name: string;
  /** `.limit(5)` → { limit: '5' } */
  modifiers: Record<string, string>;
  /** `{…}` sub-selection. */
  children?: FieldSpec[];
}

export type FieldResolver<T> = (node: T, spec: FieldSpec, ctx: RequestContext) => unknown;

export interface NodeSchema<T> {
  /** Name used in "(#100) Tried accessing nonexisting field (x) on node type (…)". */
  typeName: string;
  /** How the node's id is read. */
  id: (node: T, ctx: RequestContext) => string;
  fields: Record<string, FieldResolver<T>>;
  /** Fields answered when the request has no `fields` (the id is always added). */
  defaultFields?: string[];
}

export function parseFields(input: string | undefined): FieldSpec[] | undefined {
  if (input === undefined || input.trim() === '') return undefined;
  const parser = new FieldParser(input);
  const list = parser.list();
  parser.end();
  return list;
}

class FieldParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  list(): FieldSpec[] {
    const out: FieldSpec[] = [];
    for (;;) {
      this.skipSpace();
      if (this.peek() === '}' || this.pos >= this.text.length) break;
      out.push(this.item());
      this.skipSpace();
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      break;
    }
    return out;
  }

  end(): void {
    this.skipSpace();
    if (this.pos < this.text.length) throw errors.invalidParam(`Syntax error "Expected end of string instead of "${this.text[this.pos]}"." at character ${this.pos}: ${this.text}`);
  }

  private item(): FieldSpec {
    const name = this.name();
    const modifiers: Record<string, string> = {};
    while (this.peek() === '.') {
      this.pos++;
      const modifier = this.name();
      if (this.peek() !== '(') throw errors.invalidParam(`Syntax error "Expected "(" after modifier ${modifier}" at character ${this.pos}: ${this.text}`);
      const close = this.text.indexOf(')', this.pos);
      if (close < 0) throw errors.invalidParam(`Syntax error "Unterminated modifier ${modifier}" at character ${this.pos}: ${this.text}`);
      modifiers[modifier] = this.text.slice(this.pos + 1, close).trim();
      this.pos = close + 1;
    }
    let children: FieldSpec[] | undefined;
    this.skipSpace();
    if (this.peek() === '{') {
      this.pos++;
      children = this.list();
      this.skipSpace();
      if (this.peek() !== '}') throw errors.invalidParam(`Syntax error "Expected "}"" at character ${this.pos}: ${this.text}`);
      this.pos++;
    }
    return { name, modifiers, children };
  }

  private name(): string {
    this.skipSpace();
    const match = /^[A-Za-z0-9_]+/.exec(this.text.slice(this.pos));
    if (!match) throw errors.invalidParam(`Syntax error "Field name expected" at character ${this.pos}: ${this.text}`);
    this.pos += match[0].length;
    return match[0];
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }
}

/** Throws 100 for the first requested field the schema does not know (the whole call fails). */
export function validateFields<T>(schema: NodeSchema<T>, specs: FieldSpec[] | undefined): void {
  for (const spec of specs ?? []) {
    if (spec.name !== 'id' && !(spec.name in schema.fields)) throw errors.nonexistingField(spec.name, schema.typeName);
  }
}

/** Renders a node: requested fields in order (resolvers returning undefined are omitted), id always present. */
export function renderNode<T>(
  schema: NodeSchema<T>,
  node: T,
  specs: FieldSpec[] | undefined,
  ctx: RequestContext,
): Record<string, unknown> {
  validateFields(schema, specs);
  const selected = specs ?? (schema.defaultFields ?? []).map((name) => ({ name, modifiers: {} }));
  const out: Record<string, unknown> = {};
  for (const spec of selected) {
    if (spec.name === 'id') {
      out['id'] = schema.id(node, ctx);
      continue;
    }
    const value = schema.fields[spec.name]!(node, spec, ctx);
    if (value !== undefined) out[spec.name] = value;
  }
  if (!('id' in out)) out['id'] = schema.id(node, ctx);
  return out;
}
