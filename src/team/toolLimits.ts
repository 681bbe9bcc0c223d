import { DEFAULT_CONNECT_TIMEOUT_MS } from '../config/defaults.js';
/**
 * Bounds on everything an MCP server controls that reaches the model or the argument validator.
 * A server is third-party code: a size or count it chooses must never grow a prompt, a heap or a
 * validation step without limit. Whatever is cut says so (a truncation note, or a line in the
 * capability section of the system prompt).
 */

/** Tools offered per server; the rest are left out and the capability section says how many. */
export const MAX_TOOLS_PER_SERVER = 128;

/** Tools offered to the model per turn, across servers (filled round-robin, so no server starves another). */
export const MAX_TOOLS_PER_TURN = 256;

/**
 * Characters of tool definitions (name + description + input schema JSON) offered per turn,
 * across servers, filled round-robin like {@link MAX_TOOLS_PER_TURN}.
 */
export const MAX_TOOL_DEFINITION_CHARS_PER_TURN = 200_000;

/** Longest MCP tool name accepted (the MCP spec's own bound, SEP-986); longer names are left out. */
export const MAX_TOOL_NAME_CHARS = 128;

/** Longest tool description the model sees; longer ones are cut with a note. */
export const MAX_TOOL_DESCRIPTION_CHARS = 1_024;

/** Largest input schema (JSON characters) offered or compiled; a tool with a larger one is left out. */
export const MAX_INPUT_SCHEMA_CHARS = 16_384;

/** Deepest nesting of an input schema offered or compiled; a deeper one leaves its tool out. */
export const MAX_INPUT_SCHEMA_DEPTH = 32;

/** Compiled input-schema validators kept (LRU by schema hash); a tool that disappears releases its own. */
export const MAX_COMPILED_SCHEMAS = 512;

/** Longest `pattern` (or `patternProperties` key) compiled; a longer one is not checked. */
export const MAX_PATTERN_CHARS = 256;

/**
 * How a server-supplied pattern is tested: directly when it has no variable quantifier, or one
 * and the string is at most this long; otherwise under a watchdog of {@link PATTERN_TIMEOUT_MS}
 * (about 0.2 ms per test). Several variable quantifiers can backtrack polynomially even where no
 * group repeats: `^\d*\d*\d*\d*x$` takes 3.8 s on 400 digits.
 */
export const MAX_DIRECT_PATTERN_SUBJECT_CHARS = 1_024;

/** A pattern test that runs longer is stopped; the pattern is then left unchecked for good. */
export const PATTERN_TIMEOUT_MS = 20;

/** Text of one tool result or tool error the model sees (the existing DEFAULT_MAX_RESULT_CHARS). */
export const MAX_TOOL_RESULT_CHARS = 20_000;

/** Text of all tool results of one model turn together; each result gets an equal share when over. */
export const MAX_TOOL_RESULTS_CHARS_PER_ITERATION = 60_000;

/** Characters of the capability section of the system prompt; server lines are cut to fit. */
export const MAX_CAPABILITY_SECTION_CHARS = 8_000;

/** Tool names listed per server in the capability section (the rest is a count). */
export const MAX_CAPABILITY_TOOL_NAMES = 32;

/** Characters of a failure reason (a server's error text) quoted in the capability section. */
export const MAX_REASON_CHARS = 200;

/**
 * A tool listing's budget when the team did not set one: the server's connect timeout (listing is
 * part of coming online), capped by the turn's deadline. Used when the config has no connect timeout.
 */
export const DEFAULT_LIST_BUDGET_MS = DEFAULT_CONNECT_TIMEOUT_MS;
