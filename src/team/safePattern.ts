import { createContext, Script } from 'node:vm';
import type { CodeOptions } from 'ajv';
import {
  MAX_COMPILED_SCHEMAS,
  MAX_DIRECT_PATTERN_SUBJECT_CHARS,
  MAX_PATTERN_CHARS,
  PATTERN_TIMEOUT_MS,
} from './toolLimits.js';

type RegExpEngine = NonNullable<CodeOptions['regExp']>;
type RegExpLike = ReturnType<RegExpEngine>;

/**
 * Why a server-supplied regular expression is not run, or undefined when it may be.
 *
 * JSON Schema `pattern`s run on V8's backtracking engine, where `^(a+)+$` against
 * `'a'.repeat(30) + 'b'` blocks the event loop for seconds; no linear-time engine (re2) is
 * installed here. So the shapes that backtrack exponentially are refused: a repeated group that
 * itself holds a quantifier or an alternation (`(a+)+`, `(a|aa)*`, `(\w+\s?)*`), backreferences,
 * and patterns longer than {@link MAX_PATTERN_CHARS}. It is deliberately conservative: a refused
 * pattern is only left unchecked (the server still validates its own input).
 *
 * @example
 * patternRisk('^[a-z0-9-]+$'); // undefined
 * patternRisk('^(a+)+$');      // 'a repeated group contains a quantifier or an alternation'
 */
export function patternRisk(source: string): string | undefined {
  if (source.length > MAX_PATTERN_CHARS) return `longer than ${MAX_PATTERN_CHARS} characters`;
  interface Frame {
    quantified: boolean;
    alternation: boolean;
  }
  const stack: Frame[] = [{ quantified: false, alternation: false }];
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    const top = stack[stack.length - 1] as Frame;
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 'it uses a backreference';
      i++;
      continue;
    }
    if (c === '[') {
      // A character class: skip to its closing bracket (escapes inside included).
      for (i++; i < source.length && source[i] !== ']'; i++) if (source[i] === '\\') i++;
      continue;
    }
    if (c === '(') {
      stack.push({ quantified: false, alternation: false });
      if (source[i + 1] === '?') {
        // (?:  (?=  (?!  (?<=  (?<!  (?<name>
        i++;
        if (source[i + 1] === '<' && source[i + 2] !== '=' && source[i + 2] !== '!') {
          const close = source.indexOf('>', i);
          i = close === -1 ? source.length : close;
        } else i++;
      }
      continue;
    }
    if (c === '|') {
      top.alternation = true;
      continue;
    }
    if (c === ')') {
      if (stack.length === 1) continue; // unbalanced: RegExp itself rejects it
      const group = stack.pop() as Frame;
      const parent = stack[stack.length - 1] as Frame;
      const repeat = repeatingQuantifierAt(source, i + 1);
      if (repeat && (group.quantified || group.alternation)) {
        return 'a repeated group contains a quantifier or an alternation';
      }
      parent.quantified ||= group.quantified || quantifierLength(source, i + 1) > 0;
      parent.alternation ||= group.alternation;
      continue;
    }
    const length = quantifierLength(source, i);
    if (length > 0) {
      top.quantified = true;
      i += length - 1;
    }
  }
  return undefined;
}

/** Length of the quantifier at `at` (`*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, with a lazy `?`), or 0. */
function quantifierLength(source: string, at: number): number {
  const c = source[at];
  let length = 0;
  if (c === '*' || c === '+' || c === '?') length = 1;
  else if (c === '{') length = /^\{\d+(,\d*)?\}/.exec(source.slice(at, at + 24))?.[0].length ?? 0;
  if (length > 0 && source[at + length] === '?') length++;
  return length;
}

/**
 * How many quantifiers of `source` match a variable number of times (`*`, `+`, `?`, `{n,}`,
 * `{n,m}` with m > n; not `{n}`). With none or one a backtracking engine stays polynomial of low
 * degree; with more, it can take seconds on a few hundred characters.
 *
 * @example
 * variableQuantifiers('^\\d{4}-\\d{2}$'); // 0
 * variableQuantifiers('^[^@]+@[^@]+$');  // 2
 */
