import type { ZodType } from 'zod';
import {
  joinPath,
  type NumberRules,
  numberSchema,
  type RecordRules,
  recordSchema,
  type StringRules,
  stringSchema,
} from './parameterSchemas.js';
import { ValidationError, type ValidationIssue } from './ValidationError.js';

/**
 * Parses `value` with any zod schema; on failure throws a {@link ValidationError} listing every
 * issue. With `name`, messages of schemas that do not name the parameter get `Parameter 'name.path': `.
 *
 * @example const limit = parseOrThrow(z.number().int(), input.limit, { name: 'limit' });
 */
export function parseOrThrow<T>(schema: ZodType<T>, value: unknown, options: { name?: string } = {}): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const name = options.name;
  const issues: ValidationIssue[] = parsed.error.issues.map((issue) => {
    const path = joinPath(name ?? 'value', issue.path);
    const named =
      issue.message.startsWith('Parameter ') || /^(Missing required|Invalid) keys/.test(issue.message);
    return { path, message: name && !named ? `Parameter '${path}': ${issue.message}` : issue.message };
  });
  throw new ValidationError(issues);
}

/**
 * Checks a text parameter (the guide's `validate_string`): a string of `minLength`..`maxLength`
 * characters (default 0..10 000) matching `pattern`. Returns it; throws a ValidationError
 * (an InputError) otherwise.
 *
 * @example validateString(input.task, { name: 'task', minLength: 1, maxLength: 5_000 })
 * // throws "Parameter 'task' must be a string (got number). Fix the input and call again."
 */
export function validateString(value: unknown, rules: StringRules = {}): string {
  return parseOrThrow(stringSchema(rules), value, { name: rules.name ?? 'value' });
}

/**
 * Checks a numeric parameter (the guide's `validate_number`): a finite number (never NaN, Infinity
 * or a boolean; numeric text only with `coerce`) within `min`..`max`, whole with `integer`.
 *
 * @example validateNumber('12', { name: 'limit', min: 1, max: 100, integer: true, coerce: true }) // 12
 */
export function validateNumber(value: unknown, rules: NumberRules = {}): number {
  return parseOrThrow(numberSchema(rules), value, { name: rules.name ?? 'value' });
}

/**
 * Checks an object parameter (the guide's `validate_dict`): a plain object (not an array or null)
 * with every `required` key, no key outside `allowed` (when given), and each `fields` rule met.
 * Reports every problem at once, keys sorted.
 *
 * @example validateRecord(params, { name: 'params', required: ['action'], allowed: ['action', 'target', 'options'] })
 * // throws "Missing required keys: action (in parameter 'params'). Fix the input and call again."
 */
export function validateRecord(value: unknown, rules: RecordRules = {}): Record<string, unknown> {
  return parseOrThrow(recordSchema(rules), value, { name: rules.name ?? 'value' });
}
