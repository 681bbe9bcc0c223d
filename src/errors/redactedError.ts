import type { AzcoreError } from './AzcoreError.js';
import type { Redactor } from './redact.js';

const TEXT_FIELDS = ['message', 'hint', 'toolMessage'] as const;

/**
 * The error as a caller may see it: a registered secret that the server echoed in its own text (an
 * env value, a token) is masked in the message, hint and tool message of a copy; the original
 * stays the `cause`-free same object when there is nothing to mask (the common case costs a scan).
 *
 * @example
 * throw redactedError(classifyError(e, { server }), bus.redactor);
 */
export function redactedError<E extends AzcoreError>(error: E, redactor: Redactor): E {
  if (redactor.size === 0) return error;
  const record = error as unknown as Record<string, unknown>;
  const masked: Partial<Record<(typeof TEXT_FIELDS)[number], string>> = {};
  for (const field of TEXT_FIELDS) {
    const text = record[field];
    if (typeof text !== 'string') continue;
    const clean = redactor.redact(text);
    if (clean !== text) masked[field] = clean;
  }
  if (Object.keys(masked).length === 0) return error;
  const copy = Object.create(Object.getPrototypeOf(error)) as E;
  Object.defineProperties(copy, Object.getOwnPropertyDescriptors(error));
  for (const [field, value] of Object.entries(masked)) {
    Object.defineProperty(copy, field, {
      value,
      writable: true,
      configurable: true,
      enumerable: field !== 'message',
    });
  }
  return copy;
}
