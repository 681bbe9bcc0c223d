import type { ZodType } from 'zod';
import type { Policy } from '../policy/Policy.js';
import { type RecordRules, recordSchema, type StringRules, stringSchema } from './parameterSchemas.js';
import { isValidationError, ValidationError, type ValidationIssue } from './ValidationError.js';
import { parseOrThrow } from './validate.js';
import { validate } from './validatePolicy.js';

/** What a task and its parameters must look like before a team sees them. */
export interface TaskRules {
  /** Rules for the task text. Default 1 to 5 000 characters (the guide's). */
  task?: Omit<StringRules, 'name'> | undefined;
  /** Rules for the parameters: record rules, or any zod schema. Default: any object. */
  params?: Omit<RecordRules, 'name'> | ZodType<Record<string, unknown>> | undefined;
}

/** A task and parameters that passed their rules (parameters parsed, e.g. coerced numbers). */
export interface ValidatedTask {
  readonly task: string;
  readonly params: Record<string, unknown>;
}

function issuesOf(check: () => unknown): ValidationIssue[] {
  try {
    check();
    return [];
  } catch (e) {
    if (isValidationError(e)) return [...e.issues];
    throw e;
  }
}

/**
 * Checks a task and its parameters together and reports every problem of both in one
 * {@link ValidationError} (an InputError).
 *
 * @example
 * const { task, params } = validateTask(text, input, {
 *   params: { required: ['action'], allowed: ['action', 'target', 'options'] },
 * });
 */
export function validateTask(task: unknown, params: unknown, rules: TaskRules = {}): ValidatedTask {
  const taskSchema = stringSchema({ minLength: 1, maxLength: 5_000, ...rules.task, name: 'task' });
  const paramRules = rules.params ?? {};
  const paramSchema = '_zod' in paramRules ? paramRules : recordSchema({ ...paramRules, name: 'params' });
  let checkedTask = '';
  let checkedParams: Record<string, unknown> = {};
  const issues = [
    ...issuesOf(() => {
      checkedTask = parseOrThrow(taskSchema, task, { name: 'task' });
    }),
    ...issuesOf(() => {
      checkedParams = parseOrThrow(paramSchema, params ?? {}, { name: 'params' });
    }),
  ];
  if (issues.length > 0) throw new ValidationError(issues);
  return { task: checkedTask, params: checkedParams };
}

/**
 * How a validated task reaches the model: the text, then the parameters as JSON.
 *
 * @example formatTaskWithParams('Archive it', { target: 'q3.pdf' }) // 'Archive it\n\nParameters (JSON): {"target":"q3.pdf"}'
 */
export function formatTaskWithParams(task: string, params: Record<string, unknown>): string {
  return Object.keys(params).length === 0 ? task : `${task}\n\nParameters (JSON): ${JSON.stringify(params)}`;
}

/** Rules of {@link checkTask}: the task and parameter rules, and how the checked task is written for the model. */
export interface CheckTaskRules extends TaskRules {
  /** Builds the text sent to the team from the checked task and parameters. Default {@link formatTaskWithParams}. */
  format?: ((task: string, params: Record<string, unknown>) => string) | undefined;
}

/** A task checked for the one runner: the text to run and the policy that refuses it when it was invalid. */
export interface CheckedTask {
  /** The text to run (`format` of the checked task and parameters); the raw task, or `''`, when they were invalid (never sent). */
  readonly task: string;
  /** The checked parameters (coerced by their rules); `{}` when the input was invalid. */
  readonly params: Record<string, unknown>;
  /** Every problem of the task and the parameters, or `undefined` when both were valid. */
  readonly error: ValidationError | undefined;
  /**
   * A `validate` policy: throws {@link error} before anything runs when the input was invalid (the
   * outcome is `failed` with kind `input`, no attempt made, never retried), passes the turn through
   * otherwise. Put it outermost.
   */
  readonly policy: Policy;
}

/**
 * The guide's `execute_with_validation` for the one runner (which validated the parameters and then
 * never passed them on): checks the task and its parameters now, with {@link validateTask}, and
 * gives the text to run, with the checked parameters written in, and a `validate` policy to put
 * outermost in the pipeline, so that invalid input resolves `failed` (kind `input`, no attempt) and
 * the team is not called.
 *
 * @example
 * const checked = checkTask('Archive the report', { action: 'archive', target: 'q3.pdf' }, {
 *   params: { required: ['action'], allowed: ['action', 'target', 'options'] },
 * });
 * const outcome = await team.run(checked.task, { policy: wrap(checked.policy, retry({ maxAttempts: 3 })), timeoutMs: 60_000 });
 * if (outcome.status === 'failed') console.error(outcome.error.message);
 */
export function checkTask(task: unknown, params: unknown, rules: CheckTaskRules = {}): CheckedTask {
  let error: ValidationError | undefined;
  let valid: ValidatedTask | undefined;
  try {
    valid = validateTask(task, params, rules);
  } catch (e) {
    if (!isValidationError(e)) throw e;
    error = e;
  }
  const policy = validate(() => {
    if (error) throw error;
  });
  if (!valid) return { task: typeof task === 'string' ? task : '', params: {}, error, policy };
  const format = rules.format ?? formatTaskWithParams;
  return { task: format(valid.task, valid.params), params: valid.params, error, policy };
}
