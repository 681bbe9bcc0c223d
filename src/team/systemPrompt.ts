import { capText } from './formatToolResult.js';
import type { ServerCapability } from './ToolRegistry.js';
import { MAX_CAPABILITY_SECTION_CHARS, MAX_CAPABILITY_TOOL_NAMES } from './toolLimits.js';

/**
 * The system prompt of one model turn: the team's prompt, then a capability section generated
 * from what is live now (the guide's "Available capabilities depend on which servers are online").
 * A server whose tools are missing (offline, listing failed, over a limit) is named with the reason.
 * Servers choose their tool names: the section lists at most {@link MAX_CAPABILITY_TOOL_NAMES}
 * names per server and is cut to {@link MAX_CAPABILITY_SECTION_CHARS} characters.
 */
export function systemPromptFor(prompt: string, capabilities: readonly ServerCapability[]): string {
  const lines = capabilities.map((c) => {
    const missing = c.missing ? `; missing: ${c.missing}` : '';
    if (!c.available)
      return `- ${c.server}: UNAVAILABLE (${c.state}); its tools are not offered now${missing}`;
    const shown = c.tools.slice(0, MAX_CAPABILITY_TOOL_NAMES).join(', ') || 'none';
    const more =
      c.tools.length > MAX_CAPABILITY_TOOL_NAMES
        ? `, and ${c.tools.length - MAX_CAPABILITY_TOOL_NAMES} more`
        : '';
    return `- ${c.server}: online (${c.tools.length} tools: ${shown}${more})${missing}`;
  });
  const degraded = capabilities.filter((c) => !c.available || c.missing).length;
  const advice =
    degraded > 0
      ? 'Some servers or tools are unavailable: work with the tools you have, and tell the user which capabilities are missing.'
      : 'All servers are online.';
  const section = capText(lines.join('\n') || '- no MCP servers', MAX_CAPABILITY_SECTION_CHARS);
  return `${prompt.trim()}\n\n## Available capabilities (live)\n${section}\n${advice}`;
}

/** The prompt a team gets when the builder sets none. */
export const DEFAULT_TEAM_PROMPT =
  'You are a helpful assistant with tools from MCP servers. Use tools when they help; if a tool reports an error, read it and adapt (fix the arguments, try another tool, or explain what failed).';
