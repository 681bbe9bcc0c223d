import type { BoundToolInfo } from './boundTools.js';

// Words that say nothing about which tool to use.
const STOP_WORDS = new Set(
  (
    'a about after again all also am an and any are as at be been before being both but by can could did do ' +
    'does doing done each else for from had has have having he her here hers him his how i if in into is it ' +
    'its itself just let me mine more most my no nor not now of off on once only or other our ours out over ' +
    'own please same she should so some such than that the their theirs them then there these they this ' +
    'those through to too under until up us very was we were what when where which while who whom why will ' +
    'with would you your yours yourself ok okay thanks thank tell give using use used tool tools want need ' +
    'like may might must shall'
  ).split(' '),
);

function stem(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/**
 * Meaningful lower-case word stems of a text: camelCase and `_`/`__`/`-`/`.` split, stop words, numbers and
 * one-letter words dropped.
 *
 * @example
 * wordsOf('readFile the notes'); // ['read', 'file', 'note']
 */
export function wordsOf(text: string): string[] {
  const spaced = text.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2');
  const words = spaced.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  return words.filter((w) => w.length > 1 && !/^\d+$/.test(w) && !STOP_WORDS.has(w)).map(stem);
}

const TOOL_NAME_WEIGHT = 3;
const SERVER_NAME_WEIGHT = 1;
const DESCRIPTION_WEIGHT = 1;
/** A tool needs one word of its own name, or two description/server words, to be picked. */
export const MIN_TOOL_SCORE = 2;

/** Weight of each word for one tool: its own name counts most, then server prefix and description. */
export function toolWordWeights(tool: BoundToolInfo): Map<string, number> {
  const weights = new Map<string, number>();
  const add = (words: string[], weight: number): void => {
    for (const w of words) weights.set(w, Math.max(weights.get(w) ?? 0, weight));
  };
  const split = tool.name.indexOf('__');
  const server = split > 0 ? tool.name.slice(0, split) : '';
  const own = split > 0 ? tool.name.slice(split + 2) : tool.name;
  add(wordsOf(tool.description), DESCRIPTION_WEIGHT);
  add(wordsOf(server), SERVER_NAME_WEIGHT);
  add(wordsOf(own), TOOL_NAME_WEIGHT);
  return weights;
}

function score(weights: Map<string, number>, words: ReadonlySet<string>): number {
  let total = 0;
  for (const w of words) total += weights.get(w) ?? 0;
  return total;
}

/**
 * Picks the tools a task asks for, best first: greedily the tool that covers the most task words, then
 * the best tool for the words still uncovered, and so on. So "read the file" picks `read_file` but not
 * `write_file` as well, while "weather and time" picks both tools. Ties go to the tool bound first; the
 * result is in the order the task mentions the tools.
 *
 * @example
 * selectTools('what is the weather in Paris', tools, 3).map((t) => t.name); // ['weather__get_forecast']
 */
export function selectTools(intent: string, tools: readonly BoundToolInfo[], limit: number): BoundToolInfo[] {
  const words = wordsOf(intent);
  const uncovered = new Set(words);
  const candidates = tools.map((tool) => ({ tool, weights: toolWordWeights(tool) }));
  const chosen: { tool: BoundToolInfo; firstMention: number }[] = [];
  while (chosen.length < limit && uncovered.size > 0) {
    let best: { tool: BoundToolInfo; weights: Map<string, number>; score: number } | undefined;
    for (const candidate of candidates) {
      if (chosen.some((c) => c.tool === candidate.tool)) continue;
      const s = score(candidate.weights, uncovered);
      if (s >= MIN_TOOL_SCORE && (best === undefined || s > best.score)) best = { ...candidate, score: s };
    }
    if (best === undefined) break;
    const covered = [...uncovered].filter((w) => best.weights.has(w));
    for (const w of covered) uncovered.delete(w);
    chosen.push({ tool: best.tool, firstMention: Math.min(...covered.map((w) => words.indexOf(w))) });
  }
  // Calls come in the order the task mentions them.
  return chosen.sort((a, b) => a.firstMention - b.firstMention).map((c) => c.tool);
}
