import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Tool } from '@modelcontextprotocol/client';
import type { Ajv, ErrorObject, Options, ValidateFunction } from 'ajv';
import type { Ajv2019 } from 'ajv/dist/2019.js';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { InputError } from '../errors/InputError.js';
import { collectUnchecked, safeRegExp } from './safePattern.js';
import { MAX_COMPILED_SCHEMAS, MAX_INPUT_SCHEMA_CHARS, MAX_INPUT_SCHEMA_DEPTH } from './toolLimits.js';

/** Outcome of {@link validateArguments}. */
export type ArgumentsCheck =
  | {
      readonly valid: true /** Set when the schema (or some of its patterns) could not be compiled: those went unchecked. */;
      readonly warning?: string;
    }
  | { readonly valid: false; readonly error: InputError };

type Dialect = 'draft-07' | '2019-09' | '2020-12';

/** A compiled input schema: a validator, or the reason there is none. */
export interface CompiledInputSchema {
  readonly validate?: ValidateFunction;
  readonly warning?: string;
}

const AJV_OPTIONS: Options = {
  strict: false,
  allErrors: true,
  verbose: true,
  addUsedSchema: false,
  // The meta-schemas of other dialects are not loaded; a broken schema fails at compile time anyway.
  validateSchema: false,
  logger: false,
  // Server-supplied patterns must not block the event loop (see safePattern.ts).
  code: { regExp: safeRegExp },
};

const MAX_PROBLEMS = 10;

/** What one schema compiled to, shared by every tool whose schema has the same JSON. */
interface CacheEntry {
  readonly validate?: ValidateFunction;
  /** Why there is no validator (compile error, size), without the server and tool names. */
  readonly failure?: string;
  /** Patterns left unchecked because they could block the event loop. */
  readonly unchecked: readonly string[];
}

/** Compiled validators by schema hash, least recently used first (bounded by MAX_COMPILED_SCHEMAS). */
const cache = new Map<string, CacheEntry>();
/** Live tools per schema hash (see {@link retainInputSchema}); tools made outside a registry are not counted. */
const refs = new Map<string, number>();
/** Schema object -> hash, so a call does not serialize its tool's schema again. Holds no validator. */
const hashes = new WeakMap<object, string>();

/**
 * Checks a call's arguments against the tool's `inputSchema` before anything is sent. The schema
 * is compiled once per schema JSON (ajv, all errors, formats; JSON Schema 2020-12 unless
 * `$schema` names draft-07 or 2019-09, as SEP-1613 says) and kept in an LRU of
 * {@link MAX_COMPILED_SCHEMAS} validators. A schema ajv cannot compile, or one over
 * {@link MAX_INPUT_SCHEMA_CHARS} characters or {@link MAX_INPUT_SCHEMA_DEPTH} levels, does not
 * block the tool: the check passes with a `warning` to log. Patterns that could backtrack for
 * seconds (`^(a+)+$`) are left unchecked and named in the warning.
 *
 * @example
 * const check = validateArguments('files', tool, { limit: 'ten' });
 * if (!check.valid) return `Error: ${check.error.message}`;
 * // [files] read_file: "path" is required; "limit" must be a number. Fix the arguments ...
 */
export function validateArguments(
  server: string,
  tool: Pick<Tool, 'name' | 'inputSchema'>,
  args: unknown,
): ArgumentsCheck {
  const { validate, warning } = compileInputSchema(server, tool);
  if (!validate) return warning ? { valid: true, warning } : { valid: true };
  if (validate(args ?? {})) return warning ? { valid: true, warning } : { valid: true };
  const problems = describeProblems(validate.errors ?? []);
  return {
    valid: false,
    error: new InputError(`${tool.name}: ${problems.join('; ')}.`, {
      server,
      hint: "Fix the arguments to match the tool's input schema and call it again.",
    }),
  };
}

/** Compiles (or takes from the cache) the validator of a tool's input schema. */
export function compileInputSchema(
  server: string,
  tool: Pick<Tool, 'name' | 'inputSchema'>,
): CompiledInputSchema {
  const entry = entryFor(tool.inputSchema);
  const prefix = `[${server}] ${tool.name}:`;
  if (!entry.validate) {
    return {
      warning: `${prefix} ${entry.failure ?? 'its input schema was not compiled'}; arguments are sent unchecked.`,
    };
  }
  if (entry.unchecked.length === 0) return entry as CompiledInputSchema;
  return {
    validate: entry.validate,
    warning: `${prefix} ${entry.unchecked.length} pattern(s) of its input schema could block the event loop and are not checked: ${entry.unchecked.slice(0, 3).join(', ')}.`,
  };
}

