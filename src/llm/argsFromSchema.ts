import type { JsonSchema } from './boundTools.js';
import type { TaskValues } from './taskValues.js';
import { wordsOf } from './toolMatching.js';

const PATH_WORDS = new Set(['path', 'file', 'filename', 'filepath', 'dir', 'directory', 'folder', 'root']);
const URL_WORDS = new Set(['url', 'uri', 'href', 'link', 'endpoint']);
const MAX_DEPTH = 6;

type Kind = 'path' | 'url' | 'text';

/** Values not used yet while building one tool's arguments: each value goes to one field only. */
interface Pool {
  readonly text: string;
  readonly quoted: string[];
  readonly urls: string[];
  readonly paths: string[];
  readonly numbers: number[];
}

function kindOf(name: string, schema: JsonSchema): Kind {
  const words = wordsOf(name);
  if (schema.format === 'uri' || schema.format === 'url' || words.some((w) => URL_WORDS.has(w))) return 'url';
  if (words.some((w) => PATH_WORDS.has(w))) return 'path';
  return 'text';
}

function resolve(schema: JsonSchema, root: JsonSchema, depth = 0): JsonSchema {
  if (depth > MAX_DEPTH) return schema;
  if (typeof schema.$ref === 'string') {
    // Local references only (`#`, `#/$defs/X`, `#/definitions/X`): what zod and MCP servers emit.
    const match = /^#(?:\/(\$defs|definitions)\/(.+))?$/.exec(schema.$ref);
    if (!match) return {};
    const [, section, key] = match;
    const defs = section === '$defs' ? root.$defs : root.definitions;
    const target = key === undefined ? root : defs?.[key];
    return target ? resolve(target, root, depth + 1) : {};
  }
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    const branch = branches.find((b) => resolve(b, root, depth + 1).type !== 'null') ?? branches[0];
    return branch ? resolve(branch, root, depth + 1) : {};
  }
  if (schema.allOf) {
    const merged: JsonSchema = { ...schema, allOf: undefined, properties: { ...schema.properties } };
    const required = [...(schema.required ?? [])];
    for (const part of schema.allOf.map((p) => resolve(p, root, depth + 1))) {
      Object.assign(merged, part, { properties: Object.assign(merged.properties ?? {}, part.properties) });
      required.push(...(part.required ?? []));
    }
    return { ...merged, required };
  }
  return schema;
}

function typeOf(schema: JsonSchema): string | undefined {
  const { type } = schema;
  if (Array.isArray(type)) return type.find((t) => t !== 'null') ?? type[0];
  if (type !== undefined) return type;
  if (schema.properties) return 'object';
  if (schema.items) return 'array';
  return undefined;
}

function takeString(kind: Kind, schema: JsonSchema, pool: Pool): string {
  const order =
    kind === 'path'
      ? [pool.paths, pool.quoted, pool.urls]
      : kind === 'url'
        ? [pool.urls, pool.quoted, pool.paths]
        : [pool.quoted, pool.paths, pool.urls];
  for (const source of order) {
    const value = source.shift();
    if (value !== undefined) return value;
  }
  if (typeof schema.default === 'string') return schema.default;
  return pool.text;
}

function takeNumber(schema: JsonSchema, integer: boolean, pool: Pool): number {
  const fromTask = pool.numbers.shift();
  const lowest =
    schema.minimum ??
    (schema.exclusiveMinimum === undefined ? undefined : schema.exclusiveMinimum + (integer ? 1 : 0.5));
  const highest =
    schema.maximum ??
    (schema.exclusiveMaximum === undefined ? undefined : schema.exclusiveMaximum - (integer ? 1 : 0.5));
  let value = fromTask ?? (typeof schema.default === 'number' ? schema.default : (lowest ?? 0));
  if (integer) value = Math.trunc(value);
  if (lowest !== undefined && value < lowest) value = lowest;
  if (highest !== undefined && value > highest) value = highest;
  return value;
}

function takeArray(name: string, schema: JsonSchema, root: JsonSchema, pool: Pool, depth: number): unknown[] {
  const items = Array.isArray(schema.items) ? schema.items[0] : schema.items;
  const itemSchema = items ? resolve(items, root) : {};
  if (typeOf(itemSchema) === 'string' && itemSchema.enum === undefined) {
    const kind = kindOf(name, itemSchema);
    const source = kind === 'path' ? pool.paths : kind === 'url' ? pool.urls : pool.quoted;
    if (source.length > 0) return source.splice(0);
  }
  const count = schema.minItems ?? 0;
  return Array.from({ length: count }, () => valueFor(name, itemSchema, root, pool, depth + 1));
}

function valueFor(name: string, raw: JsonSchema, root: JsonSchema, pool: Pool, depth: number): unknown {
  const schema = resolve(raw, root);
  if ('const' in schema) return schema.const;
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  switch (typeOf(schema)) {
    case 'number':
      return takeNumber(schema, false, pool);
    case 'integer':
      return takeNumber(schema, true, pool);
    case 'boolean':
      return typeof schema.default === 'boolean' ? schema.default : false;
    case 'null':
      return null;
    case 'object':
      return depth >= MAX_DEPTH ? {} : objectFor(schema, root, pool, depth + 1);
    case 'array':
      return depth >= MAX_DEPTH ? [] : takeArray(name, schema, root, pool, depth);
    default:
      return takeString(kindOf(name, schema), schema, pool);
  }
}

function objectFor(schema: JsonSchema, root: JsonSchema, pool: Pool, depth: number): Record<string, unknown> {
  const properties = schema.properties ?? {};
  const required = [...new Set(schema.required ?? [])];
  // Path and URL fields pick first, so a free-text field listed before them does not take their value.
  const specific = required.filter((n) => kindOf(n, properties[n] ?? {}) !== 'text');
  const values = new Map<string, unknown>();
  for (const name of [...specific, ...required.filter((n) => !specific.includes(n))]) {
    values.set(name, valueFor(name, properties[name] ?? {}, root, pool, depth));
  }
  return Object.fromEntries(required.map((name) => [name, values.get(name)]));
}

/**
 * Builds minimal valid arguments for a tool from its JSON schema and the task: required fields only;
 * strings from quoted text, paths or URLs in the task (by field name), else the task text; numbers from
 * the task; enums their first value; booleans false; arrays and objects minimal.
 *
 * @example
 * argsFromSchema(
 *   { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
 *   extractTaskValues('read /tmp/notes.txt'),
 * ); // { path: '/tmp/notes.txt' }
 */
export function argsFromSchema(schema: JsonSchema, values: TaskValues): Record<string, unknown> {
  const pool: Pool = {
    text: values.text,
    quoted: [...values.quoted],
    urls: [...values.urls],
    paths: [...values.paths],
    numbers: [...values.numbers],
  };
  const root = resolve(schema, schema);
  return typeOf(root) === 'object' ? objectFor(root, schema, pool, 0) : {};
}
