import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isConfigurationError } from '../../src/errors/ConfigurationError.js';
import { isInputError } from '../../src/errors/InputError.js';
import { validateTask } from '../../src/validation/checkTask.js';
import { isValidationError, type ValidationError } from '../../src/validation/ValidationError.js';
import { validateNumber, validateRecord, validateString } from '../../src/validation/validate.js';

function thrown(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    if (isValidationError(e)) return e;
    throw e;
  }
  throw new Error('expected a ValidationError');
}

describe('validateString', () => {
  it('returns a valid string and names the parameter in every failure', () => {
    expect(validateString('hello', { name: 'task', minLength: 1 })).toBe('hello');
    const e = thrown(() => validateString(42, { name: 'task' }));
    expect(isInputError(e)).toBe(true);
    expect(e.kind).toBe('input');
    expect(e.retryable).toBe(false);
    expect(e.message).toBe("Parameter 'task' must be a string (got number). Fix the input and call again.");
    expect(thrown(() => validateString('', { name: 'task', minLength: 1 })).message).toMatch(
      /^Parameter 'task' is too short: 0 characters \(min 1\)/,
    );
    expect(thrown(() => validateString('x'.repeat(11), { maxLength: 10 })).message).toMatch(
      /^Parameter 'value' is too long: 11 characters \(max 10\)/,
    );
    expect(thrown(() => validateString(null)).message).toMatch(/got null/);
  });

  it('anchors string patterns (the guide matched only a prefix) and ignores a RegExp g flag', () => {
    expect(validateString('abc', { pattern: '[a-z]+' })).toBe('abc');
    expect(thrown(() => validateString('abc!', { pattern: '[a-z]+', name: 'id' })).message).toMatch(
      /^Parameter 'id' does not match the pattern \[a-z\]\+/,
    );
    const global = /^[a-z]+$/g;
    expect(validateString('abc', { pattern: global })).toBe('abc');
    expect(validateString('abc', { pattern: global })).toBe('abc');
  });

  it('rejects rules whose bounds are swapped, as a ConfigurationError', () => {
    expect(() => validateString('x', { minLength: 5, maxLength: 1 })).toThrow(
      expect.objectContaining({ kind: 'configuration' }),
    );
  });
});

describe('validateNumber', () => {
  it('accepts finite numbers within bounds; NaN, Infinity, booleans and text are not numbers', () => {
    expect(validateNumber(3.5, { min: 0, max: 10 })).toBe(3.5);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, true, '12', null]) {
      expect(thrown(() => validateNumber(bad, { name: 'limit' })).message).toMatch(
        /^Parameter 'limit' must be a finite number/,
      );
    }
    expect(thrown(() => validateNumber(true)).message).toMatch(/got boolean/);
  });

  it('checks bounds and integers with readable messages', () => {
    expect(thrown(() => validateNumber(-1, { name: 'n', min: 0 })).message).toMatch(
      /^Parameter 'n' is too small: -1 \(min 0\)/,
    );
    expect(thrown(() => validateNumber(101, { name: 'n', max: 100 })).message).toMatch(
      /too large: 101 \(max 100\)/,
    );
    expect(thrown(() => validateNumber(1.5, { name: 'n', integer: true })).message).toMatch(
      /must be a whole number \(got 1.5\)/,
    );
  });

  it('coerces numeric text only when asked, and never empty or partly numeric text', () => {
    expect(validateNumber(' 12 ', { coerce: true })).toBe(12);
    expect(validateNumber('-3.5e2', { coerce: true })).toBe(-350);
    for (const bad of ['', '12abc', 'abc', '1,5']) {
      expect(() => validateNumber(bad, { coerce: true })).toThrow(/must be a finite number/);
    }
  });

  it('property: any finite number inside [min, max] passes unchanged; anything outside fails', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        (a, b, x) => {
          const [min, max] = a <= b ? [a, b] : [b, a];
          if (x >= min && x <= max) expect(validateNumber(x, { min, max })).toBe(x);
          else expect(() => validateNumber(x, { min, max })).toThrow(/too (small|large)/);
        },
      ),
    );
  });
});

describe('validateRecord', () => {
  const rules = { name: 'params', required: ['action'], allowed: ['action', 'target', 'options'] };

  it('reports missing and invalid keys together, sorted', () => {
    expect(validateRecord({ action: 'a', target: 't' }, rules)).toEqual({ action: 'a', target: 't' });
    const e = thrown(() => validateRecord({ zeta: 1, alpha: 2 }, { ...rules, required: ['b', 'action'] }));
    expect(e.issues.map((i) => i.message)).toEqual([
      "Missing required keys: action, b (in parameter 'params').",
      "Invalid keys: alpha, zeta (in parameter 'params'; allowed: action, b, options, target).",
    ]);
    expect(e.message).toMatch(/^2 problems:\n {2}- Missing required keys: action, b/);
  });

  it('rejects arrays and null as objects', () => {
    expect(thrown(() => validateRecord([], rules)).message).toMatch(
      /^Parameter 'params' must be an object \(got array\)/,
    );
    expect(thrown(() => validateRecord(null, rules)).message).toMatch(/got null/);
  });

  it('checks field values with our rules or any zod schema, naming the nested parameter', () => {
    const fields = {
      depth: { type: 'number' as const, integer: true, coerce: true },
      target: { type: 'string' as const, maxLength: 3 },
      email: z.email(),
      options: { type: 'record' as const, required: ['mode'] },
    };
    expect(validateRecord({ depth: '2', target: 'abc' }, { name: 'params', fields })).toEqual({
      depth: 2,
      target: 'abc',
    });
    const e = thrown(() =>
      validateRecord({ depth: 1.5, target: 'abcd', email: 'nope', options: {} }, { name: 'params', fields }),
    );
    expect(e.issues.map((i) => i.message)).toEqual([
      "Parameter 'params.depth' must be a whole number (got 1.5).",
      "Parameter 'params.target' is too long: 4 characters (max 3).",
      expect.stringMatching(/^Parameter 'params.email': Invalid email/),
      "Missing required keys: mode (in parameter 'params.options').",
    ]);
    expect(e.issues.map((i) => i.path)).toEqual([
      'params.depth',
      'params.target',
      'params.email',
      'params.options',
    ]);
  });
});

describe('validateTask', () => {
  it('checks the task text (1..5000 by default) and the params in one error', () => {
    expect(validateTask('Archive it', { action: 'archive' }, { params: { required: ['action'] } })).toEqual({
      task: 'Archive it',
      params: { action: 'archive' },
    });
    const e = thrown(() => validateTask('', { target: 'x' }, { params: { required: ['action'] } }));
    expect(e.issues.map((i) => i.path)).toEqual(['task', 'params']);
    expect(e.message).toMatch(/Parameter 'task' is too short/);
    expect(e.message).toMatch(/Missing required keys: action/);
    expect(() => validateTask('x'.repeat(5_001), {})).toThrow(/too long: 5001 characters \(max 5000\)/);
  });

  it('takes a zod schema for the params, prefixing its messages with the parameter', () => {
    const schema = z.object({ limit: z.number().int() });
    expect(validateTask('t', { limit: 3 }, { params: schema }).params).toEqual({ limit: 3 });
    const e = thrown(() => validateTask('t', { limit: 'x' }, { params: schema }));
    expect(e.issues[0]?.message).toMatch(/^Parameter 'params.limit': Invalid input: expected number/);
    expect(isConfigurationError(e)).toBe(false);
  });
});
