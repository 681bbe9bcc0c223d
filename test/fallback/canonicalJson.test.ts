import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cacheKey, canonicalJson, jsonProblem } from '../../src/fallback/canonicalJson.js';

/** The same object with its keys inserted in another order, at every level. */
function shuffled(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => shuffled(v, seed + i));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const rotated = entries.map((_, i) => entries[(i + seed) % entries.length]!);
  return Object.fromEntries(rotated.reverse().map(([k, v]) => [k, shuffled(v, seed + 1)]));
}

describe('canonicalJson and cacheKey', () => {
  it('sorts keys at every level and drops undefined properties', () => {
    expect(canonicalJson({ b: 1, a: [true, { d: null, c: 'x' }], u: undefined })).toBe(
      '{"a":[true,{"c":"x","d":null}],"b":1}',
    );
  });

  it('gives equal requests the same sha256 key whatever their key order (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(20), (value, seed) => {
        const key = cacheKey(value);
        expect(key).toMatch(/^[0-9a-f]{64}$/);
        expect(cacheKey(shuffled(value, seed))).toBe(key);
      }),
    );
  });

  it('tells different requests apart', () => {
    expect(cacheKey({ task: 'a' })).not.toBe(cacheKey({ task: 'b' }));
    expect(cacheKey(['a', 'b'])).not.toBe(cacheKey(['b', 'a']));
    expect(cacheKey('1')).not.toBe(cacheKey(1));
  });

  it('names the first part of a value that is not plain JSON', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(jsonProblem({ ok: [1, 'x', null, { deep: true }] })).toBeUndefined();
    expect(jsonProblem({ at: new Date(0) })).toBe('$.at: a Date is not plain JSON');
    expect(jsonProblem({ run: () => 1 })).toBe('$.run: a function is not JSON');
    expect(jsonProblem([1, undefined])).toBe('$[1]: undefined in an array is not JSON');
    expect(jsonProblem({ n: Number.NaN })).toBe('$.n: NaN is not a JSON number');
    expect(jsonProblem({ big: 1n })).toBe('$.big: a bigint is not JSON');
    expect(jsonProblem(circular)).toBe('$.self: a circular reference is not JSON');
    expect(jsonProblem(new Map())).toBe('$: a Map is not plain JSON');
    expect(jsonProblem(Object.create(null))).toBeUndefined();
    const shared = { x: 1 };
    expect(jsonProblem({ a: shared, b: shared })).toBeUndefined();
    expect(() => canonicalJson({ at: new Date(0) })).toThrow(/Cannot build a canonical JSON key: \$\.at/);
  });
});
