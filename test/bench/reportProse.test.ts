import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const source = readFileSync(`${ROOT}bench/reportProse.ts`, 'utf8');

/** Every `checkedBy(file, 'test name', ...)` of bench/reportProse.ts, with file constants resolved. */
function claims(): { file: string; name: string }[] {
  const constants = new Map(
    [...source.matchAll(/const (\w+) = '(test\/[^']+\.test\.ts)'/g)].map((m) => [m[1], m[2]] as const),
  );
  const out: { file: string; name: string }[] = [];
  for (const call of source.matchAll(/checkedBy\(\s*(\w+|'[^']+')\s*,((?:\s*'[^']*'\s*,?)+)\s*\)/g)) {
    const arg = call[1] ?? '';
    const file = arg.startsWith("'") ? arg.slice(1, -1) : constants.get(arg);
    for (const name of call[2]?.matchAll(/'([^']*)'/g) ?? [])
      out.push({ file: file ?? `unknown ${arg}`, name: name[1] ?? '' });
  }
  return out;
}

describe('bench/reportProse.ts', () => {
  it('every test a sentence of docs/performance.md names as its check exists under that name', () => {
    const found = claims();
    // Every call was understood (the definition of checkedBy itself is the one left over).
    expect(found.length).toBeGreaterThanOrEqual(source.split('checkedBy(').length - 2);
    expect(found.length).toBeGreaterThan(5);
    for (const { file, name } of found) {
      expect(existsSync(`${ROOT}${file}`), file).toBe(true);
      expect(readFileSync(`${ROOT}${file}`, 'utf8'), `${file}: "${name}"`).toContain(name);
    }
  });

  it('states no figure of its own: the numbers in the prose come from the run or the settings', () => {
    // Literal durations or ratios in the fixed text would go stale with the code; the functions
    // interpolate them from the results instead.
    const fixed = source.replace(/\$\{[^}]*\}/g, '');
    expect(fixed).not.toMatch(/\b\d+(\.\d+)?\s?(ms|µs|ns|KiB|×)\b/);
  });
});