/**
 * Counts one more live tool on this schema (a registry calls it when it offers the tool). It
 * does not compile: a tool's validator is compiled when it is first needed.
 */
export function retainInputSchema(schema: object): void {
  const key = hashes.get(schema) ?? hashOf(schema);
  refs.set(key, (refs.get(key) ?? 0) + 1);
}

/**
 * Counts one live tool less; the validator is dropped when none is left (a registry calls it when a
 * tool disappears from its server's list).
 */
export function releaseInputSchema(schema: object): void {
  const key = hashes.get(schema) ?? hashOf(schema);
  const left = (refs.get(key) ?? 0) - 1;
  if (left > 0) {
    refs.set(key, left);
    return;
  }
  refs.delete(key);
  cache.delete(key);
}

/** Validators held now (at most {@link MAX_COMPILED_SCHEMAS}). */
export function compiledSchemaCount(): number {
  return cache.size;
}

function entryFor(schema: object): CacheEntry {
  const key = hashes.get(schema) ?? hashOf(schema);
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const entry = compile(schema);
  cache.set(key, entry);
  while (cache.size > MAX_COMPILED_SCHEMAS) cache.delete(cache.keys().next().value as string);
  return entry;
}

function hashOf(schema: object): string {
  let json: string;
  try {
    json = JSON.stringify(schema) ?? 'undefined';
  } catch {
    json = `unserializable:${String(schema)}`;
  }
  const key =
    json.length > MAX_INPUT_SCHEMA_CHARS
      ? `oversize:${json.length}:${createHash('sha256').update(json).digest('base64')}`
      : createHash('sha256').update(json).digest('base64');
  hashes.set(schema, key);
  return key;
}

function compile(schema: object): CacheEntry {
  const size = JSON.stringify(schema)?.length ?? 0;
  if (size > MAX_INPUT_SCHEMA_CHARS) {
    return {
      failure: `its input schema has ${size} characters (limit ${MAX_INPUT_SCHEMA_CHARS}) and is not compiled`,
      unchecked: [],
    };
  }
  const depth = schemaDepth(schema, MAX_INPUT_SCHEMA_DEPTH + 1);
  if (depth > MAX_INPUT_SCHEMA_DEPTH) {
    return {
      failure: `its input schema nests deeper than ${MAX_INPUT_SCHEMA_DEPTH} levels and is not compiled`,
      unchecked: [],
    };
  }
  const first = dialectOf(schema);
  let reason = '';
  // A draft-07 schema without `$schema` (tuple `items`...) fails as 2020-12: give it a second chance.
  for (const dialect of first === 'draft-07' ? [first] : [first, 'draft-07' as const]) {
    try {
      // One Ajv per schema: an Ajv keeps every schema, `$id` and pattern it ever compiled, so a
      // shared one grows with every refresh. A validator and its Ajv are released together.
      const { value, unchecked } = collectUnchecked(() => newAjv(dialect).compile(schema));
      return { validate: value, unchecked };
    } catch (e) {
      reason ||= e instanceof Error ? e.message : String(e);
    }
  }
  return {
    failure: `its input schema could not be compiled (${reason.slice(0, 300)})`,
    unchecked: [],
  };
}

/** Nesting depth of a JSON value, counted up to `stop`. */
export function schemaDepth(value: unknown, stop: number, depth = 0): number {
  if (depth >= stop || typeof value !== 'object' || value === null) return depth;
  let deepest = depth;
  for (const child of Object.values(value)) {
    deepest = Math.max(deepest, schemaDepth(child, stop, depth + 1));
    if (deepest >= stop) break;
  }
  return deepest;
}

function dialectOf(schema: object): Dialect {
  const declared = '$schema' in schema && typeof schema.$schema === 'string' ? schema.$schema : '';
  if (/draft-0[67]\b/.test(declared)) return 'draft-07';
  if (declared.includes('2019-09')) return '2019-09';
  return '2020-12';
}

interface AjvModules {
  Ajv: typeof Ajv;
  Ajv2019: typeof Ajv2019;
  Ajv2020: typeof Ajv2020;
  addFormats: (ajv: Ajv) => unknown;
}
let ajvModules: AjvModules | undefined;

/**
 * ajv and ajv-formats, loaded by the first schema compiled: importing the runtime does not pay
 * for them. Both are CommonJS, so `require` gives the very modules an `import` would.
 */
