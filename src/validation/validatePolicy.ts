import type { ZodType } from 'zod';
import { definePolicy, type Policy } from '../policy/Policy.js';
import { parseOrThrow } from './validate.js';

/**
 * Checks input before anything runs: `validate(schema, value)` parses `value` with a zod schema
 * (`parseOrThrow`), `validate(check)` runs any check that throws (`validateTask`, `validateRecord`).
 * Bad input throws a `ValidationError` (kind `input`: never retried, and the work never runs).
 * Put it outermost, so that a fallback does not answer for input that was wrong.
 *
 * @example
 * const outcome = await run(wrap(validate(z.string().min(1), task, { name: 'task' }), retry(), timeout(60_000)), (ctx) => ask(task, ctx));
 * if (outcome.status === 'failed' && outcome.error.kind === 'input') console.error(outcome.error.message);
 */
export function validate(schema: ZodType<unknown>, value: unknown, options?: { name?: string }): Policy;
export function validate(check: () => unknown): Policy;
export function validate(
  schemaOrCheck: ZodType<unknown> | (() => unknown),
  value?: unknown,
  options: { name?: string } = {},
): Policy {
  const check =
    typeof schemaOrCheck === 'function' ? schemaOrCheck : () => parseOrThrow(schemaOrCheck, value, options);
  return definePolicy(async (work, ctx) => {
    check();
    return work(ctx);
  });
}
