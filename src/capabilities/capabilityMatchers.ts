/** Tests a tool name (`server__tool`) or a task text. */
export type TextMatcher = RegExp | ((text: string) => boolean);

/** How a capability is recognised: which tools provide it, which tasks need it, what to say without it. */
export interface CapabilityDefinition {
  /** Matched against each live tool name, `server__tool` (so a server called `github` counts). */
  readonly tools: TextMatcher;
  /** Matched against a task; without it, no task is known to need the capability. */
  readonly task?: TextMatcher | undefined;
  /** Told to the model when a task needs the capability and it is missing. */
  readonly whenMissing?: string | undefined;
}

/** Capabilities by name: a full definition, or just a tool matcher. */
export type CapabilityMatchers = Readonly<Record<string, CapabilityDefinition | TextMatcher>>;

/**
 * The words of a tool name: `github__create_issue` -> github, create, issue; `readFile` -> read, file.
 * Matching words instead of substrings keeps `profile` from counting as a file tool (the guide's
 * `"file" in tool`).
 *
 * @example toolWords('github__createPullRequest') // ['github', 'create', 'pull', 'request']
 */
export function toolWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/**
 * A matcher true when a tool name has one of `words` as a whole word.
 *
 * @example detectCapabilities(tools, { billing: anyToolWord('stripe', 'invoice') })
 */
export function anyToolWord(...words: string[]): (toolName: string) => boolean {
  const wanted = new Set(words);
  return (toolName) => toolWords(toolName).some((w) => wanted.has(w));
}

const FILE_WORDS = [
  'file',
  'files',
  'filesystem',
  'fs',
  'directory',
  'directories',
  'dir',
  'folder',
  'folders',
];
const isFileTool = anyToolWord(...FILE_WORDS);
const hasWebSearchWord = anyToolWord(
  'web',
  'websearch',
  'google',
  'bing',
  'brave',
  'tavily',
  'serp',
  'serpapi',
  'duckduckgo',
  'exa',
  'perplexity',
);

/** A web search engine's tool, or any tool of a server named for search; not `memory__search_nodes`. */
function isSearchTool(toolName: string): boolean {
  const server = toolName.includes('__') ? toolName.slice(0, toolName.indexOf('__')) : '';
  return hasWebSearchWord(toolName) || toolWords(server).includes('search');
}

/**
 * The guide's four capabilities. Tools match by whole words of `server__tool`; tasks by whole words
 * (`thread` does not need the filesystem because it contains `read`). `search` is a web search
 * engine or a server named for search: `filesystem__search_files` and `memory__search_nodes` search
 * local data and do not count.
 */
export const BUILT_IN_CAPABILITIES: Readonly<Record<string, CapabilityDefinition>> = {
  filesystem: {
    tools: isFileTool,
    task: /\b(files?|folders?|director(?:y|ies)|disk|locally|paths?)\b/i,
    whenMissing: 'The filesystem is unavailable: give results in your answer instead of writing files.',
  },
  database: {
    tools: anyToolWord(
      'db',
      'database',
      'sql',
      'sqlite',
      'postgres',
      'postgresql',
      'mysql',
      'mongodb',
      'query',
    ),
    task: /\b(databases?|db|sql|quer(?:y|ies)|tables?)\b/i,
    whenMissing: 'The database is unavailable: use the filesystem for data.',
  },
  github: {
    tools: anyToolWord('github'),
    task: /\b(github|repos?|repositor(?:y|ies)|issues?|pull requests?|PRs?)\b/i,
    whenMissing: 'GitHub is unavailable: save results locally.',
  },
  search: {
    tools: isSearchTool,
    task: /\b(search|look(?:ing)? up|web)\b/i,
    whenMissing: 'Search is unavailable: use cached or known information and say so.',
  },
};

/** The definition behind a matcher entry. */
export function definitionOf(entry: CapabilityDefinition | TextMatcher): CapabilityDefinition {
  return typeof entry === 'function' || entry instanceof RegExp ? { tools: entry } : entry;
}

/** True when `text` matches (a RegExp is used without its g/y state). */
export function matches(matcher: TextMatcher, text: string): boolean {
  if (typeof matcher === 'function') return matcher(text);
  matcher.lastIndex = 0;
  return matcher.test(text);
}

/** What the model is told about a missing capability that has no `whenMissing`. */
export function missingNote(name: string, definition: CapabilityDefinition): string {
  return (
    definition.whenMissing ??
    `The ${name} capability is unavailable: work without it and say what is missing.`
  );
}