function loadAjv(): AjvModules {
  if (!ajvModules) {
    const require = createRequire(import.meta.url);
    ajvModules = {
      Ajv: (require('ajv') as { Ajv: typeof Ajv }).Ajv,
      Ajv2019: (require('ajv/dist/2019.js') as { Ajv2019: typeof Ajv2019 }).Ajv2019,
      Ajv2020: (require('ajv/dist/2020.js') as { Ajv2020: typeof Ajv2020 }).Ajv2020,
      addFormats: (require('ajv-formats') as { default: (ajv: Ajv) => unknown }).default,
    };
  }
  return ajvModules;
}

function newAjv(dialect: Dialect): Ajv {
  const ajvs = loadAjv();
  const ajv =
    dialect === '2020-12'
      ? new ajvs.Ajv2020(AJV_OPTIONS)
      : dialect === '2019-09'
        ? new ajvs.Ajv2019(AJV_OPTIONS)
        : new ajvs.Ajv(AJV_OPTIONS);
  ajvs.addFormats(ajv);
  return ajv;
}

/** One readable line per problem: `"path" is required`, `"limit" must be a number`. */
export function describeProblems(errors: readonly ErrorObject[]): string[] {
  const branches = errors
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .map((e) => `${e.schemaPath}/`);
  const lines: string[] = [];
  for (const error of errors) {
    // Errors inside the branches of a failed anyOf/oneOf are summed up by that error.
    if (branches.some((prefix) => error.schemaPath.startsWith(prefix))) continue;
    const line = describeProblem(error, errors);
    if (!lines.includes(line)) lines.push(line);
  }
  if (lines.length <= MAX_PROBLEMS) return lines;
  return [...lines.slice(0, MAX_PROBLEMS), `and ${lines.length - MAX_PROBLEMS} more problems`];
}

function describeProblem(error: ErrorObject, all: readonly ErrorObject[]): string {
  const at = fieldName(error.instancePath);
  const field = at ? `"${at}"` : 'the arguments';
  const params: Record<string, unknown> = error.params;
  switch (error.keyword) {
    case 'required':
      return `"${join(at, String(params.missingProperty))}" is required`;
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const extra = params.additionalProperty ?? params.unevaluatedProperty;
      return `"${join(at, String(extra))}" is not an accepted argument`;
    }
    case 'type':
      return `${field} must be ${typePhrase(params.type)}`;
    case 'enum':
      return `${field} must be one of ${listValues(params.allowedValues)}`;
    case 'const':
      return `${field} must be ${JSON.stringify(params.allowedValue)}`;
    case 'format':
      return `${field} must be a valid ${String(params.format)}`;
    case 'anyOf':
    case 'oneOf':
      return branchProblem(error, field, all);
    default:
      return `${field} ${error.message ?? 'is invalid'}`;
  }
}

function branchProblem(error: ErrorObject, field: string, all: readonly ErrorObject[]): string {
  if (error.keyword === 'oneOf' && error.params.passingSchemas) {
    return `${field} matches more than one of the accepted forms`;
  }
  const prefix = `${error.schemaPath}/`;
  const inner = all.filter((e) => e.schemaPath.startsWith(prefix) && e.instancePath === error.instancePath);
  const types = inner.filter((e) => e.keyword === 'type').map((e) => typePhrase(e.params.type));
  const branchCount = Array.isArray(error.schema) ? error.schema.length : Number.NaN;
  if (types.length > 0 && types.length === branchCount)
    return `${field} must be ${[...new Set(types)].join(' or ')}`;
  return `${field} does not match any of the accepted forms`;
}

/** `/options/0/name` -> `options[0].name`; the root is ''. */
function fieldName(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : join(path, segment)), '');
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

const ARTICLES: Record<string, string> = {
  array: 'an array',
  boolean: 'a boolean',
  integer: 'an integer',
  null: 'null',
  number: 'a number',
  object: 'an object',
  string: 'a string',
};

function typePhrase(type: unknown): string {
  const names = Array.isArray(type) ? type.map(String) : String(type).split(',');
  return names.map((name) => ARTICLES[name] ?? name).join(' or ');
}

function listValues(values: unknown): string {
  if (!Array.isArray(values)) return 'the allowed values';
  const shown = values.slice(0, 10).map((v) => JSON.stringify(v));
  return values.length > 10 ? `${shown.join(', ')}, ...` : shown.join(', ');
}
