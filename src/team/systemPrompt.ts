import type { ServerCapability } from './ToolRegistry.js';

/**
 * The system prompt of one model turn: the team's prompt, then a capability section generated
 * from what is live now (the guide's "Available capabilities depend on which servers are online").
 */
export function systemPromptFor(prompt: string, capabilities: readonly ServerCapability[]): string {
  const lines = capabilities.map((c) =>
    c.available
      ? `- ${c.server}: online (${c.tools.length} tools: ${c.tools.join(', ') || 'none'})`
      : `- ${c.server}: UNAVAILABLE (${c.state}); its tools are not offered now`,
  );
  const offline = capabilities.filter((c) => !c.available).length;
  const advice =
    offline > 0
      ? 'Some servers are unavailable: work with the tools you have, and tell the user which capabilities are missing.'
      : 'All servers are online.';
  return `${prompt.trim()}\n\n## Available capabilities (live)\n${lines.join('\n') || '- no MCP servers'}\n${advice}`;
}

/** The prompt a team gets when the builder sets none. */
export const DEFAULT_TEAM_PROMPT =
  'You are a helpful assistant with tools from MCP servers. Use tools when they help; if a tool reports an error, read it and adapt (fix the arguments, try another tool, or explain what failed).';
