import {
  BUILT_IN_CAPABILITIES,
  type CapabilityDefinition,
  type CapabilityMatchers,
  definitionOf,
  matches,
} from './capabilityMatchers.js';

/** Each capability's providing tools (live tool names); an empty list means missing. */
export type CapabilityMap = Record<string, string[]>;

/**
 * Built-ins plus the caller's matchers; a caller's entry replaces a built-in of the same name.
 *
 * @example resolveCapabilities({ memory: /^memory__/ }).memory // { tools: /^memory__/ }
 */
export function resolveCapabilities(matchers: CapabilityMatchers = {}): Record<string, CapabilityDefinition> {
  const out: Record<string, CapabilityDefinition> = { ...BUILT_IN_CAPABILITIES };
  for (const [name, entry] of Object.entries(matchers)) out[name] = definitionOf(entry);
  return out;
}

/**
 * Which capabilities the given tools provide (the guide's `_detect_capabilities`). Pass the tools
 * offered now (`team.getMcpToolNames()`): a server that is down offers none.
 *
 * @example
 * detectCapabilities(['filesystem__read_file', 'memory__read_graph'], { memory: /^memory__/ })
 * // { filesystem: ['filesystem__read_file'], database: [], github: [], search: [], memory: ['memory__read_graph'] }
 */
export function detectCapabilities(
  toolNames: readonly string[],
  matchers?: CapabilityMatchers,
): CapabilityMap {
  const out: CapabilityMap = {};
  for (const [name, definition] of Object.entries(resolveCapabilities(matchers))) {
    out[name] = toolNames.filter((tool) => matches(definition.tools, tool));
  }
  return out;
}

/**
 * The names of the capabilities a map says are there.
 *
 * @example availableCapabilities({ filesystem: ['fs__read_file'], search: [] }) // ['filesystem']
 */
export function availableCapabilities(map: CapabilityMap): string[] {
  return Object.entries(map)
    .filter(([, tools]) => tools.length > 0)
    .map(([name]) => name);
}

/**
 * Which capabilities a task needs, from its words (the guide's `_required_capabilities`, with whole
 * words: "thread" does not need the filesystem, "find" is not a web search).
 *
 * @example requiredCapabilities('Search the web and save the results to a file') // ['filesystem', 'search']
 */
export function requiredCapabilities(task: string, matchers?: CapabilityMatchers): string[] {
  return Object.entries(resolveCapabilities(matchers))
    .filter(([, definition]) => definition.task !== undefined && matches(definition.task, task))
    .map(([name]) => name);
}
