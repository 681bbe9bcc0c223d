import type { ZodType } from 'zod';
import { runTurn, type SafeExecuteOptions, type SafeExecution } from '../recovery/executeSafely.js';
import type { InvokableTeam } from '../recovery/InvokableTeam.js';
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

/** Options of {@link executeWithValidation}. */
export interface ExecuteWithValidationOptions extends TaskRules, SafeExecuteOptions {
  /** Builds the text sent to the team. Default {@link formatTaskWithParams}. */
  format?: ((task: string, params: Record<string, unknown>) => string) | undefined;
}

/**
 * Validates a task and its parameters, then runs it like `executeSafely` (the guide's
 * `execute_with_validation`, which validated the parameters and then never passed them on): the
 * pipeline `run(wrap(validate(...), retry(...)), turn)`. Invalid input resolves `{ status: 'failed',
 * errorType: 'input', attempts: 0 }` and the team is not called.
 *
 * @example
 * const run = await executeWithValidation(team, 'Archive the report', { action: 'archive', target: 'q3.pdf' }, {
 *   params: { required: ['action'], allowed: ['action', 'target', 'options'] },
 * });
 * if (run.status === 'failed') console.error(run.error.message);
 */
export async function executeWithValidation(
  team: InvokableTeam,
  task: unknown,
  params: unknown,
  options: ExecuteWithValidationOptions = {},
): Promise<SafeExecution> {
  let valid: ValidatedTask | undefined;
  const format = options.format ?? formatTaskWithParams;
  const checked = validate(() => {
    valid = validateTask(task, params, options);
  });
  const outcome = await runTurn(team, () => format(valid!.task, valid!.params), options, checked);
  if (outcome.status === 'failed' && isValidationError(outcome.error)) {
    options.logger?.warn(
      { operation: 'executeWithValidation', err: outcome.error.toJSON() },
      'validation failed',
    );
  }
  return outcome;
}
