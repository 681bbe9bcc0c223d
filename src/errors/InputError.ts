import { AzcoreError, type ErrorDetails } from './AzcoreError.js';

/** The arguments of a call do not match the tool's input schema. Never retried: fix the arguments. */
export class InputError extends AzcoreError {
  readonly kind = 'input' as const;

  constructor(problem: string, details: ErrorDetails = {}) {
    super(problem, details, { code: 'INVALID_INPUT', retryable: false });
  }
}

/** True when `e` is a {@link InputError}. */
export function isInputError(e: unknown): e is InputError {
  return e instanceof InputError;
}