export function variableQuantifiers(source: string): number {
  let count = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      for (i++; i < source.length && source[i] !== ']'; i++) if (source[i] === '\\') i++;
      continue;
    }
    if (c === '(') {
      if (source[i + 1] === '?') i++; // group syntax, not a quantifier
      continue;
    }
    const length = quantifierLength(source, i);
    if (length === 0) continue;
    const fixed = /^\{(\d+)(?:,(\d+))?\}/.exec(source.slice(i, i + 24));
    if (!fixed || (fixed[2] !== undefined && fixed[2] !== fixed[1])) count++;
    i += length - 1;
  }
  return count;
}

/** True when the quantifier at `at` can repeat more than once (`*`, `+`, `{n,}`, `{n,m}` with m > 1). */
function repeatingQuantifierAt(source: string, at: number): boolean {
  const c = source[at];
  if (c === '*' || c === '+') return true;
  if (c !== '{') return false;
  const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(at, at + 24));
  if (!m) return false;
  if (m[2] === undefined) return Number(m[1]) > 1;
  return m[3] === '' || Number(m[3]) > 1;
}

/** Patterns left unchecked by the engine while a schema compiles (see {@link collectUnchecked}). */
let unchecked: string[] | undefined;

/** Runs `compile` and returns what it gave plus the patterns {@link safeRegExp} refused meanwhile. */
export function collectUnchecked<T>(compile: () => T): { value: T; unchecked: string[] } {
  const previous = unchecked;
  const mine: string[] = [];
  unchecked = mine;
  try {
    return { value: compile(), unchecked: mine };
  } finally {
    unchecked = previous;
  }
}

/** Sources whose test once ran past {@link PATTERN_TIMEOUT_MS}: never run again. */
const timedOut = new Set<string>();
const sandbox = createContext({ re: undefined as RegExp | undefined, s: '' });
const runTest = new Script('re.test(s)');

/** `re.test(s)` stopped after {@link PATTERN_TIMEOUT_MS} (V8 interrupts a backtracking regexp); undefined then. */
function testWithin(re: RegExp, s: string): boolean | undefined {
  sandbox.re = re;
  sandbox.s = s;
  try {
    return runTest.runInContext(sandbox, { timeout: PATTERN_TIMEOUT_MS }) === true;
  } catch {
    return undefined;
  } finally {
    sandbox.re = undefined;
    sandbox.s = '';
  }
}

/**
 * The regular-expression engine given to ajv (`code.regExp`): a pattern {@link patternRisk}
 * refuses always matches (it is left unchecked and reported); a pattern with several variable
 * quantifiers (or one, on a string over {@link MAX_DIRECT_PATTERN_SUBJECT_CHARS} characters) is
 * tested under a {@link PATTERN_TIMEOUT_MS} watchdog, and one that runs out of it twice in a row is
 * left unchecked from then on. So no pattern a server sends holds the event loop for more than
 * about twice {@link PATTERN_TIMEOUT_MS}, once.
 */
export const safeRegExp: RegExpEngine = Object.assign(
  (source: string, flags: string): RegExpLike => {
    const risk = patternRisk(source);
    if (risk) {
      unchecked?.push(`${JSON.stringify(source.slice(0, 64))}${source.length > 64 ? '...' : ''} (${risk})`);
      // ajv keys compiled patterns by toString(): keep it distinct per pattern.
      return { test: () => true, toString: () => `unchecked:/${source}/${flags}` } as RegExpLike;
    }
    const re = new RegExp(source, flags);
    const key = re.toString();
    const variable = variableQuantifiers(source);
    return {
      test: (s: string) => {
        if (variable === 0 || (variable === 1 && s.length <= MAX_DIRECT_PATTERN_SUBJECT_CHARS)) {
          return re.test(s);
        }
        if (timedOut.has(key)) return true;
        // Once more before giving up on it: a busy host (a GC pause, another process) can stretch
        // one test past the watchdog, and a pattern left unchecked stays so for the process.
        const matched = testWithin(re, s) ?? testWithin(re, s);
        if (matched !== undefined) return matched;
        timedOut.add(key);
        // Bounded like the validators: a server that keeps sending new slow patterns cannot grow it.
        if (timedOut.size > MAX_COMPILED_SCHEMAS) timedOut.delete(timedOut.values().next().value as string);
        return true;
      },
      toString: () => `safe:${key}`,
    } as RegExpLike;
  },
  { code: 'safeRegExp' },
);

/** True when the pattern once ran past its watchdog and is no longer checked. */
export function patternTimedOut(source: string, flags = 'u'): boolean {
  return timedOut.has(new RegExp(source, flags).toString());
}
