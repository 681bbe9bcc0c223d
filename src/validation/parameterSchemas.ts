import { type ZodType, z } from 'zod';
import { ConfigurationError } from '../errors/ConfigurationError.js';

/** Rules for a text parameter. Defaults follow the guide: 0 to 10 000 characters. */
export interface StringRules {
  /** Parameter name used in messages. Default `value`. */
  name?: string;
  minLength?: number;
  maxLength?: number;
  /**
   * A RegExp is used as given; a string must match the whole value (it is anchored), unlike the
   * guide's `re.match`, which let `"abc!"` pass `"[a-z]+"`.
   */
  pattern?: RegExp | string;
}

/** Rules for a numeric parameter. NaN, Infinity and booleans are always rejected. */
export interface NumberRules {
  name?: string;
  min?: number;
  max?: number;
  integer?: boolean;
  /** Accept numeric text such as `"12"` or `" 3.5 "` (the guide's `float(value)`). Default false. */
  coerce?: boolean;
}

/** A rule for one key of a record: one of ours by `type`, or any zod schema. */
export type FieldRule =
  | ({ type: 'string' } & Omit<StringRules, 'name'>)
  | ({ type: 'number' } & Omit<NumberRules, 'name'>)
  | ({ type: 'record' } & Omit<RecordRules, 'name'>)
  | ZodType;

/** Rules for an object parameter (the guide's `validate_dict`). */
export interface RecordRules {
  name?: string;
  /** Keys that must be present. */
  required?: readonly string[];
  /** When given, the only keys accepted (required keys are always accepted). */
  allowed?: readonly string[];
  /** Checks for the value of each key, when the key is present. */
  fields?: Readonly<Record<string, FieldRule>>;
}

/** `null`, `array`, or the `typeof` name: what the caller actually passed. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value;
}

const param = (name: string | undefined) => `Parameter '${name ?? 'value'}'`;

function checkRange(what: string, low: number | undefined, high: number | undefined): void {
  if (low !== undefined && high !== undefined && low > high) {
    throw new ConfigurationError(
      `${what}: the lower bound ${low} is above the upper bound ${high}; swap them.`,
    );
  }
}

function anchored(pattern: RegExp | string): RegExp {
  if (typeof pattern === 'string') return new RegExp(`^(?:${pattern})$`);
  // A global or sticky RegExp keeps lastIndex between calls, so the same value would pass, then fail.
  return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
}

/**
 * The zod schema behind {@link validateString}, for composing into larger schemas.
 *
 * @example stringSchema({ name: 'task', minLength: 1, maxLength: 5_000 }).parse('List files')
 */
export function stringSchema(rules: StringRules = {}): ZodType<string> {
  const { minLength = 0, maxLength = 10_000, pattern } = rules;
  checkRange(`stringSchema(${rules.name ?? 'value'})`, minLength, maxLength);
  const p = param(rules.name);
  let schema = z
    .string({ error: (iss) => `${p} must be a string (got ${describeType(iss.input)}).` })
    .min(minLength, {
      error: (iss) => `${p} is too short: ${String(iss.input).length} characters (min ${minLength}).`,
    })
    .max(maxLength, {
      error: (iss) => `${p} is too long: ${String(iss.input).length} characters (max ${maxLength}).`,
    });
  if (pattern !== undefined) {
    const re = anchored(pattern);
    schema = schema.regex(re, { error: () => `${p} does not match the pattern ${String(pattern)}.` });
  }
  return schema;
}

const NUMERIC_TEXT = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?\s*$/i;

/**
 * The zod schema behind {@link validateNumber}.
 *
 * @example numberSchema({ name: 'limit', min: 1, max: 100, integer: true }).parse(10)
 */
