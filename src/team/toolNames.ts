import { createHash } from 'node:crypto';

/** What a model provider accepts as a tool (function) name. */
export interface ToolNameRule {
  /** Longest accepted name. */
  readonly maxLength: number;
  /** Whether `.` is allowed; otherwise it is replaced like any other invalid character. */
  readonly allowDots: boolean;
}

/**
 * MCP tool-name format (SEP-986, the SDK's `shared/toolNameValidation`): `^[A-Za-z0-9._-]{1,128}$`.
 * The default of {@link qualifiedToolName}.
 */
export const MCP_TOOL_NAME_RULE: ToolNameRule = { maxLength: 128, allowDots: true };

/**
 * OpenAI function names: `^[a-zA-Z0-9_-]{1,64}$` (no dots, 64 characters). Also safe for
 * Anthropic and Gemini, so it is the rule to pick when one team may talk to any provider.
 */
export const OPENAI_TOOL_NAME_RULE: ToolNameRule = { maxLength: 64, allowDots: false };

/** Between the server key and the tool name in a qualified name. */
export const TOOL_NAME_SEPARATOR = '__';

const HASH_LENGTH = 8;
/** A truncated server part keeps at least this much, so the name still says which server it is. */
const MIN_SERVER_PART = 16;

/** Replaces every character the rule does not allow with `_` (one for one, so lengths are kept). */
export function sanitizeToolNamePart(part: string, rule: ToolNameRule = MCP_TOOL_NAME_RULE): string {
  return part.replace(rule.allowDots ? /[^A-Za-z0-9_.-]/g : /[^A-Za-z0-9_-]/g, '_');
}

/**
 * The model-facing name of an MCP tool: `<server>__<tool>`, sanitized and at most
 * `rule.maxLength` characters. A name that had to be shortened, or that is already in `taken`
 * (two servers whose keys sanitize alike), gets `_<hash>` with the first 8 hex digits of
 * sha256(server, tool), so the same server and tool get the same name on every run whatever the
 * order in which tools are registered. The caller adds the result to its own `taken` set.
 *
 * @example
 * qualifiedToolName('files', 'read_file', new Set());        // 'files__read_file'
 * qualifiedToolName('my files', 'read', new Set());         // 'my_files__read'
 * qualifiedToolName('my_files', 'read', new Set(['my_files__read'])); // 'my_files__read_cce288a5'
 */
export function qualifiedToolName(
  server: string,
  tool: string,
  taken: ReadonlySet<string>,
  rule: ToolNameRule = MCP_TOOL_NAME_RULE,
): string {
  const serverPart = sanitizeToolNamePart(server, rule);
  const toolPart = sanitizeToolNamePart(tool, rule);
  const plain = `${serverPart}${TOOL_NAME_SEPARATOR}${toolPart}`;
  if (plain.length <= rule.maxLength && !taken.has(plain)) return plain;
  const stem = shortenedStem(serverPart, toolPart, rule.maxLength - HASH_LENGTH - 1);
  for (let salt = 0; ; salt++) {
    const candidate = `${stem}_${stableHash(server, tool, salt)}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/**
 * Best-effort split of a qualified name at the first `__`: fine for display and logs. Server keys
 * may themselves contain `__` and sanitizing is lossy, so routing must use the map built when the
 * names were made, never this.
 *
 * @example
 * splitQualifiedName('files__read_file'); // { server: 'files', tool: 'read_file' }
 */
export function splitQualifiedName(name: string): { server: string; tool: string } | undefined {
  const at = name.indexOf(TOOL_NAME_SEPARATOR);
  if (at <= 0) return undefined;
  return { server: name.slice(0, at), tool: name.slice(at + TOOL_NAME_SEPARATOR.length) };
}

/** `server__tool` cut to `budget` characters, keeping as much of the tool name as it can. */
function shortenedStem(serverPart: string, toolPart: string, budget: number): string {
  const room = Math.max(0, budget - TOOL_NAME_SEPARATOR.length);
  if (serverPart.length + toolPart.length <= room) return `${serverPart}${TOOL_NAME_SEPARATOR}${toolPart}`;
  const serverKeep = Math.min(serverPart.length, Math.max(MIN_SERVER_PART, room - toolPart.length), room);
  return `${serverPart.slice(0, serverKeep)}${TOOL_NAME_SEPARATOR}${toolPart.slice(0, room - serverKeep)}`;
}

function stableHash(server: string, tool: string, salt: number): string {
  const input = salt === 0 ? `${server}\u0000${tool}` : `${server}\u0000${tool}\u0000${salt}`;
  return createHash('sha256').update(input).digest('hex').slice(0, HASH_LENGTH);
}
