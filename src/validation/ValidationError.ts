import type { ErrorDetails } from '../errors/AzcoreError.js';
import { InputError } from '../errors/InputError.js';

/** One problem with one value: where (`task`, `params.options.depth`) and what is wrong. */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * Input rejected before anything ran. An {@link InputError} (kind `input`, never retried) that also
 * lists every problem found, so a caller can show them all or fix them one by one.
 *
 * @example
 * try { validateRecord(params, { required: ['action'] }) }
 * catch (e) { if (isValidationError(e)) for (const i of e.issues) console.log(i.path, i.message) }
 */
export class ValidationError extends InputError {
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[], details: ErrorDetails = {}) {
    const first = issues[0]?.message ?? 'The input is invalid.';
    const problem =
      issues.length <= 1
        ? first
        : `${issues.length} problems:\n${issues.map((i) => `  - ${i.message}`).join('\n')}\n`;
    super(problem, { code: 'VALIDATION_FAILED', hint: 'Fix the input and call again.', ...details });
    this.issues = issues;
  }
}

/** True when `e` is a {@link ValidationError}. */
export function isValidationError(e: unknown): e is ValidationError {
  return e instanceof ValidationError;
}
