/** Values a task text carries, in the order they appear. */
export interface TaskValues {
  /** The task text (plan lines already removed), trimmed. */
  readonly text: string;
  /** Strings between double quotes, curly quotes or backticks. */
  readonly quoted: string[];
  /** `http(s)://` URLs. */
  readonly urls: string[];
  /** Absolute, home-relative or dot-relative POSIX paths: `/tmp/x`, `~/notes.md`, `./src`. */
  readonly paths: string[];
  /** Numbers outside quotes, URLs and paths. */
  readonly numbers: number[];
  /** The text with every value above blanked out: what the task asks, not what it names. */
  readonly intent: string;
}

const QUOTED = /"([^"]*)"|“([^”]*)”|`([^`]*)`/g;
const URL = /\bhttps?:\/\/[^\s"'`<>)\]]+/g;
const PATH = /(?<![\w/:.~])(?:~|\.{1,2})?\/[^\s"'`,;()[\]<>]*/g;
const NUMBER = /(?<![\w.])-?\d+(?:\.\d+)?(?![\w])/g;
const TRAILING_PUNCTUATION = /[.,;:!?]+$/;

type Pick = (match: string, groups: unknown[]) => string;

function take(text: string, pattern: RegExp, found: string[], pick: Pick): string {
  return text.replace(pattern, (match: string, ...groups: unknown[]) => {
    found.push(pick(match, groups));
    return ' ';
  });
}

const firstGroup: Pick = (_match, groups) => {
  const group = groups.slice(0, 3).find((g) => typeof g === 'string');
  return typeof group === 'string' ? group : '';
};
const withoutPunctuation: Pick = (match) => match.replace(TRAILING_PUNCTUATION, '');

/**
 * Pulls quoted strings, URLs, paths and numbers out of a task text.
 *
 * @example
 * extractTaskValues('copy /tmp/a to "b c" 3 times').paths; // ['/tmp/a']
 */
export function extractTaskValues(text: string): TaskValues {
  const quoted: string[] = [];
  const urls: string[] = [];
  const paths: string[] = [];
  const numbers: string[] = [];
  let rest = take(text, QUOTED, quoted, firstGroup);
  rest = take(rest, URL, urls, withoutPunctuation);
  rest = take(rest, PATH, paths, withoutPunctuation);
  rest = take(rest, NUMBER, numbers, (match) => match);
  return {
    text: text.trim(),
    quoted,
    urls,
    // A lone "/" (e.g. "read and/or write") is no path.
    paths: paths.filter((p) => p.replace(/^[~.]+/, '').length > 1),
    numbers: numbers.map(Number),
    intent: rest,
  };
}