export function numberSchema(rules: NumberRules = {}): ZodType<number> {
  const { min, max, integer = false, coerce = false } = rules;
  checkRange(`numberSchema(${rules.name ?? 'value'})`, min, max);
  const p = param(rules.name);
  let schema = z.number({
    error: (iss) => `${p} must be a finite number (got ${describeType(iss.input)}).`,
  });
  if (integer)
    schema = schema.int({ error: (iss) => `${p} must be a whole number (got ${String(iss.input)}).` });
  if (min !== undefined)
    schema = schema.min(min, { error: (iss) => `${p} is too small: ${String(iss.input)} (min ${min}).` });
  if (max !== undefined)
    schema = schema.max(max, { error: (iss) => `${p} is too large: ${String(iss.input)} (max ${max}).` });
  if (!coerce) return schema;
  return z.preprocess(
    (value) => (typeof value === 'string' && NUMERIC_TEXT.test(value) ? Number(value) : value),
    schema,
  ) as unknown as ZodType<number>;
}

function isZodSchema(rule: FieldRule): rule is ZodType {
  return typeof rule === 'object' && rule !== null && '_zod' in rule;
}

function fieldSchema(rule: FieldRule, name: string): ZodType {
  if (isZodSchema(rule)) return rule;
  const { type, ...rest } = rule;
  if (type === 'string') return stringSchema({ ...rest, name });
  if (type === 'number') return numberSchema({ ...rest, name });
  return recordSchema({ ...(rest as Omit<RecordRules, 'name'>), name });
}

/** `params` + `['options', 0, 'depth']` -> `params.options[0].depth`. */
export function joinPath(name: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : `${out}.${String(key)}`),
    name,
  );
}

const sortedList = (keys: Iterable<string>) => [...keys].sort().join(', ');

/**
 * The zod schema behind {@link validateRecord}. Field values come out parsed (a coerced number is
 * a number); unknown keys are rejected only when `allowed` is given.
 *
 * @example recordSchema({ name: 'params', required: ['action'], fields: { depth: { type: 'number', integer: true } } })
 */
export function recordSchema(rules: RecordRules = {}): ZodType<Record<string, unknown>> {
  const name = rules.name ?? 'value';
  const p = param(name);
  const required = rules.required ?? [];
  const allowed = rules.allowed ? new Set([...rules.allowed, ...required]) : undefined;
  const fields = Object.entries(rules.fields ?? {}).map(
    ([key, rule]) => [key, fieldSchema(rule, `${name}.${key}`), isZodSchema(rule)] as const,
  );
  return z
    .custom<Record<string, unknown>>(
      (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
      { error: (iss) => `${p} must be an object (got ${describeType(iss.input)}).` },
    )
    .transform((value, ctx) => {
      const missing = required.filter((key) => !Object.hasOwn(value, key));
      if (missing.length > 0) {
        ctx.issues.push({
          code: 'custom',
          input: value,
          message: `Missing required keys: ${sortedList(missing)} (in parameter '${name}').`,
        });
      }
      if (allowed) {
        const invalid = Object.keys(value).filter((key) => !allowed.has(key));
        if (invalid.length > 0) {
          ctx.issues.push({
            code: 'custom',
            input: value,
            message: `Invalid keys: ${sortedList(invalid)} (in parameter '${name}'; allowed: ${sortedList(allowed)}).`,
          });
        }
      }
      const out: Record<string, unknown> = { ...value };
      for (const [key, schema, foreign] of fields) {
        if (!Object.hasOwn(value, key)) continue;
        const parsed = schema.safeParse(value[key]);
        if (parsed.success) {
          out[key] = parsed.data;
          continue;
        }
        for (const issue of parsed.error.issues) {
          // Our own rules already name the parameter; a caller's zod schema says only what is wrong.
          const message = foreign
            ? `${param(joinPath(name, [key, ...issue.path]))}: ${issue.message}`
            : issue.message;
          ctx.issues.push({ code: 'custom', input: value[key], path: [key, ...issue.path], message });
        }
      }
      return out;
    });
}
