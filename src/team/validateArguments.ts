import type { Tool } from '@modelcontextprotocol/client';
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formatsPlugin from 'ajv-formats';
import { InputError } from '../errors/InputError.js';

/** Outcome of {@link validateArguments}. */
export type ArgumentsCheck =
  | {
      readonly valid: true /** Set when the schema could not be compiled and the args went unchecked. */;
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
};

const MAX_PROBLEMS = 10;

const instances = new Map<Dialect, Ajv>();
const compiled = new WeakMap<object, CompiledInputSchema>();

/**
 * Checks a call's arguments against the tool's `inputSchema` before anything is sent. The schema
 * is compiled once per schema object (ajv, all errors, formats; JSON Schema 2020-12 unless
 * `$schema` names draft-07 or 2019-09, as SEP-1613 says). A schema ajv cannot compile does not
 * block the tool: the check passes with a `warning` to log.
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
  if (validate(args ?? {})) return { valid: true };
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
  const schema: object = tool.inputSchema;
  const cached = compiled.get(schema);
  if (cached) return cached;
  const first = dialectOf(schema);
  // A shared Ajv remembers every `$id` it compiled, and tools of different servers may reuse one
  // (an outside `$ref` can even send it into endless recursion): such schemas get their own Ajv.
  const isolated = /"\$id"|"\$ref":"(?!#)/.test(JSON.stringify(schema));
  let result: CompiledInputSchema | undefined;
  let reason = '';
  // A draft-07 schema without `$schema` (tuple `items`...) fails as 2020-12: give it a second chance.
  for (const dialect of first === 'draft-07' ? [first] : [first, 'draft-07' as const]) {
    try {
      result = { validate: ajvFor(dialect, isolated).compile(schema) };
      break;
    } catch (e) {
      reason ||= e instanceof Error ? e.message : String(e);
    }
  }
  result ??= {
    warning: `[${server}] ${tool.name}: its input schema could not be compiled (${reason}); arguments are sent unchecked.`,
  };
  compiled.set(schema, result);
  return result;
}

function dialectOf(schema: object): Dialect {
  const declared = '$schema' in schema && typeof schema.$schema === 'string' ? schema.$schema : '';
  if (/draft-0[67]\b/.test(declared)) return 'draft-07';
  if (declared.includes('2019-09')) return '2019-09';
  return '2020-12';
}

function ajvFor(dialect: Dialect, isolated: boolean): Ajv {
  const shared = isolated ? undefined : instances.get(dialect);
  if (shared) return shared;
  const ajv =
    dialect === '2020-12'
      ? new Ajv2020(AJV_OPTIONS)
      : dialect === '2019-09'
        ? new Ajv2019(AJV_OPTIONS)
        : new Ajv(AJV_OPTIONS);
  formatsPlugin.default(ajv);
  if (!isolated) instances.set(dialect, ajv);
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
