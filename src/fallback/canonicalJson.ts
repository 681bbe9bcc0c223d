import { createHash } from 'node:crypto';

/** A value JSON can carry without loss: what the cache stores (never code, never class instances). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * The first reason `value` is not plain JSON, with its path (`$.messages[2].at: a Date`), or
 * `undefined` when it is. Object properties set to `undefined` are allowed: JSON leaves them out.
 *
 * @example
 * jsonProblem({ at: new Date() }); // '$.at: a Date is not plain JSON'
 */
export function jsonProblem(value: unknown, path = '$'): string | undefined {
  return problemAt(value, path, new Set());
}

function problemAt(value: unknown, path: string, open: Set<object>): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : `${path}: ${value} is not a JSON number`;
  }
  if (typeof value !== 'object') return `${path}: a ${typeof value} is not JSON`;
  if (open.has(value)) return `${path}: a circular reference is not JSON`;
  open.add(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (item === undefined) return `${path}[${i}]: undefined in an array is not JSON`;
        const problem = problemAt(item, `${path}[${i}]`, open);
        if (problem) return problem;
      }
      return undefined;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'class instance';
      return `${path}: a ${name} is not plain JSON`;
    }
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      const problem = problemAt(item, `${path}.${key}`, open);
      if (problem) return problem;
    }
    return undefined;
  } finally {
    open.delete(value);
  }
}

/**
 * JSON with object keys sorted at every level, so equal requests give equal text whatever order
 * their keys were written in. Throws `TypeError` for values that are not plain JSON.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, { d: null, c: 'x' }] }); // '{"a":[true,{"c":"x","d":null}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  const problem = jsonProblem(value);
  if (problem) throw new TypeError(`Cannot build a canonical JSON key: ${problem}.`);
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value).sort()) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined) sorted[key] = sortKeys(item);
  }
  return sorted;
}

/**
 * The cache key of a request: sha256 (hex) of its {@link canonicalJson}.
 *
 * @example
 * cacheKey({ task: 'Analyze data', namespace: 'reports' }) === cacheKey({ namespace: 'reports', task: 'Analyze data' }); // true
 */
export function cacheKey(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}
