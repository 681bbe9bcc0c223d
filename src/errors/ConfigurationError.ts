import { AzcoreError, type ErrorDetails } from './AzcoreError.js';

/** A server or team configuration is invalid. The message names the field and what to write instead. */
export class ConfigurationError extends AzcoreError {
  readonly kind = 'configuration' as const;

  constructor(problem: string, details: ErrorDetails = {}) {
    super(problem, details, { code: 'INVALID_CONFIG', retryable: false });
  }
}

/** True when `e` is a {@link ConfigurationError}. */
export function isConfigurationError(e: unknown): e is ConfigurationError {
  return e instanceof ConfigurationError;
}
